// The dashboard's built files (dist/web), loaded once at start. Paths the app routes itself (/project/…)
// get index.html; data paths never fall through to it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  type: string;
  /** Vite puts a content hash in every name under assets/: those never change. */
  immutable: boolean;
}

function loadFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const url = `/${relative(root, path).split(sep).join('/')}`;
        files.set(url, {
          body: readFileSync(path),
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          immutable: url.startsWith('/assets/'),
        });
      }
    }
  };
  walk(root);
  return files;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>buildlens</title>
<p>The dashboard has not been built. Run <code>npm run build</code>; the API is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>`;

/** Paths that answer with data: never the app's page, even when their own route does not exist. */
const isDataPath = (path: string) =>
  ['/api', '/metrics', '/healthz'].some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

const safeDecode = (path: string) => {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
};

export function registerStatic(app: FastifyInstance, root: string): void {
  const files = existsSync(join(root, 'index.html')) ? loadFiles(root) : new Map<string, StaticFile>();
  const index = files.get('/index.html') ?? {
    body: Buffer.from(NOT_BUILT),
    type: TYPES['.html'] as string,
    immutable: false,
  };

  app.get('/*', { config: { access: 'open' } }, async (request, reply) => {
    const path = safeDecode(request.url.split('?', 1)[0] ?? '/');
    if (isDataPath(path)) return reply.callNotFound();
    const file = files.get(path);
    // A missing file with an extension is a real 404; anything else is a page of the app.
    if (!file && extname(path) !== '') return reply.callNotFound();
    const chosen = file ?? index;
    reply.type(chosen.type);
    reply.header('cache-control', chosen.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.send(chosen.body);
  });
}
