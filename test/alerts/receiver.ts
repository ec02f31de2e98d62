// A webhook receiver on 127.0.0.1 that records every request exactly (path, headers, body) and answers with
// the statuses it is told to, in turn (the last one from then on).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer with, in order; the last one repeats. */
  answers: number[];
  close(): Promise<void>;
}

/** `reply` is the body of a refusal (a destination's words are quoted in errors). */
export async function startReceiver(
  answers: number[] = [200],
  reply = 'receiver says no',
): Promise<Receiver> {
  const received: Received[] = [];
  const receiver = { received, answers } as Receiver;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const status = receiver.answers[Math.min(received.length, receiver.answers.length) - 1] ?? 200;
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : reply);
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}`;
  receiver.close = () => new Promise((done) => server.close(() => done()));
  return receiver;
}
