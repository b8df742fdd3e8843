// Cold-start proxy: bundles each Lambda entry as CDK's NodejsFunction does (infra/constructs/
// function.ts: esbuild bundle, minify, platform node, target node24, ESM, module-first main
// fields, createRequire banner) twice, (a) AWS SDK bundled in (what the stack deploys) and
// (b) `@aws-sdk/*` external (taken from the nodejs24.x runtime), then reports each bundle's size
// and the time to import it in a fresh `node` process (median of RUNS). Reference, same run:
// importing an empty module in a fresh process. Bundles go to a temp dir, never the repo.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { ENV } from '../shared/config.ts';
import { median, printResult, type BenchResult, type Figure } from './lib.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../', import.meta.url));
const FUNCTIONS = ['receiver', 'processor', 'api', 'fanout'] as const;
const RUNS = 5;
const RECEIVER_MAX_KB = 150;
const LOAD_MAX_MS = 100;

// Same banner as infra/constructs/function.ts.
const BANNER =
  "import { createRequire as __hooklakeCreateRequire } from 'node:module';" +
  'const require = __hooklakeCreateRequire(import.meta.url);';

/**
 * What the handlers read at import (shared/config.ts): the variables the stack sets (infra/stack.ts),
 * so each handler builds the clients it builds on AWS (events queue, KMS) at import.
 */
const HANDLER_ENV = {
  AWS_REGION: 'us-east-1',
  [ENV.ingestQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/ingest',
  [ENV.eventsQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/events',
  [ENV.lakeBucket]: 'bench-lake',
  [ENV.tableName]: 'bench-table',
  [ENV.secretsKmsKeyId]: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
  // No credentials are resolved at import; these only keep the SDK from looking further.
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
};

type Variant = 'sdk-bundled' | 'sdk-external';

interface Bundle {
  fn: string;
  variant: Variant;
  file: string;
  bytes: number;
  /** Largest inputs by bytes in the output, for the notes. */
  topInputs: { path: string; bytes: number }[];
}

async function bundle(outRoot: string, fn: string, variant: Variant): Promise<Bundle> {
  const outdir = join(outRoot, variant, fn);
  mkdirSync(outdir, { recursive: true });
  const file = join(outdir, 'index.mjs');
  const result = await build({
    entryPoints: [join(REPO, 'functions', fn, 'handler.ts')],
    outfile: file,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    sourcemap: false,
    logLevel: 'warning',
    external: variant === 'sdk-external' ? ['@aws-sdk/*'] : [],
    metafile: true,
    absWorkingDir: REPO,
  });
  return { fn, variant, file, bytes: statSync(file).size, topInputs: topInputs(result.metafile, file) };
}

/** Output bytes per package (node_modules/<pkg>) or per project folder. */
function topInputs(metafile: Metafile, file: string): { path: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(([path]) => file.endsWith(path.replace(/^.*\//, '')))?.[1];
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = match ? match[1]! : path.split('/').slice(0, 2).join('/');
    totals.set(key, (totals.get(key) ?? 0) + bytesInOutput);
  }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([path, bytes]) => ({ path, bytes }));
}

/** Milliseconds `await import(file)` takes in a fresh node process. */
async function loadMs(file: string): Promise<number> {
  const script =
    'const t = performance.now(); await import(process.argv[1]); ' +
    'process.stdout.write(String(performance.now() - t)); process.exit(0);';
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(file).href], {
    env: { PATH: process.env.PATH ?? '', ...HANDLER_ENV },
    timeout: 30_000,
  });
  const ms = Number(stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`${file}: unexpected output ${JSON.stringify(stdout)}`);
  return ms;
}

export async function runColdStart(): Promise<BenchResult> {
  const outRoot = mkdtempSync(join(tmpdir(), 'hooklake-bench-bundles-'));
  try {
    // External @aws-sdk/* resolves from node_modules next to the bundle, as the runtime's SDK would.
    symlinkSync(join(REPO, 'node_modules'), join(outRoot, 'node_modules'), 'dir');
    const empty = join(outRoot, 'empty.mjs');
    writeFileSync(empty, 'export {};\n');

    const bundles: Bundle[] = [];
    for (const variant of ['sdk-bundled', 'sdk-external'] as const) {
      for (const fn of FUNCTIONS) bundles.push(await bundle(outRoot, fn, variant));
    }

    // Interleave the runs so drift on the machine hits every bundle alike.
    const times = new Map<string, number[]>([[empty, []], ...bundles.map((b) => [b.file, []] as [string, number[]])]);
    await loadMs(empty); // first spawn warms the OS file cache
    for (let i = 0; i < RUNS; i++) {
      for (const file of times.keys()) times.get(file)!.push(await loadMs(file));
    }
    const emptyMs = median(times.get(empty)!);
    console.log(`cold-start: empty module ${emptyMs.toFixed(2)} ms (median of ${RUNS})`);

    const figures: Figure[] = [];
    const details: Record<string, unknown> = { emptyModuleMs: times.get(empty), bundles: {} as Record<string, unknown> };
    for (const b of bundles) {
      const ms = median(times.get(b.file)!);
      const kb = b.bytes / 1024;
      const name = `${b.fn} (${b.variant})`;
      console.log(`cold-start: ${name}: ${b.bytes} B (${kb.toFixed(1)} KB), load ${ms.toFixed(1)} ms; biggest: ${b.topInputs.map((t) => `${t.path} ${(t.bytes / 1024).toFixed(0)} KB`).join(', ')}`);
      const isReceiver = b.fn === 'receiver';
      figures.push({
        metric: `${name} bundle`,
        value: kb,
        unit: 'KB',
        ...(isReceiver ? { target: `<= ${RECEIVER_MAX_KB} KB`, met: kb <= RECEIVER_MAX_KB } : {}),
      });
      figures.push({
        metric: `${name} module load`,
        value: ms,
        unit: 'ms',
        reference: { label: 'empty module', value: emptyMs, unit: 'ms' },
        ratio: ms / emptyMs,
        ratioMeaning: 'bundle / empty module',
        ...(isReceiver ? { target: `<= ${LOAD_MAX_MS} ms`, met: ms <= LOAD_MAX_MS } : {}),
      });
      (details.bundles as Record<string, unknown>)[name] = { bytes: b.bytes, loadMs: times.get(b.file), topInputs: b.topInputs };
    }
    return {
      bench: 'cold-start',
      figures,
      notes: [
        'load = `await import(bundle)` in a fresh node process, handler config and SDK clients built at import; excludes node startup (~tens of ms) and Lambda init',
        'sdk-external resolves @aws-sdk/* from the repo node_modules (unbundled, many files), standing in for the runtime SDK',
      ],
      details,
    };
  } finally {
    rmSync(outRoot, { recursive: true, force: true });
  }
}

if (import.meta.main) printResult(await runColdStart());
