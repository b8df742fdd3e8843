// bench/results/latest.json: the latest result of each benchmark, each stamped with its own date,
// machine and the command that reproduces it. `npm run bench -- NAME` replaces NAME's entry and
// keeps every other entry as it was, stamp included.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { Figure } from './lib.ts';

export interface MachineStamp {
  cpu: string;
  cores: number;
  node: string;
  memoryGiB: number;
  platform: string;
  /** 1-minute load average when the benchmark started: other work on the machine skews every figure. */
  loadAverageAtStart: number;
}

export interface BenchEntry {
  bench: string;
  /** When this benchmark started (ISO 8601). */
  date: string;
  machine: MachineStamp;
  /** Runs this benchmark alone with the same settings, e.g. `npm run bench -- ingest`. */
  command: string;
  seconds: number;
  error?: string;
  figures?: Figure[];
  notes?: string[];
  details?: Record<string, unknown>;
}

export interface ResultsFile {
  benchmarks: BenchEntry[];
}

export function machineStamp(): MachineStamp {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    node: process.version,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform}-${process.arch}`,
    loadAverageAtStart: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** `npm run bench -- NAME`, preceded by NAME's settings in `env` (BENCH_<NAME>_*, e.g. BENCH_INGEST_SECONDS). */
export function reproduceCommand(bench: string, env: NodeJS.ProcessEnv): string {
  const prefix = `BENCH_${bench.toUpperCase().replaceAll('-', '_')}_`;
  const settings = Object.entries(env)
    .filter(([name, value]) => name.startsWith(prefix) && value !== undefined && value !== '')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`);
  return [...settings, `npm run bench -- ${bench}`].join(' ');
}

/**
 * The previous entries with those of this run in their place, in `order` (names not in it last).
 * A benchmark that failed this run is recorded as failed: the file says what the latest run did.
 */
export function mergeResults(previous: ResultsFile, latest: readonly BenchEntry[], order: readonly string[]): ResultsFile {
  const byName = new Map(previous.benchmarks.map((entry) => [entry.bench, entry]));
  for (const entry of latest) byName.set(entry.bench, entry);
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return { benchmarks: [...byName.values()].sort((a, b) => rank(a.bench) - rank(b.bench)) };
}

/** The results file, or no entries when it is missing or not in this format. */
export function readResults(file: string): ResultsFile {
  if (!existsSync(file)) return { benchmarks: [] };
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ResultsFile>;
  const entries = Array.isArray(parsed.benchmarks) ? parsed.benchmarks : [];
  const valid = entries.filter((entry) => typeof entry?.bench === 'string' && typeof entry.date === 'string' && typeof entry.command === 'string');
  if (valid.length !== entries.length) console.log(`${file}: ${entries.length - valid.length} entries without date/command stamp dropped`);
  return { benchmarks: valid };
}

export function writeResults(file: string, results: ResultsFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.partial`;
  writeFileSync(temporary, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(temporary, file);
}
