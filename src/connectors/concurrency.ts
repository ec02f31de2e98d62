// Reading several projects at once while handing their events on one at a time.

type Pulled<T> = { source: AsyncIterator<T>; result?: IteratorResult<T>; error?: unknown };

/**
 * Runs up to `limit` sources at the same time and yields their values as they come. A source is asked for
 * its next value only after its previous one was taken by the consumer, so a source never runs ahead of
 * what was consumed (a checkpoint it yields covers everything it yielded before). The first error stops
 * everything; a consumer that stops early closes the sources still running.
 */
export async function* mergeLimited<T>(
  sources: Iterable<() => AsyncIterable<T>>,
  limit: number,
): AsyncGenerator<T> {
  const waiting = [...sources];
  const running = new Map<AsyncIterator<T>, Promise<Pulled<T>>>();
  // Never rejects, so a source failing while nobody awaits it is not an unhandled rejection.
  const pull = (source: AsyncIterator<T>): Promise<Pulled<T>> =>
    source.next().then(
      (result) => ({ source, result }),
      (error: unknown) => ({ source, error }),
    );
  const startNext = () => {
    const open = waiting.shift();
    if (!open) return;
    const source = open()[Symbol.asyncIterator]();
    running.set(source, pull(source));
  };

  try {
    while (running.size < Math.max(1, limit) && waiting.length > 0) startNext();
    while (running.size > 0) {
      const { source, result, error } = await Promise.race(running.values());
      if (error !== undefined || !result) {
        running.delete(source);
        throw error;
      }
      if (result.done) {
        running.delete(source);
        startNext();
        continue;
      }
      yield result.value;
      running.set(source, pull(source));
    }
  } finally {
    // A source busy with a request finishes it first; its result is dropped.
    await Promise.allSettled([...running.keys()].map((source) => source.return?.()));
  }
}
