// The inbound protocol: Kondado's URL parameters, its exact JSON replies, and how a request's
// body becomes the text stored in `__kdd_request_body`. Precedence of checks (first failure wins):
//   1. method other than POST or GET          → METHOD_NOT_ALLOWED
//   2. no query parameters at all             → NO_PARAMETERS_PROVIDED
//   3. pipeline_id, key, token absent/empty   → MISSING_PARAMETER: <name>   (in that order)
//   4. pipeline_id, key, token malformed      → INVALID_PARAMETER: <name>   (in that order)
//   5. body larger than the limit             → PAYLOAD_TOO_LARGE   (the limit of its encoding, event-limits.ts)
//   6. no body (POST) / no data params (GET)  → NO_BODY_PROVIDED
//   7. body not JSON, not UTF-8, or bad form  → INVALID_BODY
// Every failure is HTTP 400, as Kondado documents ("200 on success and 400 on failure").
// A form-labelled body that is a JSON object or array is stored as JSON (see decodeBody).
import { BracketDecodeError, DEFAULT_BRACKET_LIMITS, decodeBracketParamsJson, decodeFormJson, formPairList } from './bracket-params.ts';
import { MAX_BODY_BYTES, type BodyEncoding } from './event-limits.ts';
import { captureQuery, redactedQueryPairs, type CapturedQuery } from './request-capture.ts';

export const REQUIRED_PARAMETERS = ['pipeline_id', 'key', 'token'] as const;
export type RequiredParameter = (typeof REQUIRED_PARAMETERS)[number];

export type InboundErrorCode =
  | 'NO_PARAMETERS_PROVIDED'
  | `MISSING_PARAMETER: ${RequiredParameter}`
  | `INVALID_PARAMETER: ${RequiredParameter}`
  | 'NO_BODY_PROVIDED'
  | 'INVALID_BODY'
  | 'PAYLOAD_TOO_LARGE'
  | 'METHOD_NOT_ALLOWED';

/** Not a client error: the queue could not take the request; the sender should retry. */
export const SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE';

/** How the body reached us; all three are stored as JSON text. */
export type BodyFormat = 'json' | 'form' | 'query';

export interface InboundHttpRequest {
  method: string;
  /** The query string without '?', still percent-encoded. */
  rawQueryString: string;
  contentType?: string | undefined;
  /**
   * The body's bytes, or its text when the event carried it as text (already decoded: its UTF-8
   * length is what the limits count, and a lone surrogate stands for the replacement character
   * its UTF-8 encoding would give, as when the bytes are decoded).
   */
  body?: Uint8Array | string | undefined;
  /** How the HTTP event carried the body: it sets the body's limit (MAX_BODY_BYTES). Unset: only maxBodyBytes applies. */
  bodyEncoding?: BodyEncoding | undefined;
  /** Request headers (API Gateway payload 2.0: lower-case names, repeats joined with commas). */
  headers?: Readonly<Record<string, string | undefined>> | undefined;
  /** Payload 2.0's `cookies` (API Gateway takes the Cookie header out of `headers`). */
  cookies?: readonly string[] | undefined;
}

/** The methods a Kondado URL accepts. */
export type InboundMethod = 'POST' | 'GET';

export interface AcceptedInbound {
  method: InboundMethod;
  pipelineId: number;
  /** The key, lower-cased (UUIDs compare case-insensitively). */
  key: string;
  token: string;
  format: BodyFormat;
  /** JSON text: the posted bytes unchanged for JSON; the decoded object for form and GET. */
  body: string;
  /** The posted text as received, when `body` is not it (form posts); signatures cover these bytes. */
  raw?: string | undefined;
  /** The query's data parameters: every one but pipeline_id, key and token, credentials redacted (request-capture.ts). */
  query: CapturedQuery;
}

export type InboundDecision = { ok: true; request: AcceptedInbound } | { ok: false; error: InboundErrorCode };

const PIPELINE_ID = /^[1-9]\d{0,14}$/;
const KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN = /^[A-Za-z0-9]{1,256}$/;

const VALIDATORS: Record<RequiredParameter, (value: string) => boolean> = {
  pipeline_id: (value) => PIPELINE_ID.test(value),
  key: (value) => KEY.test(value),
  token: (value) => TOKEN.test(value),
};

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function interpretInbound(request: InboundHttpRequest, maxBodyBytes: number): InboundDecision {
  const method = request.method.toUpperCase();
  const bodyLimit = request.bodyEncoding === undefined ? maxBodyBytes : Math.min(maxBodyBytes, MAX_BODY_BYTES[request.bodyEncoding]);
  if (method !== 'POST' && method !== 'GET') return { ok: false, error: 'METHOD_NOT_ALLOWED' };

  // Every pair is looked at (the required parameters may come last, and their errors come before
  // the body's), but data pairs are kept only up to one past the limit: enough for the decoder to
  // refuse them, whatever the URL's length. Of each required parameter the first non-empty value
  // is kept, and whether another value differed from it.
  let pipelineId: string | undefined;
  let key: string | undefined;
  let token: string | undefined;
  let repeatedDifferently: Set<RequiredParameter> | undefined;
  const data: [string, string][] = [];
  let anyParameter = false;
  for (const pair of formPairList(request.rawQueryString)) {
    anyParameter = true;
    const [name, value] = pair;
    if (name === 'pipeline_id' || name === 'key' || name === 'token') {
      if (value === '') continue;
      const first = name === 'pipeline_id' ? pipelineId : name === 'key' ? key : token;
      if (first === undefined) {
        if (name === 'pipeline_id') pipelineId = value;
        else if (name === 'key') key = value;
        else token = value;
      } else if (first !== value) (repeatedDifferently ??= new Set()).add(name);
    } else if (data.length <= DEFAULT_BRACKET_LIMITS.maxParameters) data.push(pair);
  }
  if (!anyParameter) return { ok: false, error: 'NO_PARAMETERS_PROVIDED' };
  if (pipelineId === undefined) return { ok: false, error: 'MISSING_PARAMETER: pipeline_id' };
  if (key === undefined) return { ok: false, error: 'MISSING_PARAMETER: key' };
  if (token === undefined) return { ok: false, error: 'MISSING_PARAMETER: token' };
  // A parameter repeated with different values is ambiguous: refuse rather than pick one. Checked
  // in order, each with its shape: the first of pipeline_id, key, token that fails is named.
  const values: Record<RequiredParameter, string> = { pipeline_id: pipelineId, key, token };
  for (const name of REQUIRED_PARAMETERS) {
    if (repeatedDifferently?.has(name) === true || !VALIDATORS[name](values[name])) return { ok: false, error: `INVALID_PARAMETER: ${name}` };
  }

  const body = decodeBody(method, request, data, bodyLimit);
  if ('error' in body) return { ok: false, error: body.error };
  return {
    ok: true,
    request: {
      method,
      pipelineId: Number(pipelineId),
      key: key.toLowerCase(),
      token,
      format: body.format,
      body: body.text,
      raw: body.raw,
      query: captureQuery(data),
    },
  };
}

