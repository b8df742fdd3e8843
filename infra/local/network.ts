// Where the local stack listens and what follows from it. Every listener (gateway, fauxqs,
// dynalite) binds to HOST only; the emulators have no authentication, so anyone who can reach
// them can read the lake and the table or inject events the fan-out signs with real secrets.
import net, { type AddressInfo, type ListenOptions } from 'node:net';
import ipaddr from 'ipaddr.js';
import { isLoopbackHost } from '../../shared/domain/delivery/ssrf.ts';

export const DEFAULT_HOST = '127.0.0.1';

function isUnspecified(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.process(address).range() === 'unspecified';
}

/** `http://host:port` that a client on this machine can connect to (an unspecified bind address means loopback). */
export function localUrl(host: string, port: number): string {
  const target = isUnspecified(host) ? (net.isIPv6(host) ? '::1' : '127.0.0.1') : host;
  return `http://${net.isIPv6(target) ? `[${target}]` : target}:${port}`;
}

export interface PrivateTargetsPolicy {
  allow: boolean;
  /** Why, for the startup message. */
  reason: string;
}

/**
 * The local stack's HOOKLAKE_ALLOW_PRIVATE_TARGETS: on by default so a receiver on your own
 * machine can be tested, but only while the stack is reachable from this machine alone. With a
 * non-loopback HOST, others could subscribe private addresses of your network, so the default
 * turns off; an explicit `1` still wins.
 */
export function privateTargetsPolicy(host: string, setting: string | undefined): PrivateTargetsPolicy {
  const value = (setting ?? '').trim().toLowerCase();
  if (value === '1' || value === 'true') return { allow: true, reason: 'HOOKLAKE_ALLOW_PRIVATE_TARGETS=1' };
  if (value === '0' || value === 'false') return { allow: false, reason: 'HOOKLAKE_ALLOW_PRIVATE_TARGETS=0' };
  if (value !== '') throw new Error(`HOOKLAKE_ALLOW_PRIVATE_TARGETS must be 0 or 1, got '${setting}'`);
  return isLoopbackHost(host)
    ? { allow: true, reason: 'the default on a loopback HOST; HOOKLAKE_ALLOW_PRIVATE_TARGETS=0 refuses them' }
    : { allow: false, reason: `HOST ${host} is not a loopback address; HOOKLAKE_ALLOW_PRIVATE_TARGETS=1 allows them` };
}

/** Fails unless `server` listens on `host` (a name such as localhost: on a specific address, never all of them). */
export function assertBoundTo(server: net.Server, host: string, what: string): AddressInfo {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${what} is not listening on a TCP port`);
  const matches = ipaddr.isValid(host)
    ? ipaddr.process(address.address).toNormalizedString() === ipaddr.process(host).toNormalizedString()
    : !isUnspecified(address.address);
  if (!matches) throw new Error(`${what} listens on ${address.address}, not on ${host}`);
  return address;
}

/**
 * Runs `start` with the one listen that binds every interface (`host: '0.0.0.0'`) moved to
 * `host`, and returns the server that listened. fauxqs 2.4 has no bind option (its `host` only
 * names queue URLs) and calls Fastify's `listen({ host: '0.0.0.0' })`, which ends in
 * net.Server#listen; that call is rewritten while `start` runs and put back right after.
 * The caller checks the result with assertBoundTo, so a fauxqs that binds another way is
 * refused instead of being exposed.
 */
export async function withBindAllMovedTo<T>(host: string, start: () => Promise<T>): Promise<{ value: T; server: net.Server | undefined }> {
  const listen = net.Server.prototype.listen;
  let server: net.Server | undefined;
  net.Server.prototype.listen = function listenOnHost(this: net.Server, ...args: unknown[]) {
    const [options] = args;
    if (server === undefined && typeof options === 'object' && options !== null && (options as ListenOptions).host === '0.0.0.0') {
      server = this;
      args[0] = { ...(options as ListenOptions), host };
    }
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;
  try {
    const value = await start();
    return { value, server };
  } finally {
    net.Server.prototype.listen = listen;
  }
}
