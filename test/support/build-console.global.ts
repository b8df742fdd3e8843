// Vitest global setup: the api function's asset and the local stack serve console/dist, which is
// built, never committed; build it before any file runs, so `npx vitest run <file>` works alone too.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function buildConsole(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build-console.mjs', import.meta.url))], { stdio: 'inherit' });
}
