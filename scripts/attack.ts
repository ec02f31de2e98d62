// `npm run attack`: the adversarial review's attacks, run against the real CLI (bin/buildlens, built) and a
// real server on loopback, with the sandbox (through a rewriting proxy where a provider must misbehave) and
// hand-made providers. Prints one line per attack, HELD or BREACH with what was seen; exits 1 on any breach.
// Takes a few minutes on two cores. See docs/reliability.md.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { type Sandbox, startSandbox } from '../src/sandbox/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'buildlens');
const HOOK = pathToFileURL(join(ROOT, 'test', 'crash', 'statement-hook.ts')).href;
// Resolved here: the children run in scratch folders without node_modules.
const TSX = import.meta.resolve('tsx');
const SERVER_TOKEN = 'attack-server-token-0123456789abcdef';
const scratch = mkdtempSync(join(tmpdir(), 'buildlens-attack-'));
const children = new Set<ChildProcess>();
const closers: (() => unknown)[] = [];

class Breach extends Error {}
function hold(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Breach(what);
}

// ---------------------------------------------------------------------------------------------- processes

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function baseEnv(dir: string): NodeJS.ProcessEnv {
  const { BUILDLENS_DB: _db, BUILDLENS_KEY: _key, BUILDLENS_RULES: _rules, ...rest } = process.env;
  return { ...rest, XDG_DATA_HOME: join(dir, 'data'), NO_COLOR: '1' };
}

