// Runs a long-lived service (the emulators, the functions) in a worker thread of the local stack:
// the parent starts it and waits for it to be ready; `stop()` asks it to shut down cleanly.
import { once } from 'node:events';
import { parentPort, Worker, workerData, type ResourceLimits } from 'node:worker_threads';

type Reply<T> = { type: 'ready'; info: T } | { type: 'error'; message: string } | { type: 'stopped' };

export interface WorkerService<T> {
  info: T;
  /** Why the worker ended on its own (e.g. ERR_WORKER_OUT_OF_MEMORY), undefined while it runs. */
  readonly failure: Error | undefined;
  stop(): Promise<void>;
}

/** Parent side: starts `entry` (a module calling serveInWorker) with `data`, optionally under heap limits. */
export async function startInWorker<T>(
  entry: URL,
  data: unknown,
  what: string,
  options: { resourceLimits?: ResourceLimits | undefined } = {},
): Promise<WorkerService<T>> {
  const worker = new Worker(entry, { workerData: data, ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }) });
  const [reply] = (await Promise.race([
    once(worker, 'message'),
    once(worker, 'error').then(([error]) => Promise.reject(error)),
  ])) as [Reply<T>];
  if (reply.type !== 'ready') {
    await worker.terminate();
    throw new Error(`${what} did not start: ${reply.type === 'error' ? reply.message : reply.type}`);
  }
  let failure: Error | undefined;
  let stopping = false;
  worker.on('error', (error: Error) => {
    failure ??= error;
    console.error(`${what} worker failed:`, error);
  });
  worker.on('exit', (code) => {
    if (!stopping) failure ??= new Error(`${what} worker exited with code ${code}`);
  });
  return {
    info: reply.info,
    get failure() {
      return failure;
    },
    async stop() {
      if (failure !== undefined) return;
      stopping = true;
      worker.postMessage('stop');
      await once(worker, 'message');
      await worker.terminate();
    },
  };
}

/** Worker side: starts the service from the parent's data, reports ready, stops on request. */
export async function serveInWorker<T>(start: (data: never) => Promise<{ info: T; stop(): Promise<void> }>): Promise<void> {
  const port = parentPort!;
  try {
    const service = await start(workerData as never);
    port.on('message', (message: unknown) => {
      if (message !== 'stop') return;
      const stopped = () => port.postMessage({ type: 'stopped' } satisfies Reply<T>);
      service.stop().then(stopped, stopped);
    });
    port.postMessage({ type: 'ready', info: service.info } satisfies Reply<T>);
  } catch (error) {
    port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies Reply<T>);
  }
}
