// What every in-memory store shares: copies in and out (a caller never holds the stored object),
// and an optional artificial latency per call, to approximate a remote store in benchmarks.

/** Optional artificial latency per call. */
export interface MemoryOptions {
  latencyMs?: number;
}

export const clone = <T>(value: T): T => structuredClone(value);

export const pause = async (options: MemoryOptions) => {
  if (options.latencyMs !== undefined && options.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
};
