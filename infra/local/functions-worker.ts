// Worker-thread entry for startFunctionsInWorker(): runs the processor and fan-out pollers here.
import { startFunctions, type FunctionsSettings } from './functions.ts';
import { serveInWorker } from './worker-service.ts';

await serveInWorker(async (settings: FunctionsSettings) => {
  const functions = await startFunctions(settings);
  return { info: undefined, stop: () => functions.stop() };
});
