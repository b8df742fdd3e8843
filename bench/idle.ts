// The local stack at rest: CPU time of its process (gateway, receiver, the functions' worker with
// their SQS pollers, the emulators' worker: everything `npm start` runs) while nothing arrives,
// over BENCH_IDLE_SECONDS (default 10) after it has settled. Target: at most 1% of one core, so
// a stack left running in a terminal costs nothing; no busy polling (the pollers long-poll with
// SQS's 20 s wait, and fauxqs's waiting queues wake on their next deadline, at most once a
// second, instead of every 20 ms: infra/local/fauxqs.ts).
import { printResult, processCpuSeconds, sleep, startAnnouncedChild, type BenchResult } from './lib.ts';

const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
/** After ready: the workers finish loading, the first long polls go out. */
const SETTLE_MS = 3_000;
const TARGET_SHARE = 0.01;

export async function runIdle(): Promise<BenchResult> {
  const stack = await startAnnouncedChild<{ pid: number }>(new URL('./serve-stack.ts', import.meta.url).pathname, { timeoutMs: 60_000 });
  try {
    await sleep(SETTLE_MS);
    const before = await processCpuSeconds(stack.info.pid);
    const started = performance.now();
    await sleep(SECONDS * 1000);
    const after = await processCpuSeconds(stack.info.pid);
    const elapsed = (performance.now() - started) / 1000;
    if (before === undefined || after === undefined) throw new Error('no /proc/<pid>/stat here: the idle benchmark needs Linux');
    const share = (after - before) / elapsed;
    console.log(`idle: ${((after - before) * 1000).toFixed(0)} ms of CPU in ${elapsed.toFixed(1)} s`);
    return {
      bench: 'idle',
      figures: [
        {
          metric: `local stack CPU at rest (${SECONDS} s, nothing arriving)`,
          value: share * 100,
          unit: '% of a core',
          target: `<= ${TARGET_SHARE * 100}% of a core`,
          met: share <= TARGET_SHARE,
        },
      ],
      notes: [`the stack process as npm start runs it (functions and emulators in worker threads), measured from /proc after ${SETTLE_MS / 1000} s to settle; 10 ms clock ticks`],
      details: { seconds: elapsed, cpuSeconds: after - before },
    };
  } finally {
    await stack.stop();
  }
}

if (import.meta.main) printResult(await runIdle());