type DecodedBody = { format: BodyFormat; text: string; raw?: string } | { error: InboundErrorCode };

function decodeBody(
  method: string,
  request: InboundHttpRequest,
  dataParams: [string, string][],
  maxBodyBytes: number,
): DecodedBody {
  if (method === 'GET') {
    // Kudosity-style senders put the data in the query string itself; a credential among it
    // (`?access_token=`) is redacted in the body as in the captured query.
    if (dataParams.length === 0) return { error: 'NO_BODY_PROVIDED' };
    return fromPairs('query', redactedQueryPairs(dataParams), maxBodyBytes);
  }
  const body = request.body ?? new Uint8Array();
  let text: string;
  if (typeof body === 'string') {
    // The same checks and text as encoding it to UTF-8 and decoding that, without either copy.
    const byteLength = Buffer.byteLength(body, 'utf8');
    if (byteLength > maxBodyBytes) return { error: 'PAYLOAD_TOO_LARGE' };
    if (byteLength === 0) return { error: 'NO_BODY_PROVIDED' };
    text = body.isWellFormed() ? body : body.toWellFormed();
  } else {
    if (body.byteLength > maxBodyBytes) return { error: 'PAYLOAD_TOO_LARGE' };
    if (body.byteLength === 0) return { error: 'NO_BODY_PROVIDED' };
    try {
      text = utf8.decode(body);
    } catch {
      return { error: 'INVALID_BODY' };
    }
  }
  if (text.trim() === '') return { error: 'NO_BODY_PROVIDED' };
  // `curl -d '{...}'` and many HTTP clients label JSON as a form by default. A body that parses
  // as a JSON object or array is never a meaningful form, so it is kept as the JSON it is.
  const form = isFormContentType(request.contentType);
  if (form && (!looksLikeJsonContainer(text) || !isJson(text))) return withRaw(fromPairs('form', text, maxBodyBytes), text);
  if (!isJson(text)) return { error: 'INVALID_BODY' };
  return { format: 'json', text };
}

/** A decoded form keeps the text it was decoded from. */
function withRaw(decoded: DecodedBody, raw: string): DecodedBody {
  return 'error' in decoded ? decoded : { ...decoded, raw };
}

function looksLikeJsonContainer(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Pairs are consumed lazily: the decoder stops at its parameter limit, so the rest is never parsed. */
/** A form's text or a GET's data pairs, decoded into JSON text within the limits. */
function fromPairs(format: BodyFormat, pairs: Iterable<[string, string]> | string, maxBodyBytes: number): DecodedBody {
  try {
    const text = typeof pairs === 'string' ? decodeFormJson(pairs) : decodeBracketParamsJson(pairs);
    if (text === '{}') return { error: 'NO_BODY_PROVIDED' };
    if (Buffer.byteLength(text) > maxBodyBytes) return { error: 'PAYLOAD_TOO_LARGE' };
    return { format, text };
  } catch (error) {
    if (error instanceof BracketDecodeError) return { error: 'INVALID_BODY' };
    throw error;
  }
}

function isFormContentType(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

export interface KondadoReply {
  statusCode: number;
  body: string;
}

export function successReply(requestId: string, unixTimestamp: number): KondadoReply {
  return {
    statusCode: 200,
    body: `{"success":true,"data":{"__kdd_request_id":${JSON.stringify(requestId)},"__kdd_request_unix_timestamp":${formatUnixTimestamp(unixTimestamp)}}}`,
  };
}

export function errorReply(error: InboundErrorCode | typeof SERVICE_UNAVAILABLE): KondadoReply {
  return {
    statusCode: error === SERVICE_UNAVAILABLE ? 503 : 400,
    body: JSON.stringify({ success: false, error }),
  };
}

// A request formats its timestamp twice (its queue message, its reply): the last one is kept,
// since a double's shortest decimal text is one of the dearer steps of a request.
let lastSeconds = Number.NaN;
let lastText = '';

/** Always printed with a fractional part, as Kondado's float seconds are (1577015690.3118637). */
export function formatUnixTimestamp(seconds: number): string {
  if (seconds === lastSeconds) return lastText;
  const text = String(seconds);
  lastSeconds = seconds;
  lastText = text.includes('.') ? text : `${text}.0`;
  return lastText;
}
