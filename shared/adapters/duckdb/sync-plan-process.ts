// A sync's query runs in a child process of its own, so that its bounds are real. DuckDB allocates
// natively: memory_limit does not cover a string a query builds (`repeat('x', 500000000)` took
// 1 GB under a 100 MB limit), max_temp_directory_size did not stop a sort's spill files, and an
// interrupt is honoured only between vectors. So the child measures its own resident memory (every
// 5 ms) and the disk its run directory holds (every 100 ms), and past either it tells the parent
// and kills itself; the parent kills it at the time bound. Whatever the query did, its memory and
// threads end with the process: the stack or the sync function goes on serving.
//
// The child gets no AWS credential and no Hooklake setting in its environment (an allowlist), and
// runs only planOps (sync-duckdb.ts): locally the entry functions/sync/plan-process.ts; on Lambda
// the function's bundle itself, whose handler module serves a plan when PLAN_PROCESS_ENV is set.
import { fork, type ChildProcess } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { mebibytes, SYNC_QUERY_LIMIT_ENV, type SyncQueryLimits } from '../../domain/syncs/query-limits.ts';
import type { PlanResult } from '../../ports/syncs.ts';
import { SyncQueryError } from '../../ports/syncs.ts';
import type { LakeScope } from './lake-scope.ts';
import { duckDbLimitsOf, planOps, scopeOps, type DuckDbLimits, type PlanInput, type ScopeInput } from './sync-duckdb.ts';

/** Set (to "1") in the child's environment: the entry module serves one plan request instead of starting a handler. */
export const PLAN_PROCESS_ENV = 'HOOKLAKE_SYNC_PLAN_PROCESS';

/** Variables the child keeps from the parent's environment; nothing else reaches it. */
const INHERITED_ENV = ['PATH', 'LD_LIBRARY_PATH', 'TZ', 'LANG', 'LC_ALL', 'HOME', 'TMPDIR'];

const MEMORY_CHECK_MS = 5;
const DISK_CHECK_MS = 100;
/** The child's JavaScript heap: it holds only the request and the plan's counts. */
const CHILD_HEAP_MIB = 128;

export type PlanRequestInput = Omit<PlanInput, keyof DuckDbLimits>;
export type ScopeRequestInput = Omit<ScopeInput, keyof DuckDbLimits>;

type PlanRequest = { memoryBytes: number; tempBytes: number } & ({ kind: 'plan'; input: PlanInput } | { kind: 'scope'; input: ScopeInput });

type PlanReply =
  | { kind: 'planned'; plan: PlanResult }
  | { kind: 'scoped'; scope: LakeScope }
  | { kind: 'failed'; queryError: boolean; message: string }
  | { kind: 'over'; bound: 'memory' | 'disk'; usedBytes: number };

export function isPlanProcess(env: Record<string, string | undefined> = process.env): boolean {
  return env[PLAN_PROCESS_ENV] === '1';
}

export interface PlanProcesses {
  /** Plans in a child process within the limits; a bound passed is a SyncQueryError naming it. */
  plan(input: PlanRequestInput): Promise<PlanResult>;
  /** The partitions and columns the query reads (planned, not run), in a child process within the same limits. */
  scope(input: ScopeRequestInput): Promise<LakeScope>;
  /** Kills the plans in progress and refuses new ones (the engine is stopping): they fail with a plain Error, so their message is tried again. */
  close(): void;
}

export interface PlanProcessOptions {
  /** The module the child runs (it calls servePlanRequest when isPlanProcess()). */
  entry: string;
  limits: SyncQueryLimits;
}

