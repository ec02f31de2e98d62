// The CLI inside the test process, its stdout a pipe (tables never cut) or a terminal of a given width.
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/program.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runInProcess(
  args: string[],
  options: { columns?: number; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<InProcessResult> {
  const stdout = Object.assign(
    new PassThrough(),
    options.columns === undefined ? {} : { isTTY: true, columns: options.columns },
  );
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c) => out.push(String(c)));
  stderr.on('data', (c) => err.push(String(c)));
  const stdin = new PassThrough();
  stdin.end(options.input ?? '');
  const code = await runCli(args, { stdout, stderr, stdin, env: options.env ?? {} });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
