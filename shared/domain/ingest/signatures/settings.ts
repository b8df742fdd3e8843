// A pipeline's signature verification settings: which provider signs its requests and,
// for the generic `hmac` provider, how. The one definition of the providers, their limits and the
// rules a setting must satisfy; the API's schemas and the processor's verifiers are built on it.
import { isCredentialName } from '../credential-names.ts';

export const SIGNATURE_PROVIDERS = ['github', 'stripe', 'shopify', 'slack', 'standard-webhooks', 'hmac'] as const;
export type SignatureProvider = (typeof SIGNATURE_PROVIDERS)[number];

export const HMAC_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

export const SIGNATURE_ENCODINGS = ['hex', 'base64'] as const;
export type SignatureEncoding = (typeof SIGNATURE_ENCODINGS)[number];

/** Active secrets at once: the current one and, during a rotation, the next (or previous) one. */
export const MAX_VERIFICATION_SECRETS = 2;
/** Characters of one secret; two of them, as JSON, stay far below KMS's 4 KiB plaintext limit. */
export const MAX_SECRET_LENGTH = 512;
/** Characters of the generic provider's prefix (`sha256=`). */
export const MAX_PREFIX_LENGTH = 32;
/** Timestamps (Stripe, Slack, Standard Webhooks) further than this from now, either way, are refused. */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;
/**
 * Signatures of one header that are compared at most (Stripe's several `v1=`, Standard Webhooks'
 * several `v1,`), the first ones: a header listing thousands costs no more than this many
 * comparisons. Senders list one per active secret (two during a rotation).
 */
export const MAX_SIGNATURES_PER_HEADER = 8;
/**
 * Items of such a header (comma- or space-separated) looked at, at most: the signatures above, the
 * timestamp and other schemes' entries (Stripe's `v0=`) between them, never the rest of a long header.
 */
export const MAX_HEADER_ITEMS = 4 * MAX_SIGNATURES_PER_HEADER;

/** What the pipeline stores besides the (encrypted) secrets; never a secret. */
export interface VerificationSettings {
  provider: SignatureProvider;
  /** `hmac` only: the header carrying the signature, lower-case. */
  header?: string | undefined;
  /** `hmac` only. */
  algorithm?: HmacAlgorithm | undefined;
  /** `hmac` only. */
  encoding?: SignatureEncoding | undefined;
  /** `hmac` only: text before the encoded digest in the header (`sha256=`), compared exactly. */
  prefix?: string | undefined;
}

/** What a pipeline item holds: the settings, how many secrets, and the secrets encrypted together (a JSON list). */
export interface StoredVerification extends VerificationSettings {
  secretCount: number;
  /** SecretCipher output under the context {pipelineId}; never shown, never logged. */
  secretsCiphertext: string;
}

/** The plaintext that is encrypted: the secrets as a JSON list (one KMS call per pipeline, not per secret). */
export const encodeSecrets = (secrets: readonly string[]): string => JSON.stringify(secrets);

/** The secrets of a decrypted plaintext; throws when it is not a list of strings. */
export function decodeSecrets(plaintext: string): string[] {
  let secrets: unknown;
  try {
    secrets = JSON.parse(plaintext);
  } catch {
    // JSON.parse's message quotes its input: never let a secret reach a log through it.
    throw new Error('verification secrets are not JSON');
  }
  if (!Array.isArray(secrets) || !secrets.every((secret) => typeof secret === 'string')) throw new Error('verification secrets are not a list of strings');
  return secrets;
}

/** RFC 9110 token, the only kind of header name a request can carry. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** Standard Webhooks secrets: `whsec_` and base64 of the key (the libraries accept the bare base64 too). */
const STANDARD_WEBHOOKS_SECRET = /^(?:whsec_)?([A-Za-z0-9+/]{4,}={0,2})$/;

/** Why `settings` with `secrets` cannot verify anything, or undefined when they can. Messages are for humans. */
export function verificationProblem(settings: VerificationSettings, secrets: readonly string[]): string | undefined {
  if (secrets.length < 1 || secrets.length > MAX_VERIFICATION_SECRETS) return `give 1 or ${MAX_VERIFICATION_SECRETS} secrets`;
  if (new Set(secrets).size !== secrets.length) return 'the secrets must differ';
  for (const secret of secrets) {
    if (secret.length < 1 || secret.length > MAX_SECRET_LENGTH) return `a secret is 1 to ${MAX_SECRET_LENGTH} characters`;
    // Spaces inside are fine (GitHub's own example secret has them); around it they are a paste accident.
    if (/\p{Cc}/u.test(secret) || secret.trim() !== secret) return 'a secret has no control characters and no spaces around it';
    if (settings.provider === 'standard-webhooks' && standardWebhooksKey(secret) === undefined) {
      return 'a Standard Webhooks secret is whsec_ followed by base64 (as the sender shows it)';
    }
  }
  const generic = [settings.header, settings.algorithm, settings.encoding, settings.prefix];
  if (settings.provider !== 'hmac') {
    return generic.some((value) => value !== undefined) ? 'header, algorithm, encoding and prefix are for the hmac provider only' : undefined;
  }
  if (settings.header === undefined || settings.algorithm === undefined || settings.encoding === undefined) {
    return 'the hmac provider needs header, algorithm and encoding';
  }
  if (!HEADER_NAME.test(settings.header)) return 'the header must be an HTTP header name';
  // The receiver replaces credential headers by `[redacted]` before queueing: such a header would never verify.
  if (isCredentialName(settings.header.toLowerCase())) {
    return `the header ${settings.header} is redacted as a credential before it is queued (see the redaction list in docs/inbound.md): choose the header the sender signs with`;
  }
  if (settings.prefix !== undefined && (settings.prefix.length > MAX_PREFIX_LENGTH || /[\p{Cc},]/u.test(settings.prefix))) {
    return `the prefix is at most ${MAX_PREFIX_LENGTH} characters, without commas or control characters`;
  }
  return undefined;
}

const PROVIDER_SIGNATURE_HEADER: Record<Exclude<SignatureProvider, 'hmac'>, string> = {
  github: 'x-hub-signature-256',
  stripe: 'stripe-signature',
  shopify: 'x-shopify-hmac-sha256',
  slack: 'x-slack-signature',
  'standard-webhooks': 'webhook-signature',
};
const NO_HEADERS: ReadonlySet<string> = new Set();

/**
 * The (lower-case) signature header the verifier of `settings` reads, as a set: stored as sent,
 * while every other signature header is stored redacted (none without verification).
 */
export function verifiedSignatureHeaders(settings: VerificationSettings | undefined): ReadonlySet<string> {
  if (settings === undefined) return NO_HEADERS;
  return new Set([settings.provider === 'hmac' ? settings.header!.toLowerCase() : PROVIDER_SIGNATURE_HEADER[settings.provider]]);
}

/** The HMAC key of a Standard Webhooks secret (base64 after `whsec_`), or undefined when it is not one. */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  const match = STANDARD_WEBHOOKS_SECRET.exec(secret);
  if (match === null || match[1]!.length % 4 !== 0) return undefined;
  const key = Buffer.from(match[1]!, 'base64');
  return key.length === 0 ? undefined : key;
}
