// The functions thread lowers its own scheduling priority and no other thread's (Linux).
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { currentThreadId, lowerThreadPriority } from '../../../../infra/local/thread-priority.ts';

const linux = process.platform === 'linux';

describe.runIf(linux)('lowerThreadPriority', () => {
  it('renices the calling worker thread only, never raises it, and leaves the main thread alone', async () => {
    const mainBefore = getPriority(process.pid);
    const module = new URL('../../../../infra/local/thread-priority.ts', import.meta.url).href;
    const worker = new Worker(
      `const { lowerThreadPriority, currentThreadId } = await import(${JSON.stringify(module)});
       const { parentPort } = await import('node:worker_threads');
       const { getPriority } = await import('node:os');
       const tid = currentThreadId();
       const lowered = lowerThreadPriority(10);
       const again = lowerThreadPriority(5);
       parentPort.postMessage({ tid, lowered, again, nice: getPriority(tid) });
       parentPort.once('message', () => process.exit(0));`,
      { eval: true },
    );
    try {
      const reply = await new Promise<{ tid: number; lowered: boolean; again: boolean; nice: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(reply.tid).not.toBe(process.pid);
      expect(reply.lowered).toBe(true);
      expect(reply.again).toBe(false); // 5 would raise it back: refused
      expect(reply.nice).toBe(10);
      expect(getPriority(reply.tid)).toBe(10);
      expect(getPriority(process.pid)).toBe(mainBefore);
    } finally {
      worker.postMessage('exit');
      await worker.terminate();
    }
  });

  it('does nothing on the main thread', () => {
    expect(currentThreadId()).toBe(process.pid);
    expect(lowerThreadPriority(10)).toBe(false);
  });
});
