// In-memory rejection items with the DynamoDB adapter's semantics (ADD counts, first samples stay,
// conditional claim), for unit tests of the processor and the fan-out.
import type { RejectionCountsByReason, RejectionSummary } from '../../domain/ingest/rejections.ts';
import type { RejectionCounter, RejectionSummaryReader } from '../../ports/ingest.ts';

export interface MemoryRejections extends RejectionCounter, RejectionSummaryReader {
  daily: Map<string, RejectionCountsByReason>;
  landed: Map<string, number>;
  windows: Map<string, { claimed: boolean; counts: RejectionCountsByReason; samples?: string[]; windowEnd: string }>;
  calls: string[];
}

function add(target: RejectionCountsByReason, counts: RejectionCountsByReason): void {
  for (const [reason, count] of Object.entries(counts) as [keyof RejectionCountsByReason, number][]) {
    target[reason] = (target[reason] ?? 0) + count;
  }
}

export function memoryRejections(): MemoryRejections {
  const daily = new Map<string, RejectionCountsByReason>();
  const windows: MemoryRejections['windows'] = new Map();
  const calls: string[] = [];
  const windowOf = (pipelineId: number, start: string, end: string) => {
    const key = `${pipelineId}/${start}`;
    let entry = windows.get(key);
    if (entry === undefined) windows.set(key, (entry = { claimed: false, counts: {}, windowEnd: end }));
    return entry;
  };
  const landed = new Map<string, number>();
  return {
    daily,
    landed,
    windows,
    calls,
    async addLanded(pipelineId, dt, rows) {
      calls.push(`addLanded ${pipelineId} ${dt}`);
      landed.set(`${pipelineId}/${dt}`, (landed.get(`${pipelineId}/${dt}`) ?? 0) + rows);
    },
    async addDaily(bucket, dt, counts) {
      calls.push(`addDaily ${bucket} ${dt}`);
      const key = `${bucket}/${dt}`;
      const entry = daily.get(key) ?? {};
      add(entry, counts);
      daily.set(key, entry);
    },
    async claimSummary(pipelineId, window) {
      calls.push(`claimSummary ${pipelineId}`);
      const entry = windowOf(pipelineId, window.start, window.end);
      if (entry.claimed) return false;
      entry.claimed = true;
      return true;
    },
    async releaseSummary(pipelineId, window) {
      calls.push(`releaseSummary ${pipelineId}`);
      windowOf(pipelineId, window.start, window.end).claimed = false;
    },
    async addToSummary(pipelineId, window, counts, samples) {
      calls.push(`addToSummary ${pipelineId}`);
      const entry = windowOf(pipelineId, window.start, window.end);
      add(entry.counts, counts);
      entry.samples ??= [...samples];
    },
    async getSummary(pipelineId, windowStart): Promise<RejectionSummary | undefined> {
      const entry = windows.get(`${pipelineId}/${windowStart}`);
      if (entry === undefined) return undefined;
      const total = Object.values(entry.counts).reduce((sum, count) => sum + count, 0);
      return { pipelineId, windowStart, windowEnd: entry.windowEnd, total, byReason: { ...entry.counts }, sampleRequestIds: entry.samples ?? [] };
    },
  };
}
