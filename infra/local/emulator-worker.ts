// Worker-thread entry for startEmulators(): runs the emulators here and reports their endpoints.
import { parentPort, workerData } from 'node:worker_threads';
import { startEmulatorsHere, type EmulatorOptions } from './emulators.ts';

const port = parentPort!;
try {
  const emulators = await startEmulatorsHere(workerData as EmulatorOptions);
  port.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    emulators.stop().then(
      () => port.postMessage({ type: 'stopped' }),
      () => port.postMessage({ type: 'stopped' }),
    );
  });
  port.postMessage({ type: 'ready', endpoints: emulators.endpoints });
} catch (error) {
  port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
