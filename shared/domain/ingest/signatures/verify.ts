// Signature verification per provider (the table in docs/inbound.md, "Verifying senders' signatures").
// Pure: node:crypto only. Each verifier computes one HMAC per secret over the exact received body,
// then compares it in constant time (timingSafeEqual on equal-length buffers) with at most
// MAX_SIGNATURES_PER_HEADER signatures of the header, so neither a long header nor many signatures
// costs more than a small bound. Only a body is ever signed: a request whose data is in its query
// string (a GET) is refused before any signature is looked at (verifyReceived).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { receivedBodyText } from '../message.ts';
import type { BodyFormat } from '../kondado.ts';
import type { CapturedHeaders } from '../request-capture.ts';
import {
  MAX_HEADER_ITEMS,
  MAX_SIGNATURES_PER_HEADER,
  standardWebhooksKey,
  TIMESTAMP_TOLERANCE_SECONDS,
  type HmacAlgorithm,
  type SignatureEncoding,
  type VerificationSettings,
} from './settings.ts';

export type SignatureRejection = 'bad_signature' | 'missing_signature' | 'stale_timestamp' | 'unsigned_request';
export type VerificationResult = { ok: true } | { ok: false; reason: SignatureRejection };

export interface SignedRequest {
  /** The captured headers (lower-case names). */
  headers: CapturedHeaders | undefined;
  /** The body exactly as received (JSON as posted, a form's raw text). */
  body: string;
  /** Now, in epoch seconds. */
  nowSeconds: number;
}

/** Checks one request; built once per pipeline and secrets (verifierFor). */
export type Verifier = (request: SignedRequest) => VerificationResult;

const OK: VerificationResult = { ok: true };
const missing: VerificationResult = { ok: false, reason: 'missing_signature' };
const bad: VerificationResult = { ok: false, reason: 'bad_signature' };
const stale: VerificationResult = { ok: false, reason: 'stale_timestamp' };
const unsigned: VerificationResult = { ok: false, reason: 'unsigned_request' };

/** A request as the processor holds it once its content is at hand. */
export interface ReceivedRequest {
  format: BodyFormat;
  headers: CapturedHeaders | undefined;
  /** The stored body text, and the posted text when it differs (form posts). */
  body: string;
  raw?: string | undefined;
  /** When the request arrived, in epoch seconds. */
  nowSeconds: number;
}

/**
 * Checks a request to a pipeline that verifies signatures. Its data must be what a signature
 * covers: a GET carries its data in the query string, which no provider signs (and whose raw text
 * holds the token, so it is never queued to be checked), so it is unsigned_request whatever its
 * headers say; otherwise one HMAC of the empty body, the same forever, would land any GET.
 */
export function verifyReceived(verifier: Verifier, request: ReceivedRequest): VerificationResult {
  if (request.format === 'query') return unsigned;
  const body = receivedBodyText(request.format, request);
  // A form message queued before the raw text was kept: nothing the sender signed is at hand.
  if (body === undefined) return bad;
  return verifier({ headers: request.headers, body, nowSeconds: request.nowSeconds });
}

type Key = string | Buffer;

