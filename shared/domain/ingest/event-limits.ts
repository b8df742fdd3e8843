// How large an inbound body can be so that the HTTP event carrying it still fits a synchronous
// Lambda invocation. API Gateway (payload 2.0) puts the body into the event JSON-escaped when its
// content type is text, base64-encoded otherwise (forms, binary, no content type); Lambda refuses
// an event over 6 MiB and API Gateway then answers 500 itself (docs/inbound.md, "Body size").

/** Largest synchronous invocation event, bytes of JSON. */
export const LAMBDA_SYNC_EVENT_MAX_BYTES = 6_291_456;

/**
 * Room kept for everything in the event but the body: headers, query, cookies and request context,
 * at API Gateway's limit of 10,240 bytes for the request line and headers, escaped at worst (the
 * user agent appears twice, each `"` becoming `\"`). Measured worst case: about 42 KB
 * (test/unit/local-gateway.test.ts).
 */
export const EVENT_RESERVE_BYTES = 65_536;

/** How the event carries a body: as JSON-escaped text, or base64. */
export type BodyEncoding = 'text' | 'base64';

const BODY_ROOM = LAMBDA_SYNC_EVENT_MAX_BYTES - EVENT_RESERVE_BYTES;

/**
 * The largest body of each encoding whose event always fits, whatever its content: a text body's
 * escape is at most twice its bytes for JSON (`"`, `\` and whitespace), base64 is 4 bytes per 3.
 */
export const MAX_BODY_BYTES: Readonly<Record<BodyEncoding, number>> = {
  text: Math.floor(BODY_ROOM / 2),
  base64: Math.floor(BODY_ROOM / 4) * 3,
};
