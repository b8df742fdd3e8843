// What bounds a sync run's query: the deployed limits derived from the function, the local ones,
// the sizes they are written in, and how the environment overrides them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syncQueryLimitsFromEnv } from '../../../../../shared/config.ts';
import {
  byteSizeText,
  lambdaSyncQueryLimits,
  localSyncQueryLimits,
  parseByteSize,
  syncQueryLimitsProblem,
} from '../../../../../shared/domain/syncs/query-limits.ts';

const MIB = 1024 * 1024;

describe('derived limits', () => {
  it('the sync function of 3008 MB, 15 minutes and 10 GiB of /tmp: 2496 MiB, DuckDB 1497 MiB, 2 threads, 5 GiB, 10 minutes', () => {
    expect(lambdaSyncQueryLimits({ memoryMiB: 3008, timeoutSeconds: 900, ephemeralStorageMiB: 10_240 })).toEqual({
      processMemoryBytes: 2496 * MIB,
      duckDbMemoryBytes: 1497 * MIB,
      threads: 2,
      tempBytes: 5120 * MIB,
      timeLimitMs: 600_000,
    });
    expect(lambdaSyncQueryLimits({ memoryMiB: 10_240, timeoutSeconds: 900, ephemeralStorageMiB: 512 }).threads).toBe(6);
    expect(lambdaSyncQueryLimits({ memoryMiB: 1769, timeoutSeconds: 900, ephemeralStorageMiB: 512 }).threads).toBe(1);
  });

  it('a function too small or too short to bound a query in is refused', () => {
    expect(() => lambdaSyncQueryLimits({ memoryMiB: 512, timeoutSeconds: 900, ephemeralStorageMiB: 512 })).toThrow(/768 MB/);
    expect(() => lambdaSyncQueryLimits({ memoryMiB: 3008, timeoutSeconds: 300, ephemeralStorageMiB: 512 })).toThrow(/6 minutes/);
  });

  it('locally: 1 GiB, DuckDB 614 MiB, half the cores (at least one), 4 GiB, 5 minutes', () => {
    expect(localSyncQueryLimits(2)).toEqual({ processMemoryBytes: 1024 * MIB, duckDbMemoryBytes: 614 * MIB, threads: 1, tempBytes: 4096 * MIB, timeLimitMs: 300_000 });
    expect(localSyncQueryLimits(1).threads).toBe(1);
    expect(localSyncQueryLimits(16).threads).toBe(8);
    for (const cores of [1, 2, 16]) expect(syncQueryLimitsProblem(localSyncQueryLimits(cores))).toBeUndefined();
  });

  it("DuckDB's memory must stay below its process's, and every limit be a positive whole number", () => {
    const limits = localSyncQueryLimits(2);
    expect(syncQueryLimitsProblem({ ...limits, duckDbMemoryBytes: limits.processMemoryBytes })).toMatch(/must be below/);
    expect(syncQueryLimitsProblem({ ...limits, threads: 0 })).toMatch(/threads/);
    expect(syncQueryLimitsProblem({ ...limits, timeLimitMs: 1.5 })).toMatch(/timeLimitMs/);
  });
});

describe('sizes', () => {
  it('reads sizes as DuckDB writes them: decimal and binary units', () => {
    expect(parseByteSize('2GB')).toBe(2e9);
    expect(parseByteSize('512MiB')).toBe(512 * MIB);
    expect(parseByteSize(' 1.5 gib ')).toBe(1.5 * 1024 * MIB);
    expect(parseByteSize('1000b')).toBe(1000);
    for (const bad of ['', '2', 'GB', '-1GB', '2 GiBs', '1e3MB', '0x10MB']) expect(parseByteSize(bad), bad).toBeUndefined();
  });

  it('writes any byte count so that it reads back the same', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 45 }), (bytes) => parseByteSize(byteSizeText(bytes)) === bytes),
      { numRuns: 2000 },
    );
    expect(byteSizeText(5120 * MIB)).toBe('5GiB');
    expect(byteSizeText(1497 * MIB)).toBe('1497MiB');
  });
});

describe('the environment', () => {
  const defaults = localSyncQueryLimits(2);

  it('each variable overrides its limit; unset ones keep the defaults', () => {
    expect(syncQueryLimitsFromEnv({}, defaults)).toEqual(defaults);
    expect(
      syncQueryLimitsFromEnv(
        {
          HOOKLAKE_SYNC_PROCESS_MEMORY_LIMIT: '2GiB',
          HOOKLAKE_SYNC_MEMORY_LIMIT: '1GB',
          HOOKLAKE_SYNC_THREADS: '3',
          HOOKLAKE_SYNC_TEMP_LIMIT: '10GiB',
          HOOKLAKE_SYNC_TIME_LIMIT_SECONDS: '90',
        },
        defaults,
      ),
    ).toEqual({ processMemoryBytes: 2048 * MIB, duckDbMemoryBytes: 1e9, threads: 3, tempBytes: 10_240 * MIB, timeLimitMs: 90_000 });
  });

  it('a bad value is refused naming its variable', () => {
    expect(() => syncQueryLimitsFromEnv({ HOOKLAKE_SYNC_TEMP_LIMIT: 'lots' }, defaults)).toThrow(/HOOKLAKE_SYNC_TEMP_LIMIT/);
    expect(() => syncQueryLimitsFromEnv({ HOOKLAKE_SYNC_THREADS: '0' }, defaults)).toThrow(/HOOKLAKE_SYNC_THREADS/);
    expect(() => syncQueryLimitsFromEnv({ HOOKLAKE_SYNC_TIME_LIMIT_SECONDS: '1.5' }, defaults)).toThrow(/HOOKLAKE_SYNC_TIME_LIMIT_SECONDS/);
    expect(() => syncQueryLimitsFromEnv({ HOOKLAKE_SYNC_MEMORY_LIMIT: '2GiB' }, defaults)).toThrow(/must be below/);
  });
});