/** `buildlens <args>` in a child, killed after `limitMs` (a hang is then a breach, not a stuck script). */
async function cli(
  dir: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    input?: string;
    limitMs?: number;
    preload?: string[];
    cwd?: string;
  } = {},
): Promise<Result> {
  const imports = (options.preload ?? []).flatMap((m) => ['--import', m]);
  const child = spawn(process.execPath, [...imports, BIN, ...args], {
    cwd: options.cwd ?? dir,
    env: { ...baseEnv(dir), ...options.env },
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 120_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((ok) =>
    child.on('close', (c, s) => ok([c, s])),
  );
  clearTimeout(timer);
  children.delete(child);
  return { code, signal, stdout, stderr };
}

interface Served {
  url: string;
  port: number;
  pid: number;
  stop(): void;
}

/** `buildlens --db DB serve OPTIONS` in a child until stopped; `shell` runs first (e.g. to raise the core limit). */
async function serve(
  dir: string,
  db: string,
  options: string[] = [],
  env: NodeJS.ProcessEnv = {},
  shell?: string,
): Promise<Served> {
  const command = [process.execPath, BIN, '--db', db, 'serve', ...options, '--port', '0'];
  const child = shell
    ? spawn('sh', ['-c', `${shell}; exec "$0" "$@"`, ...command], {
        cwd: dir,
        env: { ...baseEnv(dir), ...env },
      })
    : spawn(command[0] as string, command.slice(1), { cwd: dir, env: { ...baseEnv(dir), ...env } });
  children.add(child);
  let output = '';
  child.stdout.on('data', (c) => {
    output += c;
  });
  child.stderr.on('data', (c) => {
    output += c;
  });
  for (let i = 0; i < 600; i++) {
    const port = Number(/http:\/\/[\d.]+:(\d+)\//.exec(output)?.[1] ?? 0);
    if (port) {
      const stop = () => {
        child.kill('SIGKILL');
        children.delete(child);
      };
      return { url: `http://127.0.0.1:${port}`, port, pid: child.pid ?? 0, stop };
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Breach(`serve did not start: ${output.slice(0, 300)}`);
}

/** A request sent exactly as written (no client normalization), answer read whole. */
function raw(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<{ status: number; head: string; body: string }> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(Number(process.env.ATTACK_SOCKET_MS ?? 30_000), () =>
      socket.destroy(new Error(`no answer to ${method} ${target}`)),
    );
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', fail);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const at = text.indexOf('\r\n\r\n');
      const head = at < 0 ? text : text.slice(0, at);
      ok({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        head,
        body: at < 0 ? '' : text.slice(at + 4),
      });
    });
    const extra = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const length = body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : '';
    socket.write(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}${length}Connection: close\r\n\r\n${body}`,
    );
  });
}

function freshDir(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// ----------------------------------------------------------------------------------------------- providers

type Mutate = (path: string, body: string) => string;

/** Forwards to the sandbox, rewriting JSON answers with `mutate`; `hijack` may answer a request itself. */
async function proxy(
  sandbox: Sandbox,
  mutate: Mutate,
  hijack?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<string> {
  const target = new URL(sandbox.url);
  const server = createServer((req, res) => {
    if (hijack?.(req, res)) return;
    const forward = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c) => chunks.push(c));
        answer.on('end', () => {
          let body = Buffer.concat(chunks).toString('utf8');
          if (String(answer.headers['content-type'] ?? '').includes('json'))
            body = mutate(req.url ?? '', body);
          const headers = { ...answer.headers };
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  closers.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A provider of our own on loopback. */
async function provider(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function addConnection(
  dir: string,
  db: string,
  name: string,
  kind: 'bitrise' | 'buildkite',
  url: string,
  token: string,
) {
  const result = await cli(
    dir,
    ['--db', db, 'connect', 'add', name, '--provider', kind, '--url', url, '--token-stdin', '--no-verify'],
    {
      input: token,
    },
  );
  hold(result.code === 0, `connect add ${name}: ${result.stderr}`);
}

// ------------------------------------------------------------------------------------------------- attacks

const results: { name: string; held: boolean; detail: string }[] = [];

// `npm run attack -- PATTERN` runs only the attacks whose name matches.
const only = process.argv[2] ? new RegExp(process.argv[2], 'i') : null;

async function attack(name: string, run: () => Promise<string>): Promise<void> {
  if (only && !only.test(name)) return;
  const started = Date.now();
  let held = true;
  let detail: string;
  try {
    detail = await run();
  } catch (error) {
    held = false;
    detail = error instanceof Breach ? error.message : `the attack itself failed: ${(error as Error).stack}`;
  }
  results.push({ name, held, detail });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`${held ? 'HELD  ' : 'BREACH'} ${name} (${seconds} s): ${detail.split('\n')[0]}\n`);
}

const sandbox = await startSandbox({ size: 'small', clock: 'manual', now: Date.now() });
closers.push(() => sandbox.close());
const TOKENS = [sandbox.bitrise.token, sandbox.buildkite.token];

/** Text that must not hold any token, in any form a URL or JSON gives it. */
function noToken(text: string, where: string, tokens: string[] = TOKENS): void {
  for (const token of tokens)
    for (const form of new Set([token, encodeURIComponent(token), JSON.stringify(token).slice(1, -1)]))
      hold(!text.includes(form), `a token appears in ${where}`);
}

// A database with both sandbox connections synced, copied by the attacks that need data.
const base = freshDir('base');
const baseDb = join(base, 'buildlens.db');
await addConnection(base, baseDb, 'bitrise', 'bitrise', sandbox.bitrise.url, sandbox.bitrise.token);
await addConnection(base, baseDb, 'buildkite', 'buildkite', sandbox.buildkite.url, sandbox.buildkite.token);
const baseSync = await cli(base, ['--db', baseDb, '-q', 'sync']);
if (baseSync.code !== 0) throw new Error(`the base sync failed: ${baseSync.stderr}`);

function copyBase(name: string): { dir: string; db: string } {
  const dir = freshDir(name);
  copyFileSync(baseDb, join(dir, 'buildlens.db'));
  copyFileSync(join(base, 'buildlens.key'), join(dir, 'buildlens.key'));
  chmodSync(join(dir, 'buildlens.key'), 0o600);
  return { dir, db: join(dir, 'buildlens.db') };
}

await attack('auth: every spelling of every route without the token, off loopback (1)', async () => {
  const { dir, db } = copyBase('auth');
  const child = await serve(dir, db, ['--host', '0.0.0.0'], { BUILDLENS_SERVER_TOKEN: SERVER_TOKEN });
  try {
    const spec = await raw(child.port, 'GET', '/api/openapi.json', {
      Authorization: `Bearer ${SERVER_TOKEN}`,
    });
    hold(spec.status === 200, `openapi with the token: ${spec.status}`);
    const paths = Object.keys((JSON.parse(spec.body) as { paths: Record<string, unknown> }).paths)
      // Path parameters aside, and /healthz, which is open by design (it says only that the server is up).
      .filter((p) => !p.includes('{') && p !== '/healthz')
      .concat(['/api/openapi.json', '/metrics']);
    let sent = 0;
    for (const path of new Set(paths)) {
      for (const target of spellings(path)) {
        for (const method of ['GET', 'HEAD']) {
          const answer = await raw(child.port, method, target);
          sent++;
          // A 2xx may only be the dashboard's HTML shell (a path the API does not match), never data.
          const shell = /content-type: text\/html/i.test(answer.head);
          hold(
            [400, 401, 403, 404].includes(answer.status) || (answer.status === 200 && shell),
            `${method} ${target} without the token answered ${answer.status}: ${answer.body.slice(0, 80)}`,
          );
        }
      }
    }
    return `${sent} requests over ${paths.length} routes (percent-encoded letters, dot segments, doubled slashes, absolute-form, HEAD): no data without the token`;
  } finally {
    child.stop();
  }
});

/** Spellings a lenient router or proxy may still take for `path`. */
function spellings(path: string): string[] {
  const out = new Set<string>([path, `${path}/`, `/${path}`, `${path}?`, `${path};x`, `http://x${path}`]);
  const segments = path.split('/').slice(1);
  for (let s = 0; s < segments.length; s++) {
    const before = `/${segments.slice(0, s).join('/')}${s ? '/' : ''}`;
    const after = segments.slice(s + 1).join('/');
    const tail = after ? `/${after}` : '';
    const segment = segments[s] as string;
    for (let i = 0; i < segment.length; i++) {
      const code = segment.charCodeAt(i).toString(16).padStart(2, '0');
      for (const hex of [code, code.toUpperCase()])
        out.add(`${before}${segment.slice(0, i)}%${hex}${segment.slice(i + 1)}${tail}`);
    }
    out.add(`${before}./${segment}${tail}`);
    out.add(`${before}x/../${segment}${tail}`);
    out.add(`${before}${segment}/.${tail}`);
    out.add(`${before}/${segment}${tail}`);
  }
  out.add(`http://x${path.replace('/api', '/%61pi')}`);
  return [...out];
}

await attack('a provider Link carrying the token: sync stderr, --json, stored error (2)', async () => {
  const dir = freshDir('echo');
  const db = join(dir, 'buildlens.db');
  const token = 'bkua_attack0123456789+/=abcdefABCDEF0123';
  const url = await provider((req, res) => {
    const next = `http://127.0.0.1:${req.socket.localPort}/v2/organizations/acme/pipelines?session=${encodeURIComponent(token)}&raw=${token}`;
    const body = req.url?.startsWith('/v2/access-token') ? { uuid: 'u', scopes: [] } : [];
    res.writeHead(200, { 'content-type': 'application/json', link: `<${next}>; rel="next"` });
    res.end(JSON.stringify(body));
  });
  await addConnection(dir, db, 'echo', 'buildkite', `${url}/v2`, token);
  const plain = await cli(dir, ['--db', db, '-v', 'sync']);
  const json = await cli(dir, ['--db', db, '--json', 'sync']);
  hold(plain.code === 3 && json.code === 3, `exit codes ${plain.code} / ${json.code}`);
  hold(JSON.parse(json.stdout).failed.length === 1, '--json lists the failure');
  noToken(plain.stdout + plain.stderr, 'sync -v', [token]);
  noToken(json.stdout + json.stderr, 'sync --json', [token]);
  const stored = new Database(db, { readonly: true });
  const errors = JSON.stringify(stored.prepare('select * from sync_state').all());
  stored.close();
  noToken(errors, 'the stored sync error', [token]);
  return 'the loop is reported, the token shows nowhere (plain, URL-encoded)';
});

await attack('an endless response body (3)', async () => {
  const dir = freshDir('endless');
  const db = join(dir, 'buildlens.db');
  let requests = 0;
  const url = await provider((req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url?.startsWith('/v2/access-token')) return void res.end('{"uuid":"u","scopes":[]}');
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    res.write('[');
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) {}
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await addConnection(dir, db, 'endless', 'buildkite', `${url}/v2`, 'bkua_endless0123456789abcdef');
  const result = await cli(dir, ['--db', db, '-q', 'sync'], {
    env: { BUILDLENS_MAX_RESPONSE_MB: '16' },
    limitMs: 90_000,
  });
  hold(result.signal === null, 'the sync was still running after 90 s');
  hold(result.code === 3, `exit ${result.code}: ${result.stderr}`);
  hold(/answered with a body over 16 MB; stopped reading it/.test(result.stderr), result.stderr);
  hold(requests <= 2, `${requests} requests: the body was fetched again`);
  return `stopped at the cap after ${requests} request(s): ${result.stderr.trim().slice(0, 120)}`;
});

// One sync through a proxy that makes the sandbox's builds hostile: a 20 MB message (3), a 100,000-deep
// value (5), a build dated 9999-12-31 (5), Bitrise credit costs of 1.79e308 and -5 (9).
const DEEP = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
const hostile = freshDir('hostile');
const hostileDb = join(hostile, 'buildlens.db');
const assigned = new Map<string, string>();
const hostileUrl = await proxy(sandbox, (path, body) => {
  if (!/\/builds(\?|$)/.test(path)) return body;
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return body;
  }
  const items = (Array.isArray(data) ? data : (data as { data?: unknown }).data) as
    | Record<string, unknown>[]
    | undefined;
  if (!Array.isArray(items)) return body;
  const kinds = Array.isArray(data) ? ['huge', 'deep', 'date'] : ['cost-max', 'cost-negative'];
  for (const item of items) {
    const id = String(item.id ?? item.slug ?? '');
    if (!assigned.has(id)) {
      const used = new Set(assigned.values());
      const kind = kinds.find((k) => !used.has(k));
      if (!kind || item.finished_at === null) continue;
      assigned.set(id, kind);
    }
    const kind = assigned.get(id);
    if (kind === 'huge') item.message = 'x'.repeat(20 * 1024 * 1024);
    if (kind === 'deep') item.meta_data = '__DEEP__';
    if (kind === 'date')
      for (const key of ['created_at', 'scheduled_at', 'started_at', 'finished_at'])
        if (item[key]) item[key] = '9999-12-31T00:00:00.000Z';
    if (kind === 'cost-max') item.credit_cost = 1.79e308;
    if (kind === 'cost-negative') item.credit_cost = -5;
  }
  return JSON.stringify(data).replace('"__DEEP__"', DEEP);
});
await addConnection(
  hostile,
  hostileDb,
  'bitrise',
  'bitrise',
  `${hostileUrl}${new URL(sandbox.bitrise.url).pathname}`,
  sandbox.bitrise.token,
);
await addConnection(
  hostile,
  hostileDb,
  'buildkite',
  'buildkite',
  `${hostileUrl}${new URL(sandbox.buildkite.url).pathname}`,
  sandbox.buildkite.token,
);
const hostileSync = await cli(hostile, ['--db', hostileDb, '-q', '--json', 'sync'], { limitMs: 180_000 });

await attack('hostile payloads: a 100,000-deep value does not crash the sync (5)', async () => {
  hold(assigned.size >= 5, `the proxy placed ${assigned.size} of 5 hostile builds`);
  hold(
    !/Maximum call stack/.test(hostileSync.stdout + hostileSync.stderr),
    'Maximum call stack size exceeded',
  );
  hold(hostileSync.code === 0, `sync exit ${hostileSync.code}: ${hostileSync.stderr.slice(0, 300)}`);
  const again = await cli(hostile, ['--db', hostileDb, '-q', 'sync']);
  hold(again.code === 0, `the next sync: ${again.stderr.slice(0, 300)}`);
  return 'both syncs completed';
});

const hostileServer = await serve(hostile, hostileDb);
closers.push(() => hostileServer.stop());

await attack('a 20 MB field does not make /api/runs pages huge (3)', async () => {
  const answer = await raw(hostileServer.port, 'GET', '/api/runs');
  hold(answer.status === 200, `/api/runs answered ${answer.status}`);
  hold(
    answer.body.length < 4 * 1024 * 1024,
    `the default page is ${(answer.body.length / 1024 / 1024).toFixed(1)} MB`,
  );
  return `the default page is ${(answer.body.length / 1024).toFixed(0)} KB`;
});

await attack('a build dated 9999-12-31 does not break API paging (5)', async () => {
  let target = '/api/runs?limit=100';
  let pages = 0;
  for (; pages < 200; pages++) {
    const answer = await raw(hostileServer.port, 'GET', target);
    hold(answer.status === 200, `${target} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    const next = (JSON.parse(answer.body) as { next_cursor?: string | null }).next_cursor;
    if (!next) break;
    target = `/api/runs?limit=100&cursor=${encodeURIComponent(next)}`;
  }
  return `${pages + 1} pages read to the end`;
});

await attack('credit_cost 1.79e308 and -5: no Infinity in the CSV report, neither stored (9)', async () => {
  const csv = await cli(hostile, ['--db', hostileDb, 'report', '--by', 'connection', '--format', 'csv']);
  hold(csv.code === 0, csv.stderr);
  hold(!/Infinity|NaN/.test(csv.stdout), `CSV: ${csv.stdout.slice(0, 300)}`);
  const db = new Database(hostileDb, { readonly: true });
  const bad = db.prepare('select count(*) as n from runs where cost < 0 or cost > 1e9').get() as {
    n: number;
  };
  db.close();
  hold(bad.n === 0, `${bad.n} implausible costs stored`);
  return 'costs stored as none; the report prints numbers';
});

await attack('invalid UTF-8 in a URL gets our error body and the security headers (9)', async () => {
  for (const path of ['/api/runs%ff', '/%c3%28', '/api/%80']) {
    const answer = await raw(hostileServer.port, 'GET', path);
    hold(answer.status === 400, `${path}: ${answer.status}`);
    hold(/x-content-type-options: nosniff/i.test(answer.head), `${path}: no security headers`);
    hold(/"error":"bad_request"/.test(answer.body), `${path}: ${answer.body}`);
  }
  return '400 {error, message} with the security headers';
});

await attack(
  'a catastrophic rule pattern: classify finishes, /healthz answers during a server sync (6)',
  async () => {
    const { dir, db } = copyBase('rules');
    writeFileSync(
      join(dir, 'rules.yaml'),
      "rules:\n  - name: slow\n    classification: infra_failure\n    match: { reason: '^(\\w+\\s?)*$' }\n",
    );
    const classify = await cli(dir, ['--db', db, 'classify'], { limitMs: 60_000 });
    hold(classify.code === 0, `classify: ${classify.signal ?? classify.code} ${classify.stderr}`);
    const server = await serve(dir, db);
    try {
      const started = await raw(
        server.port,
        'POST',
        '/api/sync',
        { 'content-type': 'application/json' },
        '{}',
      );
      hold(started.status === 202, `POST /api/sync: ${started.status} ${started.body}`);
      let polls = 0;
      for (; polls < 600; polls++) {
        const health = await raw(server.port, 'GET', '/healthz');
        hold(health.status === 200, `/healthz: ${health.status}`);
        const status = await raw(server.port, 'GET', '/api/sync');
        if (!(JSON.parse(status.body) as { running: boolean }).running) break;
        await sleep(50);
      }
      return `classify finished; /healthz answered ${polls + 1} times during the sync`;
    } finally {
      server.stop();
    }
  },
);

await attack(
  'sync of all: a held lock and an undecryptable token fail only their connection (7)',
  async () => {
    const { dir, db } = copyBase('per-connection');
    const slow = await proxy(
      sandbox,
      (_p, body) => body,
      (req, res) => {
        // Every answer a second late, so the first sync holds its lock long enough.
        setTimeout(() => {
          const target = new URL(sandbox.url);
          const forward = request(
            {
              host: target.hostname,
              port: target.port,
              path: req.url,
              method: req.method,
              headers: req.headers,
            },
            (a) => {
              res.writeHead(a.statusCode ?? 502, a.headers);
              a.pipe(res);
            },
          );
          req.pipe(forward);
        }, 1000);
        return true;
      },
    );
    await addConnection(
      dir,
      db,
      'slow',
      'buildkite',
      `${slow}${new URL(sandbox.buildkite.url).pathname}`,
      sandbox.buildkite.token,
    );
    await addConnection(dir, db, 'sealed', 'bitrise', sandbox.bitrise.url, sandbox.bitrise.token);
    const store = new Database(db);
    store
      .prepare("update connections set token_enc = 'v1:' || hex(randomblob(40)) where name = 'sealed'")
      .run();
    store.close();
    const holder = cli(dir, ['--db', db, '-q', 'sync', 'slow']);
    await sleep(3000);
    const all = await cli(dir, ['--db', db, '-q', '--json', 'sync']);
    await holder;
    hold(all.code === 3, `exit ${all.code}: ${all.stderr}`);
    let document: { connections: { connection: string }[]; failed: { connection: string; error: string }[] };
    try {
      document = JSON.parse(all.stdout);
    } catch {
      throw new Breach(`--json printed no document: ${all.stdout.slice(0, 200)} ${all.stderr}`);
    }
    const failed = document.failed.map((f) => f.connection).sort();
    hold(failed.join() === 'sealed,slow', `failed: ${failed.join()}`);
    hold(
      document.connections
        .map((c) => c.connection)
        .sort()
        .join() === 'bitrise,buildkite',
      'the others synced',
    );
    return `failed[]: ${document.failed.map((f) => `${f.connection}: ${f.error.slice(0, 50)}…`).join(' | ')}`;
  },
);

await attack('a deleted key file is never silently replaced; connect list still lists (8)', async () => {
  const { dir, db } = copyBase('key');
  unlinkSync(join(dir, 'buildlens.key'));
  const add = await cli(
    dir,
    [
      '--db',
      db,
      'connect',
      'add',
      'more',
      '--provider',
      'bitrise',
      '--url',
      sandbox.bitrise.url,
      '--token-stdin',
      '--no-verify',
    ],
    {
      input: sandbox.bitrise.token,
    },
  );
  hold(
    add.code === 2 && /is missing, and 2 connections/.test(add.stderr),
    `connect add: ${add.code} ${add.stderr}`,
  );
  hold(!existsSync(join(dir, 'buildlens.key')), 'a new key file was created');
  const list = await cli(dir, ['--db', db, '--json', 'connect', 'list']);
  hold(list.code === 0, `connect list: ${list.stderr}`);
  hold(
    (JSON.parse(list.stdout) as { token: string }[]).every((r) => r.token === 'unreadable'),
    list.stdout,
  );
  const reenter = await cli(dir, ['--db', db, 'connect', 'set-token', 'bitrise', '--token-stdin'], {
    input: sandbox.bitrise.token,
  });
  hold(reenter.code === 0, `set-token: ${reenter.stderr}`);
  chmodSync(join(dir, 'buildlens.key'), 0o644);
  const warned = await cli(dir, ['--db', db, '-q', 'connect', 'list']);
  hold(/readable by other users/.test(warned.stderr), 'no warning about a world-readable key file');
  return 'refused with how to restore; listed as unreadable; set-token re-entered; 0644 key warned about';
});

await attack('SIGKILL during the migrations of a fresh database (4)', async () => {
  const dir = freshDir('migrate');
  const db = join(dir, 'buildlens.db');
  const clean = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
  };
  let kills = 0;
  for (const point of [3, 6, 9, 12, 15, 18, 21, 24]) {
    clean();
    const killed = await cli(dir, ['--db', db, '-q', 'connect', 'list'], {
      env: { BUILDLENS_TEST_KILL_AT_STATEMENT: String(point) },
      preload: [TSX, HOOK],
    });
    if (killed.signal === 'SIGKILL') kills++;
    const next = await cli(dir, ['--db', db, '-q', 'connect', 'list']);
    hold(next.code === 0, `after a kill before statement ${point}: ${next.stderr}`);
  }
  hold(kills >= 6, `only ${kills} kills landed`);
  return `${kills} kills at exact statements; every next command opened the database`;
});

await attack('--db: a FIFO, :memory:, file: URIs (9)', async () => {
  const dir = freshDir('db-names');
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const piped = await cli(dir, ['--db', fifo, 'connect', 'list'], { limitMs: 30_000 });
  hold(piped.signal === null, 'hangs on a FIFO');
  hold(piped.code === 2, `FIFO: exit ${piped.code}`);
  const cwd = freshDir('db-names-cwd');
  for (const name of [':memory:', 'file:x.db?mode=memory']) {
    const result = await cli(dir, ['--db', name, 'connect', 'list'], { cwd });
    hold(result.code === 2, `${name}: exit ${result.code}`);
  }
  hold(readdirSync(cwd).length === 0, `files created: ${readdirSync(cwd).join(', ')}`);
  return 'refused in one line, exit 2, nothing created';
});

await attack('a damaged database file and a newer version (9)', async () => {
  const { dir, db } = copyBase('damaged');
  const size = statSync(db).size;
  const fd = openSync(db, 'r+');
  writeSync(fd, Buffer.alloc(size - 4096, 0x5a), 0, size - 4096, 4096);
  closeSync(fd);
  for (const args of [['connect', 'list'], ['runs'], ['report'], ['sync'], ['flaky']]) {
    const result = await cli(dir, ['--db', db, '-q', ...args]);
    hold(result.code === 2, `${args[0]}: exit ${result.code}: ${result.stderr}`);
    hold(/is damaged .*PRAGMA integrity_check/.test(result.stderr), `${args[0]}: ${result.stderr}`);
  }
  const newer = copyBase('newer');
  const store = new Database(newer.db);
  store.prepare("insert into kysely_migration (name, timestamp) values ('999_future', '2030-01-01')").run();
  store.close();
  const result = await cli(newer.dir, ['--db', newer.db, 'runs']);
  hold(result.code === 2 && /newer version of buildlens/.test(result.stderr), result.stderr);
  return 'every command: damaged, exit 2, PRAGMA integrity_check; the newer database named as such';
});

await attack('/api/rules with a broken rules file (9)', async () => {
  const { dir, db } = copyBase('broken-rules');
  writeFileSync(join(dir, 'rules.yaml'), 'rules: [ {');
  const server = await serve(dir, db);
  try {
    const answer = await raw(server.port, 'GET', '/api/rules');
    hold(answer.status !== 500 && answer.status >= 400, `/api/rules answered ${answer.status}`);
    hold(/rules\.yaml/.test(answer.body), answer.body);
    return `${answer.status}: ${answer.body.slice(0, 100)}`;
  } finally {
    server.stop();
  }
});

await attack('no core dumps from the launcher (9)', async () => {
  if (process.platform !== 'linux') return 'skipped: not Linux';
  const { dir, db } = copyBase('core');
  const server = await serve(dir, db, [], {}, 'ulimit -c unlimited 2>/dev/null || ulimit -c 4096');
  try {
    const limits = readFileSync(`/proc/${server.pid}/limits`, 'utf8');
    const line = limits.split('\n').find((l) => l.startsWith('Max core file size')) ?? '';
    hold(/^Max core file size\s+0\s+0\s/.test(line), line);
    return line.replace(/\s+/g, ' ');
  } finally {
    server.stop();
  }
});

// ------------------------------------------------------------------------------------------------- summary

for (const close of closers.reverse()) await close();
for (const child of children) child.kill('SIGKILL');
rmSync(scratch, { recursive: true, force: true });
const breaches = results.filter((r) => !r.held);
process.stdout.write(`\n${results.length - breaches.length} of ${results.length} attacks held\n`);
for (const b of breaches) process.stdout.write(`BREACH ${b.name}: ${b.detail}\n`);
process.exit(breaches.length > 0 ? 1 : 0);
