// Worker-thread entry for startEmulators(): runs the emulators here and reports their endpoints.
import { startEmulatorsHere, type EmulatorOptions } from './emulators.ts';
import { serveInWorker } from './worker-service.ts';

await serveInWorker(async (options: EmulatorOptions) => {
  const emulators = await startEmulatorsHere(options);
  return { info: emulators.endpoints, stop: () => emulators.stop() };
});
