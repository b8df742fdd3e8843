// Keeps token and pipeline lookups across warm invocations for a short TTL, so a batch costs at
// most one round trip for what it has not seen recently, while revocation still takes effect
// within the TTL. Misses are cached too, so a flood of unknown keys does not reach the table;
// and the cache is an LRU with a fixed number of entries, so a flood of random keys and pipeline
// ids cannot grow it without bound (the oldest entries make room).
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../domain/clock.ts';
import type { PipelineRecord, TokenRecord } from '../../domain/ingest/records.ts';
import type { CredentialDirectory } from '../../ports/ingest.ts';

/** Entries per cache (tokens, pipelines): a few MB at most, and far more than one batch asks for. */
export const CREDENTIAL_CACHE_MAX_ENTRIES = 10_000;

/** A cached answer; `value` undefined is a cached miss (lru-cache cannot hold undefined itself). */
interface Entry<T> {
  value: T | undefined;
}

export function cachedCredentialDirectory(
  inner: CredentialDirectory,
  ttlSeconds: number,
  clock: Clock,
  maxEntries = CREDENTIAL_CACHE_MAX_ENTRIES,
): CredentialDirectory {
  // A TTL of 0 means no caching (lru-cache would read it as "never expires").
  if (ttlSeconds <= 0) return inner;
  const options = { max: maxEntries, ttl: ttlSeconds * 1000, ttlResolution: 0, perf: { now: () => clock.nowMs() } };
  const tokens = new LRUCache<string, Entry<TokenRecord>>(options);
  const pipelines = new LRUCache<number, Entry<PipelineRecord>>(options);

  return {
    async lookup(keys, pipelineIds) {
      const result = { tokens: new Map<string, TokenRecord>(), pipelines: new Map<number, PipelineRecord>() };
      const missingKeys: string[] = [];
      const missingPipelines: number[] = [];
      for (const key of new Set(keys)) {
        const entry = tokens.get(key);
        if (entry === undefined) missingKeys.push(key);
        else if (entry.value !== undefined) result.tokens.set(key, entry.value);
      }
      for (const id of new Set(pipelineIds)) {
        const entry = pipelines.get(id);
        if (entry === undefined) missingPipelines.push(id);
        else if (entry.value !== undefined) result.pipelines.set(id, entry.value);
      }
      if (missingKeys.length > 0 || missingPipelines.length > 0) {
        const found = await inner.lookup(missingKeys, missingPipelines);
        // The answer comes from `found`, not from the cache: a batch asking for more than the
        // cache holds would otherwise lose its own first answers to eviction.
        for (const key of missingKeys) {
          const value = found.tokens.get(key);
          tokens.set(key, { value });
          if (value !== undefined) result.tokens.set(key, value);
        }
        for (const id of missingPipelines) {
          const value = found.pipelines.get(id);
          pipelines.set(id, { value });
          if (value !== undefined) result.pipelines.set(id, value);
        }
      }
      return result;
    },
  };
}
