// The processor's credential cache: one lookup per key and pipeline per TTL, misses cached too,
// bounded in entries.
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../../../shared/domain/credentials.ts';
import type { TokenRecord } from '../../../../../shared/domain/ingest/records.ts';
import type { CredentialDirectory } from '../../../../../shared/ports/ingest.ts';
import { cachedCredentialDirectory } from '../../../../../shared/services/ingest/credential-cache.ts';

const KEY = '11111111-2222-4333-8444-555555555555';
const token: TokenRecord = { key: KEY, name: 't', tokenSha256: sha256Hex('good'), createdAt: '' };

describe('cachedCredentialDirectory', () => {
  it('asks only for what it has not seen within the TTL, misses included', async () => {
    const asked: [string[], number[]][] = [];
    const inner: CredentialDirectory = {
      async lookup(keys, ids) {
        asked.push([keys, ids]);
        return { tokens: new Map(keys.filter((k) => k === KEY).map((k) => [k, token])), pipelines: new Map() };
      },
    };
    let now = 1_764_000_000_000;
    const cache = cachedCredentialDirectory(inner, 30, { nowMs: () => now });
    const first = await cache.lookup([KEY, KEY, 'unknown'], [1]);
    expect(first.tokens.get(KEY)).toEqual(token);
    await cache.lookup([KEY, 'unknown'], [1]);
    expect(asked).toEqual([[[KEY, 'unknown'], [1]]]);
    now += 30_001;
    await cache.lookup([KEY], []);
    expect(asked).toHaveLength(2);
    expect(asked[1]).toEqual([[KEY], []]);
  });

  it('holds at most maxEntries per kind: a flood of random keys and pipeline ids evicts the oldest, not grows', async () => {
    const asked: [string[], number[]][] = [];
    const inner: CredentialDirectory = {
      async lookup(keys, ids) {
        asked.push([keys, ids]);
        return { tokens: new Map(keys.filter((k) => k === KEY).map((k) => [k, token])), pipelines: new Map() };
      },
    };
    const cache = cachedCredentialDirectory(inner, 30, { nowMs: () => 1_764_000_000_000 }, 100);
    await cache.lookup([KEY], [1]);
    for (let batch = 0; batch < 50; batch++) {
      const keys = Array.from({ length: 100 }, (_, i) => `00000000-0000-4000-8000-${String(batch * 100 + i).padStart(12, '0')}`);
      const result = await cache.lookup(keys, keys.map((_, i) => 10_000 + batch * 100 + i));
      expect(result.tokens.size).toBe(0);
    }
    asked.length = 0;
    // The first key and pipeline were pushed out by 5,000 newer ones; the latest 100 are still there.
    await cache.lookup([KEY, '00000000-0000-4000-8000-000000004999'], [1, 14_999]);
    expect(asked).toEqual([[[KEY], [1]]]);
  });

  it('with a TTL of 0 caches nothing', async () => {
    let lookups = 0;
    const inner: CredentialDirectory = {
      async lookup() {
        lookups++;
        return { tokens: new Map(), pipelines: new Map() };
      },
    };
    const cache = cachedCredentialDirectory(inner, 0, { nowMs: () => 1_764_000_000_000 });
    await cache.lookup([KEY], [1]);
    await cache.lookup([KEY], [1]);
    expect(lookups).toBe(2);
  });
});
