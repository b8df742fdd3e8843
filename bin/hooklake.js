#!/usr/bin/env node
// The `hooklake` CLI. Node 24 runs the TypeScript sources directly (type stripping). `npx hooklake`
// puts the project's Node 24 (node_modules/.bin) first on PATH; started by an older Node (the
// system's, e.g. `./bin/hooklake.js` from a shell), the CLI runs itself again on that Node 24.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isSupportedNode, projectNode, wrongNodeMessage } from '../scripts/node-version.mjs';

/** Set on the re-run, so a node_modules/.bin/node that is itself too old cannot loop. */
const RERUN_MARK = 'HOOKLAKE_CLI_RERUN';

if (isSupportedNode()) {
  const { main } = await import('../cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} else if (existsSync(projectNode) && process.env[RERUN_MARK] === undefined) {
  const rerun = spawnSync(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [RERUN_MARK]: '1' },
  });
  if (rerun.error !== undefined) throw rerun.error;
  if (rerun.signal !== null) process.kill(process.pid, rerun.signal);
  process.exitCode = rerun.status ?? 1;
} else {
  console.error(wrongNodeMessage('the hooklake command'));
  process.exitCode = 1;
}
