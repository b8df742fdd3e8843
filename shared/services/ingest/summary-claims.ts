// Remembers, in a warm processor instance, which rejection summary windows are already claimed (by
// this instance or another), so only a window's first batch per instance pays the conditional write.
// Entries leave once their window is over, so the memory is one entry per pipeline with rejections
// in the current window.
import type { RejectionCounter } from '../../ports/ingest.ts';

export function rememberSummaryClaims(inner: RejectionCounter): RejectionCounter {
  /** `<pipeline>/<window start>` → window end (epoch ms). */
  const settled = new Map<string, number>();
  const keyOf = (pipelineId: number, windowStart: string) => `${pipelineId}/${windowStart}`;
  return {
    addLanded: (pipelineId, dt, rows) => inner.addLanded(pipelineId, dt, rows),
    addDaily: (bucket, dt, counts) => inner.addDaily(bucket, dt, counts),
    addToSummary: (pipelineId, window, counts, samples) => inner.addToSummary(pipelineId, window, counts, samples),
    async claimSummary(pipelineId, window) {
      for (const [key, endMs] of settled) if (endMs <= window.startMs) settled.delete(key);
      const key = keyOf(pipelineId, window.start);
      if (settled.has(key)) return false;
      const won = await inner.claimSummary(pipelineId, window);
      settled.set(key, window.endMs);
      return won;
    },
    async releaseSummary(pipelineId, window) {
      settled.delete(keyOf(pipelineId, window.start));
      await inner.releaseSummary(pipelineId, window);
    },
  };
}
