// Scheduling priority of the local stack's functions thread. On AWS the processor and the fan-out
// run in Lambda instances of their own and never take CPU from the receiver; locally they share
// the machine's cores with the gateway, the receiver and the emulators, and at an equal priority
// a busy processor takes an equal share of them from the request path. Their worker thread
// lowers its own priority instead (a higher nice value): when the cores are contended the
// requests are served first and batch work catches up after; when they are not, nothing changes.
// Linux only, where setpriority on a thread id changes that one thread (elsewhere it would
// change the whole process, so nothing is done).
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The functions thread's nice value: a CFS weight of ~1/10 of a request-path thread's. */
export const FUNCTIONS_THREAD_NICE = 10;

/** This thread's kernel id on Linux (/proc/thread-self is /proc/<pid>/task/<tid>), undefined elsewhere. */
export function currentThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const match = /\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * Lowers the calling thread's priority to `nice` (never raises it) when it is not the process's
 * main thread; returns whether it did. A refusal (a sandbox without setpriority) changes nothing.
 */
export function lowerThreadPriority(nice: number): boolean {
  const tid = currentThreadId();
  if (tid === undefined || tid === process.pid) return false;
  try {
    if (getPriority(tid) >= nice) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
