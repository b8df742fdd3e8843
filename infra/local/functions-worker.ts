// Worker-thread entry for startFunctionsInWorker(): runs the processor and fan-out pollers here,
// at a lower scheduling priority than the request path (thread-priority.ts).
import { startFunctions, type FunctionsSettings } from './functions.ts';
import { FUNCTIONS_THREAD_NICE, lowerThreadPriority } from './thread-priority.ts';
import { serveInWorker } from './worker-service.ts';

lowerThreadPriority(FUNCTIONS_THREAD_NICE);

await serveInWorker(async (settings: FunctionsSettings) => {
  const functions = await startFunctions(settings);
  return { info: undefined, stop: () => functions.stop() };
});
