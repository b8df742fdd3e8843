// A newcomer's first commands, run as they would run them: the machine's own npm, npx and node
// first on PATH (this machine's node is v20; the project runs on the Node 24 in node_modules),
// no npm_* variables from the `npm test` that runs this file, an empty npx cache. Their stderr
// must not carry npm's EBADENGINE warnings or Node's SQLite ExperimentalWarning.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const SQLITE_WARNING = /ExperimentalWarning: SQLite/;
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hooklake-first-run-'));
  temporary.push(dir);
  return dir;
}

/** The environment of a shell on this machine: no node_modules/.bin on PATH, no npm_* settings. */
function systemEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(name) && name !== 'HOOKLAKE_LOG_LEVEL') env[name] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && !dir.split(sep).includes('node_modules'))
    .join(delimiter);
  return {
    ...env,
    // A first run: nothing in npx's cache yet. No registry check for a newer npm (no network here).
    npm_config_cache: tempDir(),
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

const systemNodeVersion = spawnSync('node', ['--version'], { env: systemEnv(), encoding: 'utf8' }).stdout.trim();

describe(`first run with the system's node (${systemNodeVersion}) first on PATH`, () => {
  it('npx hooklake --help on an empty npx cache prints the help and no EBADENGINE warning', async () => {
    const { stdout, stderr } = await run('npx', ['hooklake', '--help'], { cwd: REPO, env: systemEnv() });
    expect(stdout).toContain('Usage: hooklake');
    expect(stderr).not.toContain('EBADENGINE');
  });

  it('bin/hooklake.js started by the system node runs the CLI on the project Node 24', async () => {
    const { stdout, stderr } = await run('node', [join(REPO, 'bin/hooklake.js'), '--help'], { cwd: tempDir(), env: systemEnv() });
    expect(stdout).toContain('Usage: hooklake');
    expect(stderr).toBe('');
  });

  it.skipIf(Number(systemNodeVersion.slice(1).split('.')[0]) >= 24)(
    'bin/hooklake.js on an older node that cannot switch to Node 24 says how to fix it and exits 1',
    async () => {
      const failed = await run('node', [join(REPO, 'bin/hooklake.js'), '--help'], {
        env: systemEnv({ HOOKLAKE_CLI_RERUN: '1' }),
      }).catch((error: { code: number; stderr: string }) => error);
      expect(failed).toMatchObject({ code: 1 });
      expect((failed as { stderr: string }).stderr).toContain('run `npm rebuild node`');
    },
  );

  it('npm start reaches "ready" with neither EBADENGINE nor the SQLite ExperimentalWarning on stderr', async () => {
    const dataDir = tempDir();
    const child = spawn('npm', ['start'], {
      cwd: REPO,
      env: systemEnv({ PORT: '0', HOOKLAKE_SQS_PORT: '0', HOOKLAKE_DYNAMODB_PORT: '0', HOOKLAKE_DATA_DIR: dataDir }),
      // Its own process group, so the stop below reaches npm, node and nothing else.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start not ready in 40 s; stderr: ${stderr}`)), 40_000);
        child.stdout!.on('data', () => {
          if (stdout.includes('local stack is ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then(() => reject(new Error(`npm start exited early; stderr: ${stderr}`)));
      });
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
      await exited;
    }
    expect(stdout).toContain('stopping…');
    expect(stderr).not.toContain('EBADENGINE');
    expect(stderr).not.toMatch(SQLITE_WARNING);
  }, 60_000);
});

describe('the SQLite warning filter of the local stack', () => {
  const script = (silence: boolean) =>
    `import { silenceSqliteExperimentalWarning } from ${JSON.stringify(join(REPO, 'infra/local/fauxqs.ts'))};
     ${silence ? 'silenceSqliteExperimentalWarning();' : ''}
     process.emitWarning('Widgets are an experimental feature', 'ExperimentalWarning');
     await import('node:sqlite');`;
  const stderrOf = async (silence: boolean) =>
    (await run(process.execPath, ['--input-type=module', '-e', script(silence)], { cwd: REPO })).stderr;

  it('drops the node:sqlite ExperimentalWarning and still prints every other ExperimentalWarning', async () => {
    const unfiltered = await stderrOf(false);
    expect(unfiltered).toMatch(SQLITE_WARNING);
    const filtered = await stderrOf(true);
    expect(filtered).toContain('ExperimentalWarning: Widgets are an experimental feature');
    expect(filtered).not.toMatch(SQLITE_WARNING);
  });
});
