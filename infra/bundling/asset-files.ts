// The asset step after esbuild (HooklakeFunction's afterBundling hook runs `node asset-files.ts
// <plan>`): builds a function's lazily loaded modules into files of their own and copies
// directories and packages beside its bundle, in Node, on any platform.
import { cpSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE_OPTIONS } from './esbuild-options.ts';
import { obtainPackage, type ObtainOptions } from './packages.ts';

export interface AssetFilesPlan {
  outputDir: string;
  /**
   * Modules bundled on their own, with the settings of index.mjs (esbuild-options.ts), to
   * `outputDir/<file>`: the function imports them at run time only when it needs them.
   */
  bundles?: { entry: string; file: string }[];
  /** Packages left out of those bundles, as out of index.mjs. */
  external?: string[];
  /** Directories copied as they are (`to` relative to outputDir). */
  copies: { from: string; to: string }[];
  /** Packages copied to outputDir/node_modules/<name>, at their locked versions. */
  packages: string[];
  lockFile: string;
  hostNodeModules: string;
  cacheDir: string;
}

export function encodePlan(plan: AssetFilesPlan): string {
  return Buffer.from(JSON.stringify(plan), 'utf8').toString('base64url');
}

export function decodePlan(text: string): AssetFilesPlan {
  return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as AssetFilesPlan;
}

export async function writeAssetFiles(plan: AssetFilesPlan, extra: Pick<ObtainOptions, 'npmEnv' | 'log'> = {}): Promise<void> {
  for (const { entry, file } of plan.bundles ?? []) {
    await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [entry], outfile: path.join(plan.outputDir, file), external: plan.external ?? [] });
  }
  for (const { from, to } of plan.copies) copyDirectory(from, path.join(plan.outputDir, to));
  for (const name of plan.packages) {
    const { dir } = await obtainPackage(name, {
      lockFile: plan.lockFile,
      hostNodeModules: plan.hostNodeModules,
      cacheDir: plan.cacheDir,
      ...extra,
    });
    copyDirectory(dir, path.join(plan.outputDir, 'node_modules', ...name.split('/')));
  }
}

function copyDirectory(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  // Symbolic links (workspaces, pnpm) are copied as the files they point at: the zip needs real files.
  cpSync(from, to, { recursive: true, dereference: true, force: true });
}

if (import.meta.main) {
  const encoded = process.argv[2];
  if (encoded === undefined) throw new Error('usage: node asset-files.ts <encoded plan>');
  await writeAssetFiles(decodePlan(encoded), { log: (line) => process.stderr.write(`${line}\n`) });
}
