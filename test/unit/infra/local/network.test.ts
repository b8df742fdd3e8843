// Where the local stack listens and what follows from it (infra/local/network.ts). Servers here
// bind 127.0.0.1 only.
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBoundTo, localUrl, privateTargetsPolicy, withBindAllMovedTo } from '../../../../infra/local/network.ts';
import { isLoopbackHost } from '../../../../shared/domain/delivery/ssrf.ts';

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
