// Request ids, ingest tokens and admin credentials: generation, hashing and constant-time checks.
import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { REQUEST_ID_LENGTH, REQUEST_ID_TIME_LETTERS, requestIdTimePrefix } from './request-id.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';

// Random bytes come from a pool refilled 4 KiB at a time: one randomBytes call per request id
// costs more than the rest of the id. Used bytes are never reused.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

function nextRandomByte(): number {
  if (poolOffset === POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  return pool[poolOffset++]!;
}

/** Uniform random string over `alphabet` (rejection sampling, so no modulo bias). */
export function randomString(length: number, alphabet: string): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    const byte = nextRandomByte();
    if (byte < limit) out += alphabet[byte % alphabet.length];
  }
  return out;
}

/** Kondado's request id: 20 lowercase ASCII letters, the first 7 the receive time (request-id.ts). */
export function newRequestId(unixSeconds: number): string {
  return requestIdTimePrefix(unixSeconds) + randomString(REQUEST_ID_LENGTH - REQUEST_ID_TIME_LETTERS, LOWERCASE);
}

export const TOKEN_LENGTH = 40;

export function newIngestKey(): string {
  return randomUUID();
}

/** 40 base62 characters: about 238 bits, alphanumeric as Kondado's tokens are. */
export function newIngestToken(): string {
  return randomString(TOKEN_LENGTH, BASE62);
}

/** Tokens are long random strings, not passwords, so an unsalted SHA-256 is enough to store. */
export function sha256Hex(value: string): string {
  // The one-shot hash costs a quarter of createHash's object, update and digest (every request hashes its token).
  return hash('sha256', value, 'hex');
}

/** Compares a presented secret with a stored SHA-256 hex digest in constant time. */
export function matchesSha256(presented: string, storedSha256Hex: string): boolean {
  return digestsEqual(sha256Hex(presented), storedSha256Hex);
}

/** Constant-time comparison of two hex digests (unequal lengths are simply unequal). */
export function digestsEqual(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** An admin of the management API, as stored: never its credential, only the credential's SHA-256. */
export interface AdminRecord {
  id: string;
  name: string;
  tokenSha256: string;
  createdAt: string;
  /** When it was revoked; a revoked credential no longer authenticates. Absent = active. */
  revokedAt?: string | undefined;
}

const ADMIN_CREDENTIAL = /^hla_([0-9a-f]{16})_([0-9A-Za-z]{40})$/;

export interface AdminCredential {
  id: string;
  credential: string;
  sha256: string;
}

export function newAdminCredential(): AdminCredential {
  const id = randomBytes(8).toString('hex');
  const credential = `hla_${id}_${randomString(40, BASE62)}`;
  return { id, credential, sha256: sha256Hex(credential) };
}

/** The admin id inside a credential, or undefined when it is not one of ours. */
export function adminCredentialId(credential: string): string | undefined {
  return ADMIN_CREDENTIAL.exec(credential)?.[1];
}