export function planProcesses(options: PlanProcessOptions): PlanProcesses {
  const { limits } = options;
  const live = new Map<ChildProcess, (error: Error) => void>();
  let closed = false;
  const stopped = () => new Error('the sync query was stopped: the sync engine is shutting down');
  const timeBound = () =>
    new SyncQueryError(`the sync query went past its time bound of ${limits.timeLimitMs / 1000} s (${SYNC_QUERY_LIMIT_ENV.timeLimitMs}) and was stopped`);
  const overBound = (reply: Extract<PlanReply, { kind: 'over' }>) =>
    reply.bound === 'memory'
      ? new SyncQueryError(
          `the sync query went past its memory bound: its process reached ${mebibytes(reply.usedBytes)} MiB, over the ` +
            `${mebibytes(limits.processMemoryBytes)} MiB allowed (${SYNC_QUERY_LIMIT_ENV.processMemoryBytes}), and was stopped`,
        )
      : new SyncQueryError(
          `the sync query went past its disk bound: its run directory reached ${mebibytes(reply.usedBytes)} MiB, over the ` +
            `${mebibytes(limits.tempBytes)} MiB allowed (${SYNC_QUERY_LIMIT_ENV.tempBytes}), and was stopped`,
        );

  /**
   * A child forked ahead, its modules and DuckDB loaded, waiting for a request: a run does not
   * wait for the process to start (~0.5 s from the source tree). Unreferenced while it waits.
   */
  let spare: ChildProcess | undefined;
  const fresh = () =>
    fork(options.entry, [], {
      execArgv: [`--max-old-space-size=${CHILD_HEAP_MIB}`],
      env: childEnv(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null && child.connected;
  function take(): ChildProcess {
    const ready = spare;
    spare = undefined;
    if (ready !== undefined && alive(ready)) {
      ready.removeAllListeners();
      ready.ref();
      ready.channel?.ref();
      return ready;
    }
    ready?.kill('SIGKILL');
    return fresh();
  }
  function prepareSpare(): void {
    if (closed || spare !== undefined) return;
    const child = fresh();
    child.unref();
    child.channel?.unref();
    child.on('error', () => undefined);
    child.on('exit', () => {
      if (spare === child) spare = undefined;
    });
    spare = child;
  }

  function run<T>(request: PlanRequest, answer: (reply: PlanReply) => T | undefined): Promise<T> {
      if (closed) return Promise.reject(stopped());
      return new Promise<T>((resolve, reject) => {
        let outcome: { value: T } | { error: Error } | undefined;
        const settle = (value: { value: T } | { error: Error }) => {
          outcome ??= value;
        };
        const child = take();
        live.set(child, (error) => {
          settle({ error });
          child.kill('SIGKILL');
        });
        const timer = setTimeout(() => {
          settle({ error: timeBound() });
          child.kill('SIGKILL');
        }, limits.timeLimitMs);
        child.on('message', (reply: PlanReply) => {
          const value = answer(reply);
          if (value !== undefined) settle({ value });
          else if (reply.kind === 'failed') settle({ error: reply.queryError ? new SyncQueryError(reply.message) : new Error(reply.message) });
          else if (reply.kind === 'over') {
            settle({ error: overBound(reply) });
            child.kill('SIGKILL');
          }
        });
        child.on('error', (error) => settle({ error }));
        // Settled only once the process is gone: its memory and threads are released by then.
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          live.delete(child);
          settle({ error: new SyncQueryError(`the sync query's process ended unexpectedly (${signal ?? `exit code ${code}`})`) });
          if ('value' in outcome!) resolve(outcome.value);
          else reject(outcome!.error);
          prepareSpare();
        });
        child.send(request, (error) => {
          if (error !== null && error !== undefined) settle({ error });
        });
      });
  }
  const bounds = { memoryBytes: limits.processMemoryBytes, tempBytes: limits.tempBytes };

  return {
    plan: (input) => run({ kind: 'plan', input: { ...input, ...duckDbLimitsOf(limits) }, ...bounds }, (reply) => (reply.kind === 'planned' ? reply.plan : undefined)),
    scope: (input) => run({ kind: 'scope', input: { ...input, ...duckDbLimitsOf(limits) }, ...bounds }, (reply) => (reply.kind === 'scoped' ? reply.scope : undefined)),

    close() {
      closed = true;
      spare?.kill('SIGKILL');
      spare = undefined;
      for (const stop of live.values()) stop(stopped());
    },
  };
}

function childEnv(): Record<string, string> {
  const env: Record<string, string> = { [PLAN_PROCESS_ENV]: '1' };
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** The child's side: answers the one request it is sent, watching its own memory and run directory meanwhile, then exits. */
export function servePlanRequest(): void {
  process.once('message', (request: PlanRequest) => void answer(request));
}

async function answer(request: PlanRequest): Promise<never> {
  const reply = (message: PlanReply) =>
    new Promise<void>((resolve) => {
      if (process.send === undefined) resolve();
      else process.send(message, undefined, {}, () => resolve());
    });
  let stopping = false;
  const exceeded = (bound: 'memory' | 'disk', usedBytes: number) => {
    if (stopping) return;
    stopping = true;
    // The parent kills this process on the message too; whichever comes first.
    void reply({ kind: 'over', bound, usedBytes }).finally(() => process.kill(process.pid, 'SIGKILL'));
  };
  const memoryWatch = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > request.memoryBytes) exceeded('memory', rss);
  }, MEMORY_CHECK_MS);
  let measuring = false;
  const diskWatch = setInterval(() => {
    if (measuring) return;
    measuring = true;
    diskUsage(request.input.workDir)
      .then((used) => {
        if (used > request.tempBytes) exceeded('disk', used);
      })
      .catch(() => undefined)
      .finally(() => {
        measuring = false;
      });
  }, DISK_CHECK_MS);
  let answerMessage: PlanReply;
  try {
    answerMessage =
      request.kind === 'scope' ? { kind: 'scoped', scope: await scopeOps(request.input) } : { kind: 'planned', plan: await planOps(request.input) };
  } catch (error) {
    answerMessage = { kind: 'failed', queryError: error instanceof SyncQueryError, message: (error as Error).message };
  }
  clearInterval(memoryWatch);
  clearInterval(diskWatch);
  // Past a bound, the kill that follows the message ends the process.
  if (stopping) await new Promise<never>(() => undefined);
  await reply(answerMessage);
  process.exit(0);
}

/** Bytes of disk the files under `dir` take (allocated blocks: spill files may be sparse). */
async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    try {
      const info = await stat(join(entry.parentPath, entry.name));
      total += info.blocks > 0 ? info.blocks * 512 : info.size;
    } catch {
      // removed meanwhile
    }
  }
  return total;
}
