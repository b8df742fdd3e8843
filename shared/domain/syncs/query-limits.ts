// What bounds one sync run's query. A sync's SQL is user input: it runs in a child process of its
// own (shared/adapters/duckdb/sync-plan-process.ts) whose resident memory, run directory and wall-clock
// time are watched, so no query can take the stack or the sync function down with it. DuckDB's own
// settings (memory_limit, threads, max_temp_directory_size) make ordinary heavy queries spill and
// slow down before they reach those bounds.

export interface SyncQueryLimits {
  /** Resident memory of the query's process, bytes: past it the process is killed and the run fails. */
  processMemoryBytes: number;
  /** DuckDB's memory_limit, bytes: operators spill to disk beyond it. Below processMemoryBytes. */
  duckDbMemoryBytes: number;
  /** DuckDB's worker threads. */
  threads: number;
  /** Disk the query may fill in its run directory (spill files, the row-ops it writes), bytes. */
  tempBytes: number;
  /** Wall-clock time of the query, ms. */
  timeLimitMs: number;
}

/** The environment variables that set each limit (config.ts ENV names them too; messages name the bound passed). */
export const SYNC_QUERY_LIMIT_ENV = {
  processMemoryBytes: 'HOOKLAKE_SYNC_PROCESS_MEMORY_LIMIT',
  duckDbMemoryBytes: 'HOOKLAKE_SYNC_MEMORY_LIMIT',
  threads: 'HOOKLAKE_SYNC_THREADS',
  tempBytes: 'HOOKLAKE_SYNC_TEMP_LIMIT',
  timeLimitMs: 'HOOKLAKE_SYNC_TIME_LIMIT_SECONDS',
} as const satisfies Record<keyof SyncQueryLimits, string>;

const MIB = 1024 * 1024;

/** Lambda gives a function one vCPU's worth of CPU per 1,769 MB of memory (at most 6). */
const LAMBDA_MB_PER_VCPU = 1769;
/** Of the query process's memory, DuckDB's buffer manager gets this share: the rest is what it allocates outside it (strings, results) and Node. */
const DUCKDB_SHARE_OF_PROCESS = 0.6;

/**
 * The bounds inside a sync function of `memoryMiB`, `timeoutSeconds` and `ephemeralStorageMiB`:
 * the query's process gets the memory but 512 MiB (the handler's own process, the AWS SDK, the
 * row-op reader), half of /tmp (the lake mirror has the other half) and the timeout but 5 minutes
 * (mirroring the lake before, uploading the row-ops and the first chunk after).
 */
export function lambdaSyncQueryLimits(fn: { memoryMiB: number; timeoutSeconds: number; ephemeralStorageMiB: number }): SyncQueryLimits {
  const processMiB = fn.memoryMiB - 512;
  if (processMiB < 256) throw new Error(`a sync function needs at least 768 MB of memory, not ${fn.memoryMiB}`);
  const timeLimitSeconds = fn.timeoutSeconds - 300;
  if (timeLimitSeconds < 60) throw new Error(`a sync function needs a timeout of at least 6 minutes, not ${fn.timeoutSeconds} s`);
  return {
    processMemoryBytes: processMiB * MIB,
    duckDbMemoryBytes: Math.floor(processMiB * DUCKDB_SHARE_OF_PROCESS) * MIB,
    threads: Math.min(6, Math.max(1, Math.ceil(fn.memoryMiB / LAMBDA_MB_PER_VCPU))),
    tempBytes: Math.floor(fn.ephemeralStorageMiB / 2) * MIB,
    timeLimitMs: timeLimitSeconds * 1000,
  };
}

/**
 * The local stack's defaults on a machine with `cores` CPUs: 1 GiB for the query's process, half
 * the cores (the emulators and the gateway keep the rest), 4 GiB of spill, 5 minutes.
 */
export function localSyncQueryLimits(cores: number): SyncQueryLimits {
  const processMiB = 1024;
  return {
    processMemoryBytes: processMiB * MIB,
    duckDbMemoryBytes: Math.floor(processMiB * DUCKDB_SHARE_OF_PROCESS) * MIB,
    threads: Math.max(1, Math.floor(cores / 2)),
    tempBytes: 4096 * MIB,
    timeLimitMs: 300_000,
  };
}

/** Why a set of limits cannot work, or undefined. */
export function syncQueryLimitsProblem(limits: SyncQueryLimits): string | undefined {
  const { processMemoryBytes, duckDbMemoryBytes, threads, tempBytes, timeLimitMs } = limits;
  for (const [name, value] of Object.entries({ processMemoryBytes, duckDbMemoryBytes, threads, tempBytes, timeLimitMs })) {
    if (!Number.isSafeInteger(value) || value < 1) return `${name} must be a positive whole number, not ${value}`;
  }
  if (duckDbMemoryBytes >= processMemoryBytes) {
    return `DuckDB's memory limit (${byteSizeText(duckDbMemoryBytes)}) must be below the query process's (${byteSizeText(processMemoryBytes)}): DuckDB allocates beyond it`;
  }
  return undefined;
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: MIB, gib: 1024 * MIB, tib: 1024 * 1024 * MIB };

/** Bytes of a size written as DuckDB writes it (`2GB` = 2·10⁹, `512MiB` = 512·2²⁰), or undefined. */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)\s*$/i.exec(text);
  if (match === null) return undefined;
  const bytes = Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A size DuckDB's settings accept, exact to the byte where it can be (`1536MiB`, `4GiB`, `1000b`). */
export function byteSizeText(bytes: number): string {
  if (bytes % (1024 * MIB) === 0) return `${bytes / (1024 * MIB)}GiB`;
  if (bytes % MIB === 0) return `${bytes / MIB}MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024}KiB`;
  return `${bytes}b`;
}

/** Whole MiB, for messages. */
export const mebibytes = (bytes: number): number => Math.round(bytes / MIB);
