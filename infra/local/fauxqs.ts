// fauxqs, loaded when the emulators start and without SQLite's experimental warning. fauxqs
// imports node:sqlite, which Node 24 still marks experimental: loading it prints
// "ExperimentalWarning: SQLite is an experimental feature…" once in every thread that loads it
// (the stack's main thread and its emulator worker), to people who cannot act on it. Only that
// warning is dropped, matched by type and text; every other warning still prints. Loading fauxqs
// here rather than at import also keeps it out of threads that merely start the emulator worker.
//
// Its long polls wake on deadlines instead of every 20 ms (wakeWaitingQueuesOnDeadlines): with the
// stack's pollers waiting on three queues, that timer was the whole of an idle stack's CPU.
// A receive from a long queue takes its messages off the queue's front in one move, not one move
// of the whole array per message (receiveFromLongQueuesInOneMove): under load the ingest queue
// holds thousands of messages, and those moves were most of fauxqs's own CPU.
import type { startFauxqs as StartFauxqs } from 'fauxqs';

export async function startFauxqs(...options: Parameters<typeof StartFauxqs>): ReturnType<typeof StartFauxqs> {
  silenceSqliteExperimentalWarning();
  const fauxqs = await import('fauxqs');
  await wakeWaitingQueuesOnDeadlines();
  await receiveFromLongQueuesInOneMove();
  return fauxqs.startFauxqs(...options);
}

/**
 * The parts of fauxqs 2.x's SqsQueue (dist/sqs/sqsStore.js) that its long-poll timer uses. While a
 * ReceiveMessage waits, fauxqs runs processTimers() every 20 ms to move expired in-flight and
 * delayed messages back to the queue; sends and visibility 0 wake the waiters directly.
 */
interface FauxqsQueue {
  pollTimer: NodeJS.Timeout | undefined;
  pollWaiters: unknown[];
  inflightMessages: Map<string, { visibilityDeadline: number }>;
  delayedMessages: { delayUntil?: number }[];
  fifoDelayed: Map<string, { delayUntil?: number }[]>;
  processTimers(): void;
  startPollTimerIfNeeded(): void;
}

/**
 * The longest a waiting queue's timer sleeps. SQS counts visibility timeouts and delays in whole
 * seconds, so a deadline made after the timer was set falls at least 1 s later, never before it
 * fires: sleeping until the earliest deadline, at most 1 s, misses none and is not late.
 */
export const MAX_QUEUE_TIMER_SLEEP_MS = 1000;

/** The earliest moment one of the queue's in-flight or delayed messages becomes visible. */
export function nextQueueDeadline(queue: Pick<FauxqsQueue, 'inflightMessages' | 'delayedMessages' | 'fifoDelayed'>): number {
  let earliest = Infinity;
  for (const entry of queue.inflightMessages.values()) earliest = Math.min(earliest, entry.visibilityDeadline);
  for (const message of queue.delayedMessages) if (message.delayUntil !== undefined) earliest = Math.min(earliest, message.delayUntil);
  for (const group of queue.fifoDelayed.values()) for (const message of group) if (message.delayUntil !== undefined) earliest = Math.min(earliest, message.delayUntil);
  return earliest;
}

/** How long a waiting queue's timer sleeps from `now`: until its next deadline, 1 ms to MAX_QUEUE_TIMER_SLEEP_MS. */
export function queueTimerSleepMs(nextDeadline: number, now: number): number {
  return Math.min(MAX_QUEUE_TIMER_SLEEP_MS, Math.max(1, nextDeadline - now));
}

/**
 * The prototype of fauxqs's SqsQueue, typed as the parts a caller relies on (each checks them).
 * The store is not among the package's exports; its file, resolved beside the entry point, is the
 * module instance the package itself loads.
 */
export async function fauxqsQueuePrototype<T>(): Promise<T | undefined> {
  const storeUrl = new URL('./sqs/sqsStore.js', import.meta.resolve('fauxqs'));
  const { SqsQueue } = (await import(storeUrl.href)) as { SqsQueue?: { prototype: T } };
  return SqsQueue?.prototype;
}

let queueTimersPatched: boolean | undefined;

/**
 * Replaces fauxqs's 20 ms interval with a timer set for the queue's next deadline (at most 1 s
 * away), re-armed while a long poll still waits. fauxqs clears it as it cleared the interval
 * (clearInterval takes a timeout too). Returns whether the patch applies: a fauxqs whose
 * internals differ keeps its own timer (correct, only busier) and a test says so.
 */
