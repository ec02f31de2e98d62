// Live updates: the server's /api/events stream says when the data behind reports changed (its data
// version), and the page the person looks at is drawn again. Read with fetch rather than EventSource,
// which cannot send the access token. A dropped stream is opened again, waiting longer each time.
import { authorization } from './api.js';

const FIRST_WAIT_MS = 1000;
const LONGEST_WAIT_MS = 15_000;

/** The data versions of one stream's `data_version` events, in order. */
async function* versions(signal: AbortSignal): AsyncGenerator<number> {
  const response = await fetch('/api/events', {
    headers: { accept: 'text/event-stream', ...authorization() },
    signal,
  });
  if (!response.ok || !response.body) throw new Error(`the server answered ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const lines = buffered.slice(0, end).split('\n');
      buffered = buffered.slice(end + 2);
      if (!lines.includes('event: data_version')) continue;
      const data = lines.find((line) => line.startsWith('data: '));
      const version = (JSON.parse(data?.slice('data: '.length) ?? '{}') as { version?: unknown }).version;
      if (typeof version === 'number') yield version;
    }
  }
}

/**
 * Calls `changed` each time the data version moves on from the one seen first, and `connected` when the
 * stream opens or drops; runs until the page goes.
 * After the stream was down (the server restarted, the token was not entered yet) the first version also
 * calls it unless it is the one known: what landed meanwhile is drawn too.
 */
export async function watchData(changed: () => void, connected: (on: boolean) => void): Promise<void> {
  let known: number | null = null;
  let down = false;
  let wait = FIRST_WAIT_MS;
  for (;;) {
    const abort = new AbortController();
    try {
      for await (const version of versions(abort.signal)) {
        connected(true);
        wait = FIRST_WAIT_MS;
        if (version !== known && (known !== null || down)) changed();
        known = version;
        down = false;
      }
    } catch {
      down = true;
    } finally {
      abort.abort();
      connected(false);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, LONGEST_WAIT_MS);
  }
}
