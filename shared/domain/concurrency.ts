// Bounded concurrency: attempts in flight (the fan-out), redeliveries queued at once, downloads
// into the lake mirror and ranges of one object, schema refreshes, batch writes.

/** At most `max` calls of `fn` in flight; a finished call hands its slot straight to the next waiter. */
export function semaphore(max: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next !== undefined) next();
      else active--;
    }
  };
}

/** Runs `task` over `items` with at most `concurrency` in flight; rejects with the first failure. */
export async function forEachBounded<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