export async function wakeWaitingQueuesOnDeadlines(): Promise<boolean> {
  if (queueTimersPatched !== undefined) return queueTimersPatched;
  const prototype = await fauxqsQueuePrototype<FauxqsQueue>();
  if (prototype === undefined || typeof prototype.startPollTimerIfNeeded !== 'function' || typeof prototype.processTimers !== 'function') {
    return (queueTimersPatched = false);
  }
  queueTimersPatched = true;
  const arm = (queue: FauxqsQueue): void => {
    queue.pollTimer = setTimeout(() => {
      queue.pollTimer = undefined;
      queue.processTimers();
      if (queue.pollWaiters.length > 0 && queue.pollTimer === undefined) arm(queue);
    }, queueTimerSleepMs(nextQueueDeadline(queue), Date.now()));
  };
  prototype.startPollTimerIfNeeded = function startPollTimerOnDeadline(this: FauxqsQueue) {
    if (this.pollTimer === undefined) arm(this);
  };
  return true;
}

/** The parts of fauxqs 2.x's SqsQueue that its standard queues' receive uses. */
interface FauxqsStandardQueue {
  messages: unknown[];
  isFifo(): boolean;
  dequeue(maxCount: number, visibilityTimeoutOverride: number | undefined, dlqResolver: unknown): unknown[];
}
type Dequeue = FauxqsStandardQueue['dequeue'];

/** Queues at least this long are received from in one move per receive (below it, a shift per message is cheap). */
export const LONG_QUEUE_MESSAGES = 1024;

/**
 * fauxqs's dequeue, for a long standard queue: the messages a receive can take (10 at most) are
 * spliced off the front at once and the original dequeue runs over just them, instead of calling
 * shift() on the whole queue per message (V8 moves all of a large array's elements on each
 * shift: ~5 µs a message at 40,000 queued). The same messages come out in the same order with
 * the same effects; what the original leaves in that short array (messages its own timer pass
 * made visible again, which it appends to the queue) goes to the queue's end, where it put them,
 * and messages it moved to the dead-letter queue are made up from the next ones, as it does.
 */
export function dequeueInOneMove(dequeue: Dequeue): Dequeue {
  return function dequeueFromLongQueue(this: FauxqsStandardQueue, maxCount, visibilityTimeoutOverride, dlqResolver) {
    const queued = this.messages;
    if (this.isFifo() || !Array.isArray(queued) || queued.length < LONG_QUEUE_MESSAGES) return dequeue.call(this, maxCount, visibilityTimeoutOverride, dlqResolver);
    const wanted = Math.min(maxCount, 10);
    const received: unknown[] = [];
    try {
      while (received.length < wanted && queued.length > 0) {
        const front = queued.splice(0, wanted - received.length);
        this.messages = front;
        received.push(...dequeue.call(this, front.length, visibilityTimeoutOverride, dlqResolver));
        for (const message of front) queued.push(message);
      }
    } finally {
      this.messages = queued;
    }
    return received;
  };
}

let longQueuesPatched: boolean | undefined;

/** Installs dequeueInOneMove on fauxqs's SqsQueue; false (and fauxqs's own dequeue kept) when its internals differ. */
export async function receiveFromLongQueuesInOneMove(): Promise<boolean> {
  if (longQueuesPatched !== undefined) return longQueuesPatched;
  const prototype = await fauxqsQueuePrototype<FauxqsStandardQueue>();
  if (prototype === undefined || typeof prototype.dequeue !== 'function' || typeof prototype.isFifo !== 'function' || prototype.dequeue.length !== 3) {
    return (longQueuesPatched = false);
  }
  prototype.dequeue = dequeueInOneMove(prototype.dequeue);
  return (longQueuesPatched = true);
}

const SQLITE_EXPERIMENTAL = /^SQLite is an experimental feature\b/;
let silenced = false;

/** Drops Node's ExperimentalWarning about node:sqlite in this thread; idempotent. */
export function silenceSqliteExperimentalWarning(): void {
  if (silenced) return;
  silenced = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = function emitWarningExceptSqlite(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    if (isSqliteExperimentalWarning(warning, rest[0])) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}

/** `emitWarning(message, 'ExperimentalWarning')`, `(message, { type })` or an Error named so. */
function isSqliteExperimentalWarning(warning: string | Error, typeOrOptions: unknown): boolean {
  const message = typeof warning === 'string' ? warning : warning.message;
  const type =
    typeof warning !== 'string'
      ? warning.name
      : typeof typeOrOptions === 'string'
        ? typeOrOptions
        : (typeOrOptions as { type?: unknown } | undefined)?.type;
  return type === 'ExperimentalWarning' && SQLITE_EXPERIMENTAL.test(message);
}
