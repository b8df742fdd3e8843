// `npm start` exposes nothing beyond HOST: every socket the process listens on (gateway, fauxqs,
// dynalite, anything else, worker threads included) is bound to 127.0.0.1, its state is owner-only,
// and a non-loopback HOST turns private outbound targets off and says so before anything listens.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningSockets, startStackProcess, stopStackProcess, type StackProcess } from '../support/stack-process.ts';

const mode = (path: string) => statSync(path).mode & 0o7777;
const portOf = (url: string) => Number(new URL(url).port);

describe('npm start on the default HOST', () => {
  let root: string;
  let dataDir: string;
  let stack: StackProcess | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'hooklake-exposure-'));
    dataDir = join(root, 'data');
    // A data dir and a stack.json left with wide modes, as an older version or a copy would.
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'stack.json'), '{}\n');
    chmodSync(join(dataDir, 'stack.json'), 0o644);
    stack = await startStackProcess({ dataDir });
  });
  afterAll(async () => {
    await stopStackProcess(stack);
    rmSync(root, { recursive: true, force: true });
  });

  it('listens on exactly three sockets, the gateway, fauxqs and dynalite, each on 127.0.0.1 only', () => {
    const sockets = listeningSockets(stack!.child.pid!);
    const { apiUrl, endpoints } = stack!.info;
    expect(sockets.map((socket) => socket.port).sort()).toEqual([portOf(apiUrl), portOf(endpoints.sqs), portOf(endpoints.dynamodb)].sort());
    expect(sockets.map((socket) => socket.address)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    expect([apiUrl, endpoints.sqs, endpoints.s3, endpoints.dynamodb].map((url) => new URL(url).hostname)).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
    ]);
  });

  it('tightens an existing data dir to 0700 and an existing stack.json to 0600', () => {
    expect(mode(dataDir).toString(8)).toBe('700');
    expect(mode(join(dataDir, 'stack.json')).toString(8)).toBe('600');
    expect(JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')).adminToken).toMatch(/^hla_/);
  });

  it('allows private targets on a loopback HOST and says why', () => {
    expect(stack!.info.allowPrivateTargets).toBe(true);
    expect(stack!.output()).toMatch(/private\/loopback addresses: ALLOWED \(the default on a loopback HOST/);
  });
});

describe('npm start on a non-loopback HOST', () => {
  // 203.0.113.7 (TEST-NET-3) is on no interface of this machine: binding it fails (or, with
  // nonlocal binds allowed, takes traffic from nowhere), so nothing is exposed and no packet is sent.
  it('warns before anything listens, and refuses private targets unless told otherwise', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hooklake-exposure-'));
    const child = spawn(process.execPath, [resolve(import.meta.dirname, '../../infra/local/main.ts')], {
      env: {
        ...process.env,
        HOST: '203.0.113.7',
        PORT: '0',
        HOOKLAKE_SQS_PORT: '0',
        HOOKLAKE_DYNAMODB_PORT: '0',
        HOOKLAKE_DATA_DIR: join(root, 'data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = once(child, 'exit');
    const outcome = await Promise.race([
      exited.then(() => 'exited' as const),
      new Promise<'ready'>((resolveReady) => child.stdout.on('data', () => output.includes('is ready') && resolveReady('ready'))),
      new Promise<'timeout'>((resolveTimeout) => setTimeout(() => resolveTimeout('timeout'), 20_000)),
    ]);
    try {
      expect(output).toContain('WARNING: HOST=203.0.113.7 is not a loopback address');
      expect(output).toContain(
        'Outbound targets on private/loopback addresses: refused (HOST 203.0.113.7 is not a loopback address; HOOKLAKE_ALLOW_PRIVATE_TARGETS=1 allows them)',
      );
      if (outcome === 'ready') {
        expect(output.indexOf('WARNING')).toBeLessThan(output.indexOf('is ready'));
        expect(JSON.parse(readFileSync(join(root, 'data', 'stack.json'), 'utf8')).allowPrivateTargets).toBe(false);
      } else {
        expect(outcome).toBe('exited');
        expect(output).toMatch(/EADDRNOTAVAIL|address not available/i);
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(root, { recursive: true, force: true });
    }
  });
});
