// The local stack (infra/local/stack.ts) in its own process for bench/ingest.ts: in memory, on
// free ports, with the settings `npm start` uses. Prints its StackInfo as one JSON line when
// ready; stops when its stdin closes.
import { startLocalStack } from '../infra/local/stack.ts';
import { untilStdinCloses } from './lib.ts';

const stack = await startLocalStack({ port: 0, functionsInWorker: true });
process.stdout.write(`${JSON.stringify({ ...stack.info, pid: process.pid })}\n`);
await untilStdinCloses();
await stack.stop();
process.exit(0);