/** HMAC of the parts, in order (the body is hashed in place, never concatenated). */
function hmac(algorithm: HmacAlgorithm, key: Key, parts: readonly string[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part, 'utf8');
  return mac.digest();
}

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A signature's bytes, or undefined when it is not `encoding` of `length` bytes (then it cannot match). */
function decodeSignature(text: string, encoding: SignatureEncoding, length: number): Buffer | undefined {
  if (encoding === 'hex') {
    return text.length === length * 2 && HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
  }
  if (text.length !== Math.ceil(length / 3) * 4 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === length ? bytes : undefined;
}

/**
 * Whether any of `candidates` is one of `expected`, in constant time per pair. The parsers hand
 * over at most MAX_SIGNATURES_PER_HEADER candidates.
 */
function anyMatches(expected: readonly Buffer[], candidates: readonly string[], encoding: SignatureEncoding): boolean {
  let matched = false;
  for (const candidate of candidates) {
    const bytes = decodeSignature(candidate, encoding, expected[0]!.length);
    if (bytes === undefined) continue;
    // Every pair is compared (no early exit), so the time does not say which secret matched.
    for (const digest of expected) matched = timingSafeEqual(bytes, digest) || matched;
  }
  return matched;
}

/** Whether `timestamp` (decimal epoch seconds as sent) is within the tolerance of now, either way. */
function timestampFresh(timestamp: string, nowSeconds: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(Number(timestamp) - nowSeconds) <= TIMESTAMP_TOLERANCE_SECONDS;
}

const header = (headers: CapturedHeaders | undefined, name: string): string | undefined => {
  const value = headers !== undefined && Object.hasOwn(headers, name) ? headers[name] : undefined;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

/**
 * The verifier of a pipeline's settings with its active secrets (one or two). Settings are assumed
 * valid (verificationProblem); a Standard Webhooks secret that is not base64 is skipped.
 */
export function verifierFor(settings: VerificationSettings, secrets: readonly string[]): Verifier {
  switch (settings.provider) {
    case 'github':
      return prefixed('x-hub-signature-256', 'sha256=', 'sha256', 'hex', secrets);
    case 'shopify':
      return prefixed('x-shopify-hmac-sha256', '', 'sha256', 'base64', secrets);
    case 'hmac':
      return prefixed(settings.header!.toLowerCase(), settings.prefix ?? '', settings.algorithm!, settings.encoding!, secrets);
    case 'stripe':
      return stripe(secrets);
    case 'slack':
      return slack(secrets);
    case 'standard-webhooks':
      return standardWebhooks(secrets.map(standardWebhooksKey).filter((key) => key !== undefined));
  }
}

/** `<prefix><encoded HMAC(body)>` in one header: GitHub, Shopify, the generic provider. */
function prefixed(name: string, prefix: string, algorithm: HmacAlgorithm, encoding: SignatureEncoding, secrets: readonly Key[]): Verifier {
  return ({ headers, body }) => {
    const value = header(headers, name);
    if (value === undefined) return missing;
    if (!value.startsWith(prefix)) return bad;
    const expected = secrets.map((secret) => hmac(algorithm, secret, [body]));
    return anyMatches(expected, [value.slice(prefix.length)], encoding) ? OK : bad;
  };
}

/**
 * `Stripe-Signature: t=<epoch>,v1=<hex>[,v1=<hex>…][,v0=…]`, HMAC-SHA256 of `<t>.<body>` keyed by
 * the whole `whsec_…` secret. The signature is checked first, so a replayed genuine request is told
 * apart (stale_timestamp) from a forged one (bad_signature).
 */
function stripe(secrets: readonly string[]): Verifier {
  return ({ headers, body, nowSeconds }) => {
    const value = header(headers, 'stripe-signature');
    if (value === undefined) return missing;
    let timestamp: string | undefined;
    const signatures: string[] = [];
    // Only as far as needed: the timestamp and the first signatures, however long the header.
    for (const item of value.split(',', MAX_HEADER_ITEMS)) {
      const equals = item.indexOf('=');
      const name = item.slice(0, equals).trim();
      if (name === 't' && timestamp === undefined) timestamp = item.slice(equals + 1).trim();
      else if (name === 'v1' && signatures.length < MAX_SIGNATURES_PER_HEADER) signatures.push(item.slice(equals + 1).trim());
    }
    if (timestamp === undefined || signatures.length === 0 || !/^\d{1,12}$/.test(timestamp)) return bad;
    const expected = secrets.map((secret) => hmac('sha256', secret, [timestamp, '.', body]));
    if (!anyMatches(expected, signatures, 'hex')) return bad;
    return timestampFresh(timestamp, nowSeconds) ? OK : stale;
  };
}

/** `X-Slack-Signature: v0=<hex HMAC-SHA256 of v0:<timestamp>:<body>>`, `X-Slack-Request-Timestamp` within the tolerance. */
function slack(secrets: readonly string[]): Verifier {
  return ({ headers, body, nowSeconds }) => {
    const signature = header(headers, 'x-slack-signature');
    const timestamp = header(headers, 'x-slack-request-timestamp');
    if (signature === undefined || timestamp === undefined) return missing;
    if (!signature.startsWith('v0=') || !/^\d{1,12}$/.test(timestamp)) return bad;
    const expected = secrets.map((secret) => hmac('sha256', secret, ['v0:', timestamp, ':', body]));
    if (!anyMatches(expected, [signature.slice(3)], 'hex')) return bad;
    return timestampFresh(timestamp, nowSeconds) ? OK : stale;
  };
}

/**
 * Standard Webhooks: `webhook-signature: v1,<base64> [v1,<base64>…]` (space-separated), HMAC-SHA256
 * of `<webhook-id>.<webhook-timestamp>.<body>` keyed by the base64-decoded secret.
 */
function standardWebhooks(keys: readonly Buffer[]): Verifier {
  return ({ headers, body, nowSeconds }) => {
    const id = header(headers, 'webhook-id');
    const timestamp = header(headers, 'webhook-timestamp');
    const value = header(headers, 'webhook-signature');
    if (id === undefined || timestamp === undefined || value === undefined) return missing;
    if (!/^\d{1,12}$/.test(timestamp) || keys.length === 0) return bad;
    const signatures: string[] = [];
    for (const item of value.split(' ', MAX_HEADER_ITEMS)) {
      if (item.startsWith('v1,') && signatures.length < MAX_SIGNATURES_PER_HEADER) signatures.push(item.slice(3));
    }
    const expected = keys.map((key) => hmac('sha256', key, [id, '.', timestamp, '.', body]));
    if (!anyMatches(expected, signatures, 'base64')) return bad;
    return timestampFresh(timestamp, nowSeconds) ? OK : stale;
  };
}
