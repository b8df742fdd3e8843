// Packages a Lambda asset ships beside its bundle (native modules esbuild cannot bundle), obtained
// for the Lambda's platform whatever the host's: the copy npm installed here when it is the locked
// version, else the registry tarball of that exact version, checked against package-lock.json's
// integrity and cached. Plain Node (no shell tools), so `cdk synth` works on macOS, Windows and
// ARM Linux as on linux-x64. Run by the asset step (asset-files.ts), never inside a Lambda.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { extract } from 'tar';

export interface LockedPackage {
  name: string;
  version: string;
  /** Subresource integrity from package-lock.json, e.g. `sha512-…`. */
  integrity: string;
}

/** Where a package came from: npm's own install on this host, the cache, or the registry just now. */
export type PackageSource = 'host' | 'cache' | 'registry';

export interface ObtainOptions {
  lockFile: string;
  /** The host's node_modules (a package there is used when it is the locked version). */
  hostNodeModules: string;
  /** Extracted registry packages, one directory per name@version; kept across synths. */
  cacheDir: string;
  /** Working directory of `npm pack` (its project .npmrc applies). Default: the lock file's directory. */
  npmCwd?: string;
  /** Extra environment for `npm pack` (tests point it at a local registry). */
  npmEnv?: Record<string, string>;
  log?: (line: string) => void;
}

/** The entry for `node_modules/<name>` in package-lock.json (lockfile v2/v3). */
export function lockedPackage(lockFile: string, name: string): LockedPackage {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { packages?: Record<string, { version?: string; integrity?: string }> };
  const entry = lock.packages?.[`node_modules/${name}`];
  if (entry?.version === undefined || entry.integrity === undefined) {
    throw new Error(`${name} has no version and integrity in ${lockFile}: run npm install so the lock file records it`);
  }
  return { name, version: entry.version, integrity: entry.integrity };
}

/** `sha512-<base64>` of the bytes, the form package-lock.json records. */
export function sha512Integrity(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** Whether the bytes match one of the integrity's sha512 hashes (a lock entry may list several algorithms). */
export function matchesIntegrity(bytes: Uint8Array, integrity: string): boolean {
  const expected = integrity.split(/\s+/).filter((hash) => hash.startsWith('sha512-'));
  if (expected.length === 0) throw new Error(`integrity ${integrity} has no sha512 hash to check against`);
  const actual = sha512Integrity(bytes);
  return expected.includes(actual);
}

function installedVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

const INTEGRITY_FILE = '.integrity';

/** The directory of `name` at its locked version, fetched from the registry only when neither the host nor the cache has it. */
export async function obtainPackage(name: string, options: ObtainOptions): Promise<{ dir: string; source: PackageSource }> {
  const locked = lockedPackage(options.lockFile, name);
  const hostDir = path.join(options.hostNodeModules, ...name.split('/'));
  if (installedVersion(hostDir) === locked.version) return { dir: hostDir, source: 'host' };

  const entryDir = path.join(options.cacheDir, ...`${name}@${locked.version}`.split('/'));
  const cachedDir = path.join(entryDir, 'package');
  const marker = path.join(entryDir, INTEGRITY_FILE);
  if (existsSync(marker) && readFileSync(marker, 'utf8') === locked.integrity && installedVersion(cachedDir) === locked.version) {
    return { dir: cachedDir, source: 'cache' };
  }

  options.log?.(`${name}@${locked.version} is not installed here (npm installs it only on its own platform): fetching it from the npm registry`);
  mkdirSync(path.dirname(entryDir), { recursive: true });
  const work = mkdtempSync(`${entryDir}.tmp-`);
  try {
    const tarball = await npmPack(`${name}@${locked.version}`, work, options);
    const bytes = readFileSync(tarball);
    if (!matchesIntegrity(bytes, locked.integrity)) {
      throw new Error(
        `${name}@${locked.version}: the registry's tarball (${sha512Integrity(bytes)}) does not match package-lock.json (${locked.integrity}); refusing to ship it`,
      );
    }
    const extracted = path.join(work, 'extracted');
    mkdirSync(extracted);
    // npm tarballs hold one top directory, `package/`.
    await extract({ file: tarball, cwd: extracted, strict: true });
    if (installedVersion(path.join(extracted, 'package')) !== locked.version) {
      throw new Error(`${name}@${locked.version}: the tarball holds no package/package.json of that version`);
    }
    writeFileSync(path.join(extracted, INTEGRITY_FILE), locked.integrity);
    rmSync(entryDir, { recursive: true, force: true });
    renameSync(extracted, entryDir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { dir: cachedDir, source: 'registry' };
}

/**
 * `npm pack <spec>` downloads the registry tarball with npm's own configuration: the registry and
 * its credentials from .npmrc / npm config, proxies, npm's cache. Run on the npm that runs this
 * synth when there is one (npm_execpath), so no shell is needed on any platform.
 */
async function npmPack(spec: string, destination: string, options: ObtainOptions): Promise<string> {
  const { file, args, shell } = npmCommand();
  const cwd = options.npmCwd ?? path.dirname(options.lockFile);
  const run = promisify(execFile);
  try {
    await run(file, [...args, 'pack', spec, '--pack-destination', destination, '--ignore-scripts', '--silent'], {
      cwd,
      env: { ...process.env, ...options.npmEnv },
      shell,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(`npm pack ${spec} failed (is the npm registry reachable? npm config get registry): ${detail}`);
  }
  const tarballs = readdirSync(destination).filter((entry) => entry.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack ${spec} left ${tarballs.length} tarballs in ${destination}`);
  return path.join(destination, tarballs[0]!);
}

function npmCommand(): { file: string; args: string[]; shell: boolean } {
  // npm and npx set npm_execpath to their CLI script; run npm's with this Node.
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && /np[mx]-cli\.js$/.test(execPath)) {
    const npmCli = path.join(path.dirname(execPath), 'npm-cli.js');
    if (existsSync(npmCli)) return { file: process.execPath, args: [npmCli], shell: false };
  }
  // Windows runs npm through its npm.cmd shim, which needs a shell.
  return process.platform === 'win32' ? { file: 'npm.cmd', args: [], shell: true } : { file: 'npm', args: [], shell: false };
}
