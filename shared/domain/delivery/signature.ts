// Standard Webhooks signing (https://www.standardwebhooks.com): every outbound delivery carries
// `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>` over
// "<webhook-id>.<webhook-timestamp>.<signed content>", keyed by the decoded `whsec_` secret.
//
// What is signed:
// - POST: the request body, byte for byte as sent.
// - GET: there is no body, so the signed content is the request's query string exactly as sent —
//   everything after the first `?` of the request target, up to (not including) any `#`, still
//   percent-encoded, without the `?` itself; the empty string when there is none. A receiver
//   verifies by passing that raw query string as the payload to any Standard Webhooks library
//   (e.g. `new Webhook(secret).verify(rawQuery, headers)` with JSON parsing off). Path and host are
//   not covered: the secret is per subscription and so per URL already.
//
// `webhook-id` is the message id: the same on every retry of one delivery, so receivers can
// de-duplicate. `webhook-timestamp` is the time of the attempt, so each attempt is signed afresh.
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** Bytes of key material in a secret we generate (the Standard Webhooks range is 24 to 64). */
export const SECRET_BYTES = 24;
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Header-safe message ids: printable ASCII without spaces (the signature format splits on spaces). */
const MESSAGE_ID = /^[\x21-\x7e]{1,255}$/;

export class SigningSecretError extends Error {
  override name = 'SigningSecretError';
}

export interface SignInput {
  /** `whsec_<base64>`; several (space-separated in the header) while a secret is being rotated. */
  secret: string | readonly string[];
  /** The `webhook-id`: stable across the retries of one delivery. */
  msgId: string;
  /** Unix seconds of this attempt (the injected clock's, not Date.now()). */
  timestamp: number;
  /** POST: the exact body; GET: the exact query string (see `signedContentForGet`). */
  payload: string | Uint8Array;
}

export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A fresh signing secret: `whsec_` + base64 of 24 random bytes, the Standard Webhooks format. */
export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The HMAC key inside a `whsec_` secret; refuses malformed or too short/long secrets. */
export function decodeSigningSecret(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new SigningSecretError(`a signing secret starts with '${SECRET_PREFIX}'`);
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) throw new SigningSecretError('a signing secret is base64 after its prefix');
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new SigningSecretError(`a signing secret holds ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes, not ${key.length}`);
  }
  return key;
}

/**
 * `v1,<base64 HMAC-SHA256("msgId.timestamp.payload")>`; with several secrets, one such signature
 * per secret separated by spaces, as the spec allows for key rotation.
 */
export function signPayload(input: SignInput): string {
  if (!MESSAGE_ID.test(input.msgId)) throw new RangeError('webhook-id must be 1 to 255 printable ASCII characters without spaces');
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) throw new RangeError('webhook-timestamp is whole unix seconds');
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  if (secrets.length === 0) throw new SigningSecretError('at least one signing secret is needed');
  const payload = typeof input.payload === 'string' ? Buffer.from(input.payload, 'utf8') : input.payload;
  return secrets
    .map((secret) => {
      const hmac = createHmac('sha256', decodeSigningSecret(secret));
      hmac.update(`${input.msgId}.${input.timestamp}.`, 'utf8');
      hmac.update(payload);
      return `v1,${hmac.digest('base64')}`;
    })
    .join(' ');
}

/** The three Standard Webhooks headers for one attempt. */
export function signatureHeaders(input: SignInput): SignatureHeaders {
  return {
    'webhook-id': input.msgId,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': signPayload(input),
  };
}

/**
 * What a GET delivery signs: the query string of the URL as it goes on the wire (after `?`,
 * before `#`, percent-encoding kept). Pass the URL from `buildGetUrl`, which is already in the form
 * HTTP clients send unchanged.
 */
export function signedContentForGet(url: string): string {
  return new URL(url).search.slice(1);
}

/** Headers for a GET delivery: the signature covers `signedContentForGet(url)`. */
export function signatureHeadersForGet(input: Omit<SignInput, 'payload'> & { url: string }): SignatureHeaders {
  const { url, ...rest } = input;
  return signatureHeaders({ ...rest, payload: signedContentForGet(url) });
}
