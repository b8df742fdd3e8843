// Shared helpers of the benchmark scripts: result shape, the result line run.ts reads, child
// processes that announce themselves with one JSON line, and a few statistics.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

/** One measured figure; `reference` is the same-run baseline it is compared with. */
export interface Figure {
  metric: string;
  value: number;
  unit: string;
  reference?: { label: string; value: number; unit: string };
  /** value / reference.value (or the inverse for "lower is better"; stated in `ratioMeaning`). */
  ratio?: number;
  ratioMeaning?: string;
  target?: string;
  /** Whether the target is met, when there is one. */
  met?: boolean;
}

export interface BenchResult {
  bench: string;
  figures: Figure[];
  notes: string[];
  /** Anything else worth keeping in the JSON (raw numbers, settings). */
  details?: Record<string, unknown>;
}

/** The last line a benchmark child prints; run.ts parses it. */
export const RESULT_PREFIX = '@@bench-result ';

export function printResult(result: BenchResult): void {
  for (const figure of result.figures) console.log(`  ${describeFigure(figure)}`);
  for (const note of result.notes) console.log(`  note: ${note}`);
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

export function describeFigure(figure: Figure): string {
  let text = `${figure.metric}: ${fmt(figure.value)} ${figure.unit}`;
  if (figure.reference !== undefined) {
    text += ` (ref ${figure.reference.label}: ${fmt(figure.reference.value)} ${figure.reference.unit}`;
    if (figure.ratio !== undefined) text += `, ratio ${fmtRatio(figure.ratio)}`;
    text += ')';
  }
  if (figure.target !== undefined) text += ` [target ${figure.target}: ${figure.met === true ? 'met' : 'NOT met'}]`;
  return text;
}

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** Below 1 as a percentage (stack reaches 16% of bare), from 1 up as a multiple (costs 6.3x). */
export function fmtRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return String(ratio);
  if (ratio < 1) return `${(ratio * 100).toFixed(1)}%`;
  return `${ratio < 10 ? ratio.toFixed(2) : ratio.toFixed(1)}x`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The median item of `items` by `key`: the middle one of an odd count, the lower of the two middle
 * ones of an even count (a ratio held to a floor is not given the better of two).
 */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  return [...items].sort((a, b) => key(a) - key(b))[(items.length - 1) >> 1]!;
}

/** The value at percentile `p` (0–100) of `values`, nearest rank; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const epochMs = () => performance.timeOrigin + performance.now();

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface AnnouncedChild<T> {
  child: ChildProcess;
  info: T;
  /** Asks the child to stop (closes its stdin), then kills it by pid if it lingers. */
  stop(): Promise<void>;
}

/**
 * Starts `node <script>` whose first stdout line is a JSON object describing itself. The child
 * is expected to exit when its stdin closes, so it never outlives this process.
 */
export async function startAnnouncedChild<T>(
  script: string,
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<AnnouncedChild<T>> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...options.env },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not announce itself`)), options.timeoutMs ?? 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as T);
      } catch (error) {
        reject(new Error(`${script}: bad first line ${JSON.stringify(line)}: ${String(error)}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before announcing itself`));
    });
  });
  // Keep draining its output so the pipe never blocks it.
  lines.on('line', () => undefined);
  return {
    child,
    info,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves when stdin closes: how announced children learn that their parent is done. */
export function untilStdinCloses(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.on('data', () => undefined);
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
    process.stdin.resume();
  });
}

/**
 * Child side of startAnnouncedChild for an HTTP server: listens on a free loopback port, announces
 * `{url, pid}`, and closes the server when stdin closes.
 */
export async function serveUntilStdinCloses(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid })}\n`);
  await untilStdinCloses();
  server.closeAllConnections();
  server.close();
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const { readFile } = await import('node:fs/promises');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100; // USER_HZ is 100 on Linux.
  } catch {
    return undefined;
  }
}
