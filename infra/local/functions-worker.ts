// Worker-thread entry for startFunctionsInWorker(): runs the processor and fan-out pollers here.
import { parentPort, workerData } from 'node:worker_threads';
import { startFunctions, type FunctionsSettings } from './functions.ts';

const port = parentPort!;
try {
  const functions = await startFunctions(workerData as FunctionsSettings);
  port.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    functions.stop().then(
      () => port.postMessage({ type: 'stopped' }),
      () => port.postMessage({ type: 'stopped' }),
    );
  });
  port.postMessage({ type: 'ready' });
} catch (error) {
  port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
