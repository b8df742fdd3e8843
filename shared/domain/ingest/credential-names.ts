// Which header and query parameter names carry credentials: one rule set for both (docs/inbound.md,
// "What else is kept of each request", lists it). The receiver applies it to headers and query
// parameters before anything is queued (request-capture.ts); signature headers, which the
// processor's verifier may need, are redacted by the processor before anything is stored.
//
// A name is compared in lower case, as words: the runs of letters and digits between any other
// characters (`-`, `_`, `.`, `[`, `]`, ...), digits at a word's end left out (`token2`, `-256`).

/** What a credential's value becomes. */
export const REDACTED = '[redacted]';

/**
 * The headers providers sign requests with, and their timestamps and ids: never credentials, since
 * signature verification needs them (the list wins if a credential rule ever matched one). The
 * signatures among them are signatures like any other (see below).
 */
export const SIGNATURE_HEADERS: ReadonlySet<string> = new Set([
  'x-hub-signature-256',
  'x-hub-signature',
  'stripe-signature',
  'x-shopify-hmac-sha256',
  'x-slack-signature',
  'x-slack-request-timestamp',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

/**
 * A name with one of these words anywhere, as one word or split in two (`api-key`, `private_key`),
 * is a credential: `authorization`, `x-auth-user`, `set-cookie`, `x-session-id`, `bearer`,
 * `x-api-key-id`.
 */
export const CREDENTIAL_WORDS: ReadonlySet<string> = new Set([
  'accesskey',
  'apikey',
  'auth',
  'authenticate',
  'authentication',
  'authorization',
  'bearer',
  'cookie',
  'credential',
  'credentials',
  'jwt',
  'passphrase',
  'passwd',
  'password',
  'privatekey',
  'pwd',
  'secret',
  'session',
  'sessionid',
  'token',
]);

/**
 * A name whose last word ends in one of these is a credential: `x-functions-key`,
 * `ocp-apim-subscription-key`, `apikey`, `access_token`, `accessToken`, `client_secret`,
 * `db-password`. It errs towards the secret: `turkey` is redacted too.
 */
export const CREDENTIAL_SUFFIXES: readonly string[] = ['key', 'token', 'secret', 'password', 'passwd'];

/**
 * A signature (not a credential rule's match) is a name with a word containing `signature` or
 * `hmac`, or the word `sig` or `sign`: `x-signature`, `x-hub-signature-256`, `x-shopify-hmac-sha256`,
 * `sig`, `x-sign`. A header of these is redacted where it is stored unless the pipeline's verifier
 * reads it; a query parameter of these is always redacted (no verifier reads the query).
 */
const SIGNATURE_WORDS: ReadonlySet<string> = new Set(['sig', 'sign']);

/** How a name's value is kept: as sent, redacted, or (a signature) kept only for a verifier that needs it. */
export type NameRule = 'keep' | 'redact' | 'signature';

const WORD_SEPARATORS = /[^a-z0-9]+/;
const TRAILING_DIGITS = /\d+$/;

function ruleOfName(lowerName: string): NameRule {
  const provider = SIGNATURE_HEADERS.has(lowerName);
  let last = '';
  let signature = false;
  for (const part of lowerName.split(WORD_SEPARATORS)) {
    const word = part.replace(TRAILING_DIGITS, '');
    if (word === '') continue;
    if (!provider && (CREDENTIAL_WORDS.has(word) || CREDENTIAL_WORDS.has(last + word))) return 'redact';
    if (SIGNATURE_WORDS.has(word) || word.includes('signature') || word.includes('hmac')) signature = true;
    last = word;
  }
  if (!provider && CREDENTIAL_SUFFIXES.some((suffix) => last.endsWith(suffix))) return 'redact';
  return signature ? 'signature' : 'keep';
}

// The same few dozen names arrive on every request, so each name's rule is remembered; the memory
// is bounded, since a sender can invent names (as many as it likes, as long as it likes).
export const RULE_CACHE_LIMIT = 2000;
export const CACHED_NAME_LENGTH = 64;
const ruleCache = new Map<string, NameRule>();

/** The rule of a name, lower case (header names are; query names are lower-cased by the caller). */
export function credentialRule(lowerName: string): NameRule {
  let rule = ruleCache.get(lowerName);
  if (rule === undefined) {
    rule = ruleOfName(lowerName);
    if (ruleCache.size < RULE_CACHE_LIMIT && lowerName.length <= CACHED_NAME_LENGTH) ruleCache.set(lowerName, rule);
  }
  return rule;
}

/** How many names' rules are remembered: bounded, however many names senders invent (tests check it). */
export const rememberedNameRules = (): number => ruleCache.size;

/** Whether a (lower-case) name's value is a credential, redacted wherever the request is kept. */
export const isCredentialName = (lowerName: string): boolean => credentialRule(lowerName) === 'redact';

/** Whether a (lower-case) name is a signature's, kept only for a verifier that needs it. */
export const isSignatureName = (lowerName: string): boolean => credentialRule(lowerName) === 'signature';
