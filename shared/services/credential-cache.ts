// Keeps token and pipeline lookups across warm invocations for a short TTL, so a batch costs at
// most one round trip for what it has not seen recently, while revocation still takes effect
// within the TTL. Misses are cached too, so a flood of unknown keys does not reach the table.
import type { Clock } from '../domain/clock.ts';
import type { PipelineRecord, TokenRecord } from '../domain/records.ts';
import type { CredentialDirectory } from '../ports/ingest.ts';

interface Entry<T> {
  value: T | undefined;
  expiresAtMs: number;
}

export function cachedCredentialDirectory(inner: CredentialDirectory, ttlSeconds: number, clock: Clock): CredentialDirectory {
  const tokens = new Map<string, Entry<TokenRecord>>();
  const pipelines = new Map<number, Entry<PipelineRecord>>();
  const ttlMs = ttlSeconds * 1000;

  function fresh<K, T>(cache: Map<K, Entry<T>>, key: K, now: number): Entry<T> | undefined {
    const entry = cache.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs > now) return entry;
    cache.delete(key);
    return undefined;
  }

  return {
    async lookup(keys, pipelineIds) {
      const now = clock.nowMs();
      const missingKeys = [...new Set(keys)].filter((key) => fresh(tokens, key, now) === undefined);
      const missingPipelines = [...new Set(pipelineIds)].filter((id) => fresh(pipelines, id, now) === undefined);
      if (missingKeys.length > 0 || missingPipelines.length > 0) {
        const found = await inner.lookup(missingKeys, missingPipelines);
        const expiresAtMs = now + ttlMs;
        for (const key of missingKeys) tokens.set(key, { value: found.tokens.get(key), expiresAtMs });
        for (const id of missingPipelines) pipelines.set(id, { value: found.pipelines.get(id), expiresAtMs });
      }
      const result = { tokens: new Map<string, TokenRecord>(), pipelines: new Map<number, PipelineRecord>() };
      for (const key of keys) {
        const value = tokens.get(key)?.value;
        if (value !== undefined) result.tokens.set(key, value);
      }
      for (const id of pipelineIds) {
        const value = pipelines.get(id)?.value;
        if (value !== undefined) result.pipelines.set(id, value);
      }
      return result;
    },
  };
}
