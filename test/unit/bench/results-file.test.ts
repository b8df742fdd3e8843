// bench/results/latest.json keeps one entry per benchmark: running one benchmark replaces only its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeResults, readResults, reproduceCommand, writeResults, type BenchEntry } from '../../../bench/results-file.ts';

const ORDER = ['ingest', 'receiver-cpu', 'processor', 'cold-start', 'fanout'];
const machine = (cpu: string, load: number) => ({ cpu, cores: 2, node: 'v24.9.0', memoryGiB: 23.5, platform: 'linux-x64', loadAverageAtStart: load });
const entry = (bench: string, date: string, value: number, cpu = 'AMD EPYC'): BenchEntry => ({
  bench,
  date,
  machine: machine(cpu, 0.5),
  command: `npm run bench -- ${bench}`,
  seconds: 1,
  figures: [{ metric: 'x', value, unit: 'u' }],
  notes: [],
});

const dir = mkdtempSync(join(tmpdir(), 'hooklake-bench-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench results file', () => {
  it('running one benchmark replaces only its entry; the others keep their figures, date and machine', () => {
    const file = join(dir, 'latest.json');
    const earlier = ORDER.map((name, index) => entry(name, '2026-11-23T14:11:50.542Z', index));
    writeResults(file, { benchmarks: earlier });

    const rerun = entry('processor', '2026-11-30T09:00:00.000Z', 99, 'Other CPU');
    writeResults(file, mergeResults(readResults(file), [rerun], ORDER));

    const after = readResults(file).benchmarks;
    expect(after.map((e) => e.bench)).toEqual(ORDER);
    expect(after.find((e) => e.bench === 'processor')).toEqual(rerun);
    expect(after.filter((e) => e.bench !== 'processor')).toEqual(earlier.filter((e) => e.bench !== 'processor'));
  });

  it('a benchmark new to the file is added in benchmark order; a failed run is recorded as failed', () => {
    const previous = { benchmarks: [entry('ingest', 'd1', 1), entry('fanout', 'd1', 2)] };
    const failed: BenchEntry = { ...entry('cold-start', 'd2', 0), figures: undefined, error: 'exited with 1' };
    const merged = mergeResults(previous, [failed], ORDER);
    expect(merged.benchmarks.map((e) => e.bench)).toEqual(['ingest', 'cold-start', 'fanout']);
    expect(merged.benchmarks[1]).toEqual(failed);
  });

  it("the recorded command carries that benchmark's BENCH_<NAME>_* settings and nothing else", () => {
    const env = { BENCH_INGEST_SECONDS: '20', BENCH_FANOUT_DELIVERIES: '500', HOME: '/root', PATH: '/bin' };
    expect(reproduceCommand('ingest', env)).toBe('BENCH_INGEST_SECONDS=20 npm run bench -- ingest');
    expect(reproduceCommand('fanout', env)).toBe('BENCH_FANOUT_DELIVERIES=500 npm run bench -- fanout');
    expect(reproduceCommand('cold-start', env)).toBe('npm run bench -- cold-start');
  });

  it('reads a missing file as no entries, and drops entries without a date and command stamp', () => {
    expect(readResults(join(dir, 'absent.json'))).toEqual({ benchmarks: [] });
    const file = join(dir, 'old.json');
    writeResults(file, { benchmarks: [{ bench: 'ingest', seconds: 3 } as BenchEntry, entry('fanout', 'd', 1)] });
    expect(readResults(file).benchmarks.map((e) => e.bench)).toEqual(['fanout']);
  });
});
