// The message the receiver puts on the ingest queue and the processor reads back
// (docs/design.md, "Ingest queue message"). It carries the token's SHA-256, never the token.
// Two layouts: version 2, a JSON header line followed by the body as sent, which neither side
// escapes nor unescapes; and version 1, all JSON, for what cannot travel as it is (a
// claim-checked body, a body with characters a queue refuses) and for messages queued before
// version 2.
import * as v from 'valibot';
import { utcDay } from '../clock.ts';
import { formatUnixTimestamp, type BodyFormat } from './kondado.ts';
import { isQueueSafe, parseQueueJson, queueSafeJson } from '../queue-safe-json.ts';
import type { CapturedHeaders, CapturedQuery } from './request-capture.ts';

export interface BodyRef {
  bucket: string;
  key: string;
}

export interface IngestMessage {
  /** The layout it travelled in (1: all JSON, 2: header line and verbatim text); serializeIngestMessage chooses, whatever this says. */
  v: 1 | 2;
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
  /** JSON text (AcceptedInbound's body). */
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

/** What both layouts carry about the request besides its texts. */
const REQUEST_ENTRIES = {
  id: v.pipe(v.string(), v.regex(/^[a-z]{20}$/)),
  ts: v.pipe(v.number(), v.finite(), v.minValue(0)),
  pipelineId: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  key: v.pipe(v.string(), v.regex(/^[0-9a-f-]{36}$/)),
  tokenSha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  format: v.picklist(['json', 'form', 'query']),
  method: v.optional(v.pipe(v.string(), v.regex(/^[A-Z]{1,16}$/))),
  headers: v.optional(v.custom<CapturedHeaders>(isHeaders, 'headers must be an object of strings')),
  query: v.optional(v.custom<CapturedQuery>(isQuery, 'query must be an object of strings or lists of strings')),
};

const IngestMessageSchema = v.pipe(
  v.object({
    v: v.literal(1),
    ...REQUEST_ENTRIES,
    body: v.optional(v.string()),
    bodyRef: v.optional(BodyRefSchema),
    raw: v.optional(v.string()),
    rawRef: v.optional(BodyRefSchema),
  }),
  v.check((message) => (message.body === undefined) !== (message.bodyRef === undefined), 'needs body or bodyRef'),
  v.check((message) => message.raw === undefined || message.rawRef === undefined, 'raw and rawRef exclude each other'),
);

/**
 * Version 2's header line: the request, a form's raw text, and the body's length in UTF-16 units
 * (which, a verbatim body being within the BMP, are its characters).
 */
const FramedHeaderSchema = v.object({
  v: v.literal(2),
  ...REQUEST_ENTRIES,
  raw: v.optional(v.string()),
  bodyLength: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
});
type FramedHeader = v.InferOutput<typeof FramedHeaderSchema>;

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

/** REQUEST_ENTRIES' rules checked in place. */
function hasRequestFields(value: Record<string, unknown>): boolean {
  const { ts, pipelineId, format } = value;
  return (
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
    absentOr(value.query, isQuery)
  );
}

/**
 * IngestMessageSchema's rules checked in place, without the copy valibot makes: the processor
 * checks every message it reads (a tenth of its CPU with the schema). The schema stays the
 * authority: whatever this refuses goes through it, for its verdict and its message; a property
 * test holds the two to the same answers.
 */
export function isIngestMessage(value: unknown): value is IngestMessage {
  return (
    isPlainObject(value) &&
    value.v === 1 &&
    hasRequestFields(value) &&
    absentOr(value.body, isString) &&
    absentOr(value.bodyRef, isBodyRef) &&
    absentOr(value.raw, isString) &&
    absentOr(value.rawRef, isBodyRef) &&
    (value.body === undefined) !== (value.bodyRef === undefined) &&
    (value.raw === undefined || value.rawRef === undefined)
  );
}

const isLength = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

/** FramedHeaderSchema's rules checked in place (the schema judges what this refuses, as above). */
export function isFramedHeader(value: unknown): value is FramedHeader {
  return isPlainObject(value) && value.v === 2 && hasRequestFields(value) && absentOr(value.raw, isString) && isLength(value.bodyLength);
}

/** How a version 2 message begins (serializeIngestMessage writes `v` first); no version 1 message does. */
const FRAMED_START = '{"v":2,';

/** Parses and checks a queue message of either layout; a message that fails here can never succeed (poison). */
export function parseIngestMessage(text: string): IngestMessage {
  if (!text.startsWith(FRAMED_START)) return parseQueueJson(text, IngestMessageSchema, MalformedMessageError, isIngestMessage) as IngestMessage;
  const newline = text.indexOf('\n');
  if (newline === -1) throw new MalformedMessageError('version 2 message without the newline that ends its header');
  const header = parseQueueJson(text.slice(0, newline), FramedHeaderSchema, MalformedMessageError, isFramedHeader);
  const bodyStart = newline + 1;
  if (header.bodyLength !== text.length - bodyStart) {
    throw new MalformedMessageError(`bodyLength is ${header.bodyLength}, but ${text.length - bodyStart} characters follow the header`);
  }
  // Named field by field: the header's other keys (a stray `body` or `bodyRef`) are not the message's.
  return {
    v: 2,
    id: header.id,
    ts: header.ts,
    pipelineId: header.pipelineId,
    key: header.key,
    tokenSha256: header.tokenSha256,
    format: header.format,
    method: header.method,
    headers: header.headers,
    query: header.query,
    body: text.slice(bodyStart),
    raw: header.raw,
  };
}

/** The schemas' own verdicts (tests hold isIngestMessage and isFramedHeader to them). */
export const ingestMessageSchemaAccepts = (value: unknown): boolean => v.is(IngestMessageSchema, value);
export const framedHeaderSchemaAccepts = (value: unknown): boolean => v.is(FramedHeaderSchema, value);

/**
 * Whether a body may follow a version 2 header as it is: queue-safe, and within the BMP, since
 * fauxqs refuses the rest (queue-safe-json.ts). A body is JSON text, whose only control
 * characters are tab, newline and return, so ASCII (its UTF-8 length is its length, cheaper to
 * tell than to scan for) is; queueSafeJson takes the same shortcut.
 */
const travelsVerbatim = (jsonText: string): boolean => jsonText.length === Buffer.byteLength(jsonText, 'utf8') || isQueueSafe(jsonText);

/**
 * The message's final text (the size check and the claim check depend on it alone). An inline
 * body that can travel as it is follows a JSON header line verbatim (version 2): it is neither
 * escaped here nor unescaped by the processor (a body is most of a message, and escaping its
 * quotes was the receiver's dearest step), and whoever reads a dead-lettered message sees the
 * body as it was sent. Anything else is one JSON text (version 1): a claim-checked message, or a
 * body a queue would refuse as it is (queueSafeJson escapes it). JSON.stringify of an object of a
 * fixed shape is the fastest way V8 writes the other fields (this runs on every request the
 * receiver accepts).
 */
export function serializeIngestMessage(message: IngestMessage): string {
  const claimed = message.bodyRef !== undefined;
  const body = message.body ?? '';
  if (!claimed && message.rawRef === undefined && travelsVerbatim(body)) {
    const fields = JSON.stringify({
      id: message.id,
      pipelineId: message.pipelineId,
      key: message.key,
      tokenSha256: message.tokenSha256,
      format: message.format,
      method: message.method,
      headers: message.headers,
      query: message.query,
      raw: message.raw,
      bodyLength: body.length,
    });
    // ts is written as the reply writes it (formatted once per request), so the lake's time is
    // the very number the sender was given; `fields` starts with `{`.
    return `${FRAMED_START}"ts":${timestampJson(message.ts)},${queueSafeJson(fields).slice(1)}\n${body}`;
  }
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

/** A timestamp as JSON: Kondado's text where it is plain decimal (never an exponent), JSON's otherwise. */
const timestampJson = (seconds: number): string => (seconds >= 1e-6 && seconds < 1e21 ? formatUnixTimestamp(seconds) : JSON.stringify(seconds));

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
