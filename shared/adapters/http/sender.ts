// Delivery attempts over HTTP: one keep-alive undici Agent per process, with the SSRF guard in its
// connector, so the address that was checked is the address that is connected to:
// - a hostname is resolved by our own `lookup` (handed to net/tls.connect); every address it
//   resolves to is checked with `checkResolvedAddresses` and only those are given to the socket,
//   so a DNS answer that changes between a check and the connection (rebinding) cannot get through;
// - an IP literal (which net.connect does not look up) is checked with `classifyAddress` before
//   the connector opens the socket;
// - the URL itself goes through `checkTargetUrl` first (scheme, credentials, `localhost`).
// Redirects are not followed (undici follows none without its redirect interceptor): a 3xx is the
// answer, and classifyResponse calls it `redirect`. One attempt is bounded by `timeoutMs` from the
// start (DNS, connect, headers); then at most 1 KB of the body is kept for the log and the rest
// is drained (up to 64 KB, so the connection can be reused) or the connection is dropped.
import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { SNIPPET_BYTES, snippetOf } from '../../domain/delivery/log.ts';
import type { AttemptOutcome } from '../../domain/delivery/retry-policy.ts';
import { checkResolvedAddresses, checkTargetUrl, classifyAddress, isAllowedAddress, type TargetPolicy } from '../../domain/delivery/ssrf.ts';
import type { HttpSender, Resolve } from '../../ports/delivery.ts';

/** Response bytes read past the snippet to keep the connection reusable; beyond it the socket is dropped. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
  readonly code = 'HOOKLAKE_BLOCKED_ADDRESS';
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** DNS with every answer (A and AAAA), in the resolver's order. */
export type LookupAll = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookupAll: LookupAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, order: 'verbatim' }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/** The resolver createSubscription uses: the same DNS as deliveries. */
export function resolverFrom(lookupAll: LookupAll = systemLookupAll): Resolve {
  return async (hostname) => (await lookupAll(hostname.replace(/^\[|\]$/g, ''))).map((entry) => entry.address);
}

export interface HttpSenderOptions {
  allowPrivateTargets: boolean;
  /** Local stack only (ssrf.ts TargetPolicy). */
  allowLoopbackTargets?: boolean | undefined;
  timeoutMs: number;
  /** Injected DNS (tests simulate rebinding with it). */
  lookupAll?: LookupAll;
  /** Sockets per origin; default unlimited. */
  connectionsPerOrigin?: number;
}

export interface ClosableHttpSender extends HttpSender {
  close(): Promise<void>;
}

export function createHttpSender(options: HttpSenderOptions): ClosableHttpSender {
  const policy: TargetPolicy = { allowPrivate: options.allowPrivateTargets, allowLoopback: options.allowLoopbackTargets === true };
  const lookupAll = options.lookupAll ?? systemLookupAll;

  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    lookupAll(hostname).then(
      (answers) => {
        const check = checkResolvedAddresses(
          answers.map((answer) => answer.address),
          policy,
        );
        if (check.verdict === 'refused') {
          const detail = check.reason === 'no_address' ? 'resolves to no address' : `resolves to ${check.address} (${check.addressClass})`;
          callback(new BlockedAddressError(`${hostname} ${detail}`), '', 0);
          return;
        }
        const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const usable = answers.filter((answer) => family === 0 || answer.family === family);
        if (usable.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        if (lookupOptions.all === true) (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

  const baseConnect = buildConnector({ lookup: guardedLookup, timeout: options.timeoutMs });
  const agent = new Agent({
    keepAliveTimeout: 4_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    ...(options.connectionsPerOrigin === undefined ? {} : { connections: options.connectionsPerOrigin }),
    connect(connectOptions, callback) {
      const host = connectOptions.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0 && !isAllowedAddress(classifyAddress(host), policy)) {
        callback(new BlockedAddressError(`${host} is a ${classifyAddress(host)} address`), null);
        return;
      }
      baseConnect(connectOptions, callback);
    },
  });

  return {
    async send(request) {
      const started = performance.now();
      const elapsed = () => performance.now() - started;
      const check = checkTargetUrl(request.url, policy);
      if (check.verdict === 'refused') {
        return { outcome: { error: check.reason === 'blocked_address' ? 'blocked_target' : 'connection' }, latencyMs: 0 };
      }
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, options.timeoutMs);
      let statusCode: number | undefined;
      let latencyMs = 0;
      try {
        const response = await agent.request({
          origin: new URL(request.url).origin,
          path: pathOf(request.url),
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
          signal: controller.signal,
        });
        statusCode = response.statusCode;
        latencyMs = elapsed();
        const responseSnippet = await readSnippet(response.body);
        const outcome: AttemptOutcome = { status: statusCode };
        return { outcome, latencyMs, statusCode, ...(responseSnippet === '' ? {} : { responseSnippet }) };
      } catch (error) {
        if (statusCode !== undefined) {
          // The answer arrived in time; only the body read was cut short.
          return { outcome: { status: statusCode }, latencyMs, statusCode };
        }
        return { outcome: outcomeOfError(error, timedOut), latencyMs: elapsed() };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await agent.close();
    },
  };
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

async function readSnippet(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (keptBytes < SNIPPET_BYTES) {
      const part = chunk.subarray(0, SNIPPET_BYTES - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
    if (total > DRAIN_LIMIT_BYTES) break; // leaving the loop destroys the body (and its socket)
  }
  return snippetOf(Buffer.concat(kept));
}

function outcomeOfError(error: unknown, timedOut: boolean): AttemptOutcome {
  const chain: Array<{ name?: string; code?: string }> = [];
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    chain.push(current as { name?: string; code?: string });
    current = (current as { cause?: unknown }).cause;
    if (current === undefined && current !== null && (chain.at(-1) as { errors?: unknown[] }).errors !== undefined) {
      current = (chain.at(-1) as { errors?: unknown[] }).errors?.[0];
    }
  }
  if (chain.some((e) => e instanceof BlockedAddressError || e.code === 'HOOKLAKE_BLOCKED_ADDRESS')) return { error: 'blocked_target' };
  if (timedOut) return { timedOut: true };
  const codes = chain.map((e) => e.code ?? '');
  if (codes.some((code) => code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT')) return { timedOut: true };
  if (codes.some((code) => code === 'ENOTFOUND' || code === 'EAI_AGAIN')) return { error: 'dns' };
  if (codes.some((code) => code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL'))) return { error: 'tls' };
  return { error: 'connection' };
}
