// Bounded concurrency for downloads and uploads. Pure control flow, no I/O of its own.

/**
 * Runs `fn` over `items` with at most `limit` in flight. The first failure stops new work
 * and aborts the rest through `signal`, so a bad object does not wait for a large batch.
 */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item, controller.signal);
      } catch (error) {
        if (!failure) {
          failure = { error };
          controller.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

