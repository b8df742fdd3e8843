// Where the local stack listens and what follows from it (infra/local/network.ts), and its state
// files (infra/local/state-files.ts). Servers here bind 127.0.0.1 only.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBoundTo, localUrl, privateTargetsPolicy, withBindAllMovedTo } from '../../infra/local/network.ts';
import { isLoopbackHost } from '../../shared/domain/delivery/ssrf.ts';
import { prepareDataDir, writePrivateFile } from '../../infra/local/state-files.ts';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '[::1]', 'localhost', 'LOCALHOST', 'localhost.'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', '172.16.0.1', '203.0.113.7', 'fe80::1', '[fe80::1]', '::ffff:127.0.0.1', 'my-laptop.local', 'example.com', 'localhost.example.com'])(
    '%s is not loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});

describe('privateTargetsPolicy (HOOKLAKE_ALLOW_PRIVATE_TARGETS of the local stack)', () => {
  it('defaults to on for a loopback HOST and off for any other', () => {
    expect(privateTargetsPolicy('127.0.0.1', undefined).allow).toBe(true);
    expect(privateTargetsPolicy('localhost', '').allow).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'my-laptop.local']) {
      const policy = privateTargetsPolicy(host, undefined);
      expect(policy.allow, host).toBe(false);
      expect(policy.reason).toBe(`HOST ${host} is not a loopback address; HOOKLAKE_ALLOW_PRIVATE_TARGETS=1 allows them`);
    }
  });

  it('follows an explicit setting whatever the HOST', () => {
    expect(privateTargetsPolicy('0.0.0.0', '1').allow).toBe(true);
    expect(privateTargetsPolicy('0.0.0.0', 'true').allow).toBe(true);
    expect(privateTargetsPolicy('127.0.0.1', '0').allow).toBe(false);
    expect(privateTargetsPolicy('127.0.0.1', 'false').allow).toBe(false);
    expect(() => privateTargetsPolicy('127.0.0.1', 'yes')).toThrow(/must be 0 or 1/);
  });
});

describe('localUrl', () => {
  it('brackets IPv6 and connects to loopback when bound to an unspecified address', () => {
    expect(localUrl('127.0.0.1', 3000)).toBe('http://127.0.0.1:3000');
    expect(localUrl('::1', 3000)).toBe('http://[::1]:3000');
    expect(localUrl('0.0.0.0', 3000)).toBe('http://127.0.0.1:3000');
    expect(localUrl('::', 3000)).toBe('http://[::1]:3000');
    expect(localUrl('localhost', 1)).toBe('http://localhost:1');
  });
});

describe('withBindAllMovedTo (how fauxqs is kept off other interfaces)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it("moves a listen({ host: '0.0.0.0' }) made while it runs to the given host, and puts net.Server#listen back", async () => {
    const original = net.Server.prototype.listen;
    const { value, server } = await withBindAllMovedTo('127.0.0.1', async () => {
      const created = createServer();
      servers.push(created);
      await new Promise<void>((resolve) => created.listen({ port: 0, host: '0.0.0.0' }, resolve));
      return created;
    });
    expect(server).toBe(value);
    expect((value.address() as net.AddressInfo).address).toBe('127.0.0.1');
    expect(assertBoundTo(value, '127.0.0.1', 'the test server').address).toBe('127.0.0.1');
    expect(net.Server.prototype.listen).toBe(original);
  });

  it('leaves a listen that names its address alone, and restores net.Server#listen when start fails', async () => {
    const original = net.Server.prototype.listen;
    const { value, server } = await withBindAllMovedTo('::1', async () => {
      const named = createServer();
      servers.push(named);
      await new Promise<void>((resolve) => named.listen(0, '127.0.0.1', resolve));
      return named;
    });
    expect(server).toBeUndefined();
    expect((value.address() as net.AddressInfo).address).toBe('127.0.0.1');
    await expect(
      withBindAllMovedTo('127.0.0.1', async () => {
        throw new Error('start failed');
      }),
    ).rejects.toThrow('start failed');
    expect(net.Server.prototype.listen).toBe(original);
  });

  it('assertBoundTo refuses a server on another address than the host', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    expect(() => assertBoundTo(server, '127.0.0.2', 'the test server')).toThrow('the test server listens on 127.0.0.1, not on 127.0.0.2');
    expect(() => assertBoundTo(server, 'localhost', 'the test server')).not.toThrow();
  });
});

describe('local stack state files', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8);

  it('creates the data dir 0700, nested, and tightens an existing one to 0700', () => {
    root = mkdtempSync(join(tmpdir(), 'hooklake-state-'));
    const fresh = join(root, 'a', 'b', '.data');
    prepareDataDir(fresh);
    expect(mode(fresh)).toBe('700');
    const wide = join(root, 'wide');
    prepareDataDir(wide);
    chmodSync(wide, 0o775);
    prepareDataDir(wide);
    expect(mode(wide)).toBe('700');
  });

  it('refuses a shared sticky directory (like /tmp) instead of chmod-ing it', () => {
    root = mkdtempSync(join(tmpdir(), 'hooklake-state-'));
    const shared = join(root, 'shared');
    prepareDataDir(shared);
    chmodSync(shared, 0o1777);
    expect(() => prepareDataDir(shared)).toThrow(/sticky/);
    expect(mode(shared)).toBe('1777');
  });

  it('writes stack.json 0600 even over a 0644 file, whole, leaving no temporary file', () => {
    root = mkdtempSync(join(tmpdir(), 'hooklake-state-'));
    const file = join(root, 'stack.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o644);
    writePrivateFile(file, '{"adminToken":"hla_x"}\n');
    expect(mode(file)).toBe('600');
    expect(readFileSync(file, 'utf8')).toBe('{"adminToken":"hla_x"}\n');
    writePrivateFile(join(root, 'new.json'), '{}');
    expect(mode(join(root, 'new.json'))).toBe('600');
    expect(readdirSync(root).sort()).toEqual(['new.json', 'stack.json']);
    expect(existsSync(`${file}.${process.pid}.tmp`)).toBe(false);
  });
});
