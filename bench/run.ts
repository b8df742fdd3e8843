// `npm run bench [-- name...]`: runs each benchmark in its own child process, one after another,
// prints a summary table and records each one's figures in bench/results/latest.json, replacing
// only the entries of the benchmarks it ran (see results-file.ts).
//   npm run bench                 all of them
//   npm run bench -- ingest       only ingest (names: ingest, idle, receiver-cpu, receiver-invoke, processor, cold-start, fanout, sync, lake)
// BENCH_* environment variables (e.g. BENCH_INGEST_SECONDS) change what a benchmark measures; the
// entry's `command` records them.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fmt, fmtRatio, RESULT_PREFIX, type BenchResult } from './lib.ts';
import { machineStamp, mergeResults, readResults, reproduceCommand, writeResults, type BenchEntry } from './results-file.ts';

const BENCHMARKS = ['ingest', 'idle', 'receiver-cpu', 'receiver-invoke', 'processor', 'cold-start', 'fanout', 'sync', 'lake'] as const;
type Name = (typeof BENCHMARKS)[number];
/** A benchmark that runs longer than this is killed and reported as failed (lake writes and compacts a day: longer). */
const TIMEOUT_MS = 150_000;
const TIMEOUT_OVERRIDES_MS: Partial<Record<Name, number>> = { lake: 900_000 };

const requested = process.argv.slice(2).filter((arg) => arg !== '--');
const unknown = requested.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${BENCHMARKS.join(', ')}`);
  process.exit(2);
}
const selected: Name[] = requested.length === 0 ? [...BENCHMARKS] : BENCHMARKS.filter((name) => requested.includes(name));

const machine = machineStamp();
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node} (${machine.platform}), ` +
    `load average ${machine.loadAverageAtStart}`,
);
if (machine.loadAverageAtStart > 0.5 * machine.cores) {
  console.log('warning: the machine is busy; figures will be lower and noisier than on an idle one');
}

interface Outcome {
  bench: Name;
  date: string;
  machine: BenchEntry['machine'];
  seconds: number;
  result?: BenchResult;
  error?: string;
}

function runChild(name: Name): Promise<Outcome> {
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const stamp = { date: new Date().toISOString(), machine: machineStamp() };
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let result: BenchResult | undefined;
    let timedOut = false;
    const timeoutMs = TIMEOUT_OVERRIDES_MS[name] ?? TIMEOUT_MS;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length)) as BenchResult;
      else console.log(line);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      if (result !== undefined && code === 0) resolve({ bench: name, ...stamp, seconds, result });
      else {
        const why = timedOut ? `timed out after ${timeoutMs / 1000} s` : `exited with ${code ?? signal}`;
        resolve({ bench: name, ...stamp, seconds, error: result === undefined ? `${why}, no result` : why });
      }
    });
  });
}

const outcomes: Outcome[] = [];
const runStarted = performance.now();
for (const name of selected) {
  console.log(`\n=== ${name} ===`);
  const outcome = await runChild(name);
  console.log(`=== ${name}: ${outcome.error ?? 'done'} in ${outcome.seconds.toFixed(1)} s`);
  outcomes.push(outcome);
}
const totalSeconds = (performance.now() - runStarted) / 1000;

// Summary table.
const header = ['benchmark', 'metric', 'value', 'reference (same run)', 'ratio', 'target'];
const rows: string[][] = [];
for (const outcome of outcomes) {
  if (outcome.result === undefined) {
    rows.push([outcome.bench, `FAILED: ${outcome.error}`, '', '', '', '']);
    continue;
  }
  for (const figure of outcome.result.figures) {
    rows.push([
      outcome.bench,
      figure.metric,
      `${fmt(figure.value)} ${figure.unit}`,
      figure.reference === undefined ? '' : `${fmt(figure.reference.value)} ${figure.reference.unit} (${figure.reference.label})`,
      figure.ratio === undefined ? '' : fmtRatio(figure.ratio),
      figure.target === undefined ? '' : `${figure.target}: ${figure.met === true ? 'met' : 'NOT met'}`,
    ]);
  }
}
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
const line = (cells: string[]) =>
  cells.map((cell, column) => (column === 2 || column === 4 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join(' | ');
console.log(`\nSummary (${machine.cpu}, ${machine.cores} cores, node ${machine.node}; ${totalSeconds.toFixed(0)} s)`);
console.log(line(header));
console.log(widths.map((width) => '-'.repeat(width)).join('-|-'));
let previous = '';
for (const row of rows) {
  console.log(line(row[0] === previous ? ['', ...row.slice(1)] : row));
  previous = row[0]!;
}
for (const outcome of outcomes) for (const note of outcome.result?.notes ?? []) console.log(`note (${outcome.bench}): ${note}`);

const file = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const entries: BenchEntry[] = outcomes.map((outcome) => ({
  bench: outcome.bench,
  date: outcome.date,
  machine: outcome.machine,
  command: reproduceCommand(outcome.bench, process.env),
  seconds: Math.round(outcome.seconds * 10) / 10,
  ...(outcome.error === undefined ? {} : { error: outcome.error }),
  ...(outcome.result === undefined ? {} : { figures: outcome.result.figures, notes: outcome.result.notes, details: outcome.result.details }),
}));
writeResults(file, mergeResults(readResults(file), entries, BENCHMARKS));
console.log(`\nupdated ${selected.join(', ')} in ${file}`);
process.exitCode = outcomes.some((outcome) => outcome.error !== undefined) ? 1 : 0;
