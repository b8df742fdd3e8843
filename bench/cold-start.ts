// Cold-start proxy: bundles each Lambda entry as the stack deploys it (infra/bundling/
// esbuild-options.ts, the settings HooklakeFunction gives CDK's NodejsFunction; the AWS SDK
// bundled) and its lazily loaded modules beside it (the receiver's claims.mjs, the api's
// glue-catalog.mjs), then reports each
// bundle's size and the time to import it in a fresh `node` process (median of RUNS).
// Reference, same run: importing an empty module in a fresh process. Budgets (the receiver, which
// runs once per webhook): index.mjs <= 150 KB, load <= 6x the empty module. Bundles go to a temp
// dir, never the repo.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { GLUE_CATALOG_MODULE_FILE } from '../functions/api/app.ts';
import { CLAIMS_MODULE_FILE } from '../functions/receiver/app.ts';
import { LAMBDA_BUNDLE_OPTIONS, type LazyModule } from '../infra/bundling/esbuild-options.ts';
import { ENV } from '../shared/config.ts';
import { median, printResult, type BenchResult, type Figure } from './lib.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../', import.meta.url));
const FUNCTIONS = ['receiver', 'processor', 'api', 'fanout'] as const;
/** What infra/stack.ts builds beside each function's index.mjs. */
const LAZY_MODULES: Record<string, LazyModule[]> = {
  receiver: [{ entry: 'functions/receiver/claims.ts', file: CLAIMS_MODULE_FILE }],
  api: [{ entry: 'functions/api/glue-catalog.ts', file: GLUE_CATALOG_MODULE_FILE }],
};
const RUNS = 7;
const RECEIVER_MAX_KB = 150;
const RECEIVER_MAX_LOAD_RATIO = 6;

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

interface Bundle {
  name: string;
  file: string;
  bytes: number;
  /** Largest inputs by bytes in the output, for the notes. */
  topInputs: { path: string; bytes: number }[];
}

async function bundle(outdir: string, name: string, entry: string, file: string): Promise<Bundle> {
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, file);
  const result = await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [join(REPO, entry)], outfile, metafile: true, absWorkingDir: REPO });
  return { name, file: outfile, bytes: statSync(outfile).size, topInputs: topInputs(result.metafile, outfile) };
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
    const empty = join(outRoot, 'empty.mjs');
    writeFileSync(empty, 'export {};\n');

    const bundles: Bundle[] = [];
    const lazy: Bundle[] = [];
    for (const fn of FUNCTIONS) {
      const outdir = join(outRoot, fn);
      bundles.push(await bundle(outdir, fn, `functions/${fn}/handler.ts`, 'index.mjs'));
      for (const module of LAZY_MODULES[fn] ?? []) lazy.push(await bundle(outdir, `${fn} ${module.file}`, module.entry, module.file));
    }

    // Interleave the runs so drift on the machine hits every bundle alike.
    const times = new Map<string, number[]>([[empty, []], ...[...bundles, ...lazy].map((b) => [b.file, []] as [string, number[]])]);
    await loadMs(empty); // first spawn warms the OS file cache
    for (let i = 0; i < RUNS; i++) {
      for (const file of times.keys()) times.get(file)!.push(await loadMs(file));
    }
    const emptyMs = median(times.get(empty)!);
    console.log(`cold-start: empty module ${emptyMs.toFixed(2)} ms (median of ${RUNS})`);

    const figures: Figure[] = [];
    const details: Record<string, unknown> = { emptyModuleMs: times.get(empty), bundles: {} as Record<string, unknown> };
    for (const b of [...bundles, ...lazy]) {
      const ms = median(times.get(b.file)!);
      const kb = b.bytes / 1024;
      const isReceiver = b.name === 'receiver';
      const label = b.name.includes(' ') ? b.name : `${b.name} index.mjs`;
      console.log(`cold-start: ${label}: ${b.bytes} B (${kb.toFixed(1)} KB), load ${ms.toFixed(1)} ms; biggest: ${b.topInputs.map((t) => `${t.path} ${(t.bytes / 1024).toFixed(0)} KB`).join(', ')}`);
      figures.push({
        metric: `${label} bundle`,
        value: kb,
        unit: 'KB',
        ...(isReceiver ? { target: `<= ${RECEIVER_MAX_KB} KB`, met: kb <= RECEIVER_MAX_KB } : {}),
      });
      figures.push({
        metric: `${label} module load`,
        value: ms,
        unit: 'ms',
        reference: { label: 'empty module', value: emptyMs, unit: 'ms' },
        ratio: ms / emptyMs,
        ratioMeaning: 'bundle / empty module',
        ...(isReceiver ? { target: `<= ${RECEIVER_MAX_LOAD_RATIO}x the empty module`, met: ms / emptyMs <= RECEIVER_MAX_LOAD_RATIO } : {}),
      });
      (details.bundles as Record<string, unknown>)[label] = { bytes: b.bytes, loadMs: times.get(b.file), topInputs: b.topInputs };
    }
    return {
      bench: 'cold-start',
      figures,
      notes: [
        'load = `await import(bundle)` in a fresh node process, handler config and clients built at import; excludes node startup (~tens of ms) and Lambda init',
        `the receiver's ${CLAIMS_MODULE_FILE} (the S3 client) is imported only by a request whose body goes through the claim check; its load is shown apart`,
      ],
      details,
    };
  } finally {
    rmSync(outRoot, { recursive: true, force: true });
  }
}

if (import.meta.main) printResult(await runColdStart());
