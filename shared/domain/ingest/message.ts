// The message the receiver puts on the ingest queue and the processor reads back
// (docs/design.md). It carries the token's SHA-256, never the token.
import * as v from 'valibot';
import { utcDay } from '../clock.ts';
import type { BodyFormat } from './kondado.ts';
import { parseQueueJson, queueSafeJson } from '../queue-safe-json.ts';
import type { CapturedHeaders, CapturedQuery } from './request-capture.ts';

export interface BodyRef {
  bucket: string;
  key: string;
}

export interface IngestMessage {
  v: 1;
  id: string;
  ts: number;
  pipelineId: number;
  key: string;
  tokenSha256: string;
  format: BodyFormat;
  /** The request's method (absent in messages queued before it was captured, as are the next two). */
  method?: string | undefined;
  /** The request headers as captured: credentials redacted, bounded (request-capture.ts). */
  headers?: CapturedHeaders | undefined;
  /** The query's data parameters as captured (never pipeline_id, key or token). */
  query?: CapturedQuery | undefined;
  body?: string;
  bodyRef?: BodyRef;
  /** The posted text as received, only when `body` is not it (form posts). */
  raw?: string | undefined;
  /** Where `raw` waits when the message went through the claim check (with `bodyRef`). */
  rawRef?: BodyRef | undefined;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Checked in place rather than copied by a schema, so every name (even `__proto__`) stays as parsed.
const isHeaders = (value: unknown): value is CapturedHeaders =>
  isPlainObject(value) && Object.values(value).every((item) => typeof item === 'string');
const isQuery = (value: unknown): value is CapturedQuery =>
  isPlainObject(value) &&
  Object.values(value).every((item) => typeof item === 'string' || (Array.isArray(item) && item.every((entry) => typeof entry === 'string')));

const BodyRefSchema = v.object({ bucket: v.string(), key: v.pipe(v.string(), v.startsWith('claims/')) });

const IngestMessageSchema = v.pipe(
  v.object({
    v: v.literal(1),
    id: v.pipe(v.string(), v.regex(/^[a-z]{20}$/)),
    ts: v.pipe(v.number(), v.finite(), v.minValue(0)),
    pipelineId: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
    key: v.pipe(v.string(), v.regex(/^[0-9a-f-]{36}$/)),
    tokenSha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
    format: v.picklist(['json', 'form', 'query']),
    method: v.optional(v.pipe(v.string(), v.regex(/^[A-Z]{1,16}$/))),
    headers: v.optional(v.custom<CapturedHeaders>(isHeaders, 'headers must be an object of strings')),
    query: v.optional(v.custom<CapturedQuery>(isQuery, 'query must be an object of strings or lists of strings')),
    body: v.optional(v.string()),
    bodyRef: v.optional(BodyRefSchema),
    raw: v.optional(v.string()),
    rawRef: v.optional(BodyRefSchema),
  }),
  v.check((message) => (message.body === undefined) !== (message.bodyRef === undefined), 'needs body or bodyRef'),
  v.check((message) => message.raw === undefined || message.rawRef === undefined, 'raw and rawRef exclude each other'),
);

export class MalformedMessageError extends Error {
  override name = 'MalformedMessageError';
}

const ID = /^[a-z]{20}$/;
const INGEST_KEY = /^[0-9a-f-]{36}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const METHOD = /^[A-Z]{1,16}$/;
const isBodyRef = (value: unknown): boolean =>
  isPlainObject(value) && typeof value.bucket === 'string' && typeof value.key === 'string' && value.key.startsWith('claims/');
const absentOr = (value: unknown, check: (value: unknown) => boolean): boolean => value === undefined || check(value);
const isString = (value: unknown): boolean => typeof value === 'string';

/**
 * IngestMessageSchema's rules checked in place, without the copy valibot makes: the processor
 * checks every message it reads (a tenth of its CPU with the schema). The schema stays the
 * authority: whatever this refuses goes through it, for its verdict and its message; a property
 * test holds the two to the same answers.
 */
export function isIngestMessage(value: unknown): value is IngestMessage {
  if (!isPlainObject(value)) return false;
  const { ts, pipelineId, format } = value;
  return (
    value.v === 1 &&
    typeof value.id === 'string' &&
    ID.test(value.id) &&
    typeof ts === 'number' &&
    Number.isFinite(ts) &&
    ts >= 0 &&
    Number.isSafeInteger(pipelineId) &&
    (pipelineId as number) >= 1 &&
    typeof value.key === 'string' &&
    INGEST_KEY.test(value.key) &&
    typeof value.tokenSha256 === 'string' &&
    SHA256_HEX.test(value.tokenSha256) &&
    (format === 'json' || format === 'form' || format === 'query') &&
    absentOr(value.method, (method) => typeof method === 'string' && METHOD.test(method)) &&
    absentOr(value.headers, isHeaders) &&
    absentOr(value.query, isQuery) &&
    absentOr(value.body, isString) &&
    absentOr(value.bodyRef, isBodyRef) &&
    absentOr(value.raw, isString) &&
    absentOr(value.rawRef, isBodyRef) &&
    (value.body === undefined) !== (value.bodyRef === undefined) &&
    (value.raw === undefined || value.rawRef === undefined)
  );
}

/** Parses and checks a queue message; a message that fails here can never succeed (poison). */
export function parseIngestMessage(text: string): IngestMessage {
  return parseQueueJson(text, IngestMessageSchema, MalformedMessageError, isIngestMessage) as IngestMessage;
}

/** The schema's own verdict (tests hold isIngestMessage to it). */
export const ingestMessageSchemaAccepts = (value: unknown): boolean => v.is(IngestMessageSchema, value);

/**
 * The message's text: one JSON.stringify of the fields in a fixed order (absent optional fields
 * left out; the body escaped once), made queue-safe (queue-safe-json.ts). This is the final text
 * sent: the size check and the claim check depend on it alone. One pass over an object of a fixed
 * shape is the fastest way V8 writes it (it runs on every request the receiver accepts).
 */
export function serializeIngestMessage(message: IngestMessage): string {
  const claimed = message.bodyRef !== undefined;
  return queueSafeJson(
    JSON.stringify({
      v: 1,
      id: message.id,
      ts: message.ts,
      pipelineId: message.pipelineId,
      key: message.key,
      tokenSha256: message.tokenSha256,
      format: message.format,
      method: message.method,
      headers: message.headers,
      query: message.query,
      body: claimed ? undefined : (message.body ?? ''),
      bodyRef: message.bodyRef,
      rawRef: message.rawRef,
      raw: message.rawRef === undefined ? message.raw : undefined,
    }),
  );
}

/** Where an oversized body waits for the processor; a lifecycle rule expires the prefix. */
export function claimKey(requestId: string, unixSeconds: number): string {
  return `claims/${utcDay(unixSeconds)}/${requestId}.json`;
}

/** Where an oversized message's `raw` text waits, next to its body. */
export function rawClaimKey(requestId: string, unixSeconds: number): string {
  return `claims/${utcDay(unixSeconds)}/${requestId}.raw`;
}

/**
 * The body text exactly as the sender posted it, the bytes a provider signs: `raw` when the
 * stored body is not the received text (form posts), else the stored body itself (JSON is stored
 * byte for byte). Undefined when there is none: a GET (its data is the query string, not a body)
 * and a form message queued before `raw` existed. `body` and `raw` are the message's, or their
 * claim-checked text.
 */
export function receivedBodyText(
  format: BodyFormat,
  content: { body: string; raw?: string | undefined },
): string | undefined {
  if (content.raw !== undefined) return content.raw;
  return format === 'json' ? content.body : undefined;
}
