// How much of the claim-checked bodies (up to 6 MB each, parked in S3) a processor holds at once.
// Bodies are fetched in rounds of at most the budget, each round landed and let go before the next,
// so a batch of a hundred 6 MB bodies costs the memory of one round, not of the batch.

/**
 * Default budget: 64 MiB of bodies. Landing a round peaks at about four times its bodies (the
 * strings, their UTF-8 copies and the Parquet pages), ~260 MB, well inside the 1024 MB processor.
 */
export const DEFAULT_BODY_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * Splits items into rounds of at most `budgetBytes` in total, keeping their order; an item larger
 * than the budget makes a round of its own, so it still lands (alone).
 */
export function planFetchRounds<T extends { bytes: number }>(items: readonly T[], budgetBytes: number): T[][] {
  const rounds: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    if (current.length > 0 && used + item.bytes > budgetBytes) {
      rounds.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += item.bytes;
  }
  if (current.length > 0) rounds.push(current);
  return rounds;
}

/**
 * Order in which claim-checked bodies are fetched: messages received more often first (a message
 * handed back for lack of time goes first in its next batch, so it does not march towards the
 * DLQ), then queue order.
 */
export function fetchPriority(a: { receiveCount: number; index: number }, b: { receiveCount: number; index: number }): number {
  return b.receiveCount - a.receiveCount || a.index - b.index;
}
