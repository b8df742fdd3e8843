// The asset step's packages (infra/bundling/packages.ts) against a local npm registry: real
// `npm pack` over HTTP, real tarballs. The host's copy when it is the locked version; otherwise
// the registry tarball, verified against the lock file's integrity, cached, and never shipped
// when the hashes differ.
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { create } from 'tar';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { matchesIntegrity, obtainPackage, sha512Integrity } from '../../infra/bundling/packages.ts';

const NAME = '@hooklake-test/binding-linux-x64';
const VERSION = '1.2.3';
const TARBALL_PATH = `/${NAME}/-/binding-linux-x64-${VERSION}.tgz`;

let root: string;
let server: Server;
let registryUrl: string;
let tarball: Buffer;
let requests: string[];

async function makeTarball(dir: string): Promise<Buffer> {
  const src = path.join(dir, 'src');
  mkdirSync(path.join(src, 'package'), { recursive: true });
  writeFileSync(path.join(src, 'package', 'package.json'), JSON.stringify({ name: NAME, version: VERSION }));
  writeFileSync(path.join(src, 'package', 'binding.node'), Buffer.from('\x7fELF fake binding'));
  const file = path.join(dir, 'package.tgz');
  await create({ gzip: true, file, cwd: src, portable: true }, ['package']);
  return readFileSync(file);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'hooklake-packages-'));
  tarball = await makeTarball(root);
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const url = decodeURIComponent(request.url ?? '');
    if (url === `/${NAME}`) {
      // The packument npm reads to find the version's tarball.
      const packument = {
        name: NAME,
        'dist-tags': { latest: VERSION },
        versions: { [VERSION]: { name: NAME, version: VERSION, dist: { tarball: `${registryUrl}${TARBALL_PATH}`, integrity: sha512Integrity(tarball) } } },
      };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
    } else if (url === TARBALL_PATH) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  registryUrl = `http://127.0.0.1:${address.port}`;
  delete process.env.npm_config_registry;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

let work: string;
beforeEach(() => {
  requests = [];
  work = mkdtempSync(path.join(root, 'case-'));
});

/** A project whose lock file records NAME@VERSION with the given integrity, and a user .npmrc naming the local registry. */
function project(integrity: string, hostVersion?: string) {
  const lockFile = path.join(work, 'package-lock.json');
  writeFileSync(lockFile, JSON.stringify({ lockfileVersion: 3, packages: { [`node_modules/${NAME}`]: { version: VERSION, integrity } } }));
  const hostNodeModules = path.join(work, 'node_modules');
  mkdirSync(hostNodeModules);
  if (hostVersion !== undefined) {
    mkdirSync(path.join(hostNodeModules, NAME), { recursive: true });
    writeFileSync(path.join(hostNodeModules, NAME, 'package.json'), JSON.stringify({ name: NAME, version: hostVersion }));
  }
  const userconfig = path.join(work, '.npmrc');
  writeFileSync(userconfig, `registry=${registryUrl}/\n`);
  return {
    lockFile,
    hostNodeModules,
    cacheDir: path.join(work, 'cache'),
    npmEnv: { npm_config_userconfig: userconfig, npm_config_cache: path.join(work, 'npm-cache') },
  };
}

describe('obtainPackage', () => {
  it('uses the host copy when npm installed the locked version here, without asking the registry', async () => {
    const options = project(sha512Integrity(tarball), VERSION);
    expect(await obtainPackage(NAME, options)).toEqual({ dir: path.join(options.hostNodeModules, NAME), source: 'host' });
    expect(requests).toEqual([]);
  });

  it('fetches the locked version from the registry npm is configured with (.npmrc) when the host lacks it, then serves it from the cache', async () => {
    const options = project(sha512Integrity(tarball));
    const fetched = await obtainPackage(NAME, options);
    expect(fetched.source).toBe('registry');
    expect(readFileSync(path.join(fetched.dir, 'binding.node'), 'latin1')).toBe('\x7fELF fake binding');
    expect(requests).toContain(TARBALL_PATH);

    requests = [];
    expect(await obtainPackage(NAME, options)).toEqual({ dir: fetched.dir, source: 'cache' });
    expect(requests).toEqual([]);
  });

  it('does not take a host copy of another version', async () => {
    const options = project(sha512Integrity(tarball), '1.2.2');
    expect((await obtainPackage(NAME, options)).source).toBe('registry');
  });

  it("refuses a tarball whose hash is not the lock file's, names both, and caches nothing", async () => {
    const lockIntegrity = sha512Integrity(Buffer.from('another tarball'));
    const options = project(lockIntegrity);
    await expect(obtainPackage(NAME, options)).rejects.toThrow(
      new RegExp(`${NAME}@${VERSION}.*${sha512Integrity(tarball).slice(0, 20).replace(/[+/]/g, '.')}.*package-lock.json.*refusing`),
    );
    expect(existsSync(path.join(options.cacheDir, NAME + '@' + VERSION))).toBe(false);
    requests = [];
    await expect(obtainPackage(NAME, options)).rejects.toThrow(/refusing/);
    expect(requests.length).toBeGreaterThan(0); // asked again, not served a cached copy
  });

  it('says which package the lock file lacks', async () => {
    const options = project(sha512Integrity(tarball));
    await expect(obtainPackage('@hooklake-test/absent', options)).rejects.toThrow(/@hooklake-test\/absent has no version and integrity/);
  });
});

describe('matchesIntegrity', () => {
  it('checks the sha512 hash among the listed ones and refuses an integrity without one', () => {
    const bytes = Buffer.from('abc');
    expect(matchesIntegrity(bytes, `sha1-xyz ${sha512Integrity(bytes)}`)).toBe(true);
    expect(matchesIntegrity(Buffer.from('abd'), sha512Integrity(bytes))).toBe(false);
    expect(() => matchesIntegrity(bytes, 'sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0=')).toThrow(/no sha512/);
  });
});
