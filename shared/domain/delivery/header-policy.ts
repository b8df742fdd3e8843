// The one rule for a subscription's custom request headers. The management API refuses what it
// forbids (INVALID_REQUEST, with the reason), and the delivery request drops the same names, so a
// header the API accepted is always sent and a stored item from before the rule (or written by
// hand) can never override or duplicate the headers Hooklake sets.
//
// Reserved: everything Hooklake or the HTTP connection owns — `host`, the body's framing and
// content headers (set by the delivery format), `user-agent`, hop-by-hop and proxy headers, and
// the Standard Webhooks signature headers (every `webhook-*` name, so a future one is covered).

export const MAX_CUSTOM_HEADERS = 20;
export const MAX_HEADER_NAME_LENGTH = 64;
export const MAX_HEADER_VALUE_LENGTH = 2048;
/** Sum over the custom headers of `name: value\r\n`. */
export const MAX_HEADERS_BYTES = 8 * 1024;

/** What list/get show in place of a header value: values are write-only (they are usually credentials). */
export const REDACTED_HEADER_VALUE = '***';

const SET_BY_HOOKLAKE = new Set(['host', 'user-agent', 'content-type', 'content-length', 'content-encoding']);
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'transfer-encoding', 'expect', 'http2-settings']);
const SIGNATURE_PREFIX = 'webhook-';
const PROXY_PREFIX = 'proxy-';

/** RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Printable ASCII, space and tab: what every HTTP client sends unchanged. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** Why a subscription may not set this header (any case), or undefined when it may. */
export function reservedHeaderReason(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.startsWith(SIGNATURE_PREFIX)) return `${name} is set by Hooklake (webhook-* are the Standard Webhooks signature headers)`;
  if (SET_BY_HOOKLAKE.has(lower)) return `${name} is set by Hooklake for every delivery and cannot be overridden`;
  if (CONNECTION_HEADERS.has(lower) || lower.startsWith(PROXY_PREFIX)) {
    return `${name} is set by Hooklake's HTTP client (a connection or proxy header) and cannot be overridden`;
  }
  return undefined;
}

/** Why a subscription may not have a header of this name (malformed or reserved), or undefined when it may. */
export function headerNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_HEADER_NAME_LENGTH || !HEADER_NAME.test(name) || name.toLowerCase() === '__proto__') {
    return `${JSON.stringify(name.slice(0, MAX_HEADER_NAME_LENGTH))} is not a valid header name (1 to ${MAX_HEADER_NAME_LENGTH} token characters)`;
  }
  return reservedHeaderReason(name);
}

function headerValueProblem(name: string, value: string): string | undefined {
  if (value.length > MAX_HEADER_VALUE_LENGTH) return `the value of ${name} exceeds ${MAX_HEADER_VALUE_LENGTH} characters`;
  if (!HEADER_VALUE.test(value)) return `the value of ${name} must be printable ASCII without line breaks`;
  return undefined;
}

/** Why a set of custom headers is refused, or undefined when it is fine. */
export function headersProblem(headers: Record<string, string>): string | undefined {
  const entries = Object.entries(headers);
  if (entries.length > MAX_CUSTOM_HEADERS) return `at most ${MAX_CUSTOM_HEADERS} custom headers`;
  const seen = new Set<string>();
  let bytes = 0;
  for (const [name, value] of entries) {
    const nameProblem = headerNameProblem(name);
    if (nameProblem !== undefined) return nameProblem;
    const lower = name.toLowerCase();
    if (seen.has(lower)) return `${name} is given twice (header names are case-insensitive)`;
    seen.add(lower);
    const valueProblem = headerValueProblem(name, value);
    if (valueProblem !== undefined) return valueProblem;
    if (value === REDACTED_HEADER_VALUE) {
      return `the value of ${name} is ${REDACTED_HEADER_VALUE}, the mask list and get show: send the real value (or leave headers out to keep them)`;
    }
    bytes += name.length + value.length + 4;
  }
  if (bytes > MAX_HEADERS_BYTES) return `the custom headers exceed ${MAX_HEADERS_BYTES} bytes`;
  return undefined;
}

/**
 * The headers as sent: names lowercased (so no two differ only in case); a header the API would
 * refuse by its name or value (reserved, malformed) is dropped, so what an item stored before the
 * rule, or written by hand, holds can neither override ours nor break the request.
 */
export function sendableHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (headerNameProblem(name) === undefined && typeof value === 'string' && headerValueProblem(name, value) === undefined) {
      out[name.toLowerCase()] = value;
    }
  }
  return out;
}
