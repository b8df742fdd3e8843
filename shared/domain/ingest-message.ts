// The message the receiver puts on the ingest queue and the processor reads back
// (docs/design.md). It carries the token's SHA-256, never the token.
import * as v from 'valibot';
import { utcDay } from './clock.ts';
import { formatUnixTimestamp, type BodyFormat } from './kondado.ts';
import { queueSafeJson } from './queue-safe-json.ts';

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
  body?: string;
  bodyRef?: BodyRef;
}

const IngestMessageSchema = v.pipe(
  v.object({
    v: v.literal(1),
    id: v.pipe(v.string(), v.regex(/^[a-z]{20}$/)),
    ts: v.pipe(v.number(), v.finite(), v.minValue(0)),
    pipelineId: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
    key: v.pipe(v.string(), v.regex(/^[0-9a-f-]{36}$/)),
    tokenSha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
    format: v.picklist(['json', 'form', 'query']),
    body: v.optional(v.string()),
    bodyRef: v.optional(v.object({ bucket: v.string(), key: v.pipe(v.string(), v.startsWith('claims/')) })),
  }),
  v.check((message) => (message.body === undefined) !== (message.bodyRef === undefined), 'needs body or bodyRef'),
);

export class MalformedMessageError extends Error {
  override name = 'MalformedMessageError';
}

/** Parses and checks a queue message; a message that fails here can never succeed (poison). */
export function parseIngestMessage(text: string): IngestMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MalformedMessageError('not JSON');
  }
  const result = v.safeParse(IngestMessageSchema, json);
  if (!result.success) {
    throw new MalformedMessageError(result.issues.map((issue) => `${v.getDotPath(issue) ?? ''} ${issue.message}`).join('; '));
  }
  return result.output as IngestMessage;
}

/**
 * Serializes by hand so `ts` keeps its float form and the body is escaped once, then makes the
 * text queue-safe (queue-safe-json.ts). This is the final text sent: the size check and the claim
 * check depend on it alone. Field order is fixed.
 */
export function serializeIngestMessage(message: IngestMessage): string {
  const head =
    `{"v":1,"id":${JSON.stringify(message.id)},"ts":${formatUnixTimestamp(message.ts)},` +
    `"pipelineId":${message.pipelineId},"key":${JSON.stringify(message.key)},` +
    `"tokenSha256":${JSON.stringify(message.tokenSha256)},"format":${JSON.stringify(message.format)},`;
  return queueSafeJson(
    message.bodyRef === undefined
      ? `${head}"body":${JSON.stringify(message.body ?? '')}}`
      : `${head}"bodyRef":${JSON.stringify(message.bodyRef)}}`,
  );
}

/** Where an oversized body waits for the processor; a lifecycle rule expires the prefix. */
export function claimKey(requestId: string, unixSeconds: number): string {
  return `claims/${utcDay(unixSeconds)}/${requestId}.json`;
}
