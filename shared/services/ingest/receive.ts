// Receiver use case: interpret the request, answer Kondado's reply, enqueue what was accepted.
// Authentication is not checked here (Kondado checks it later); the database is never touched.
import { sha256Hex, newRequestId } from '../../domain/credentials.ts';
import type { Clock } from '../../domain/clock.ts';
import { claimKey, rawClaimKey, serializeIngestMessage, type IngestMessage } from '../../domain/ingest/message.ts';
import {
  errorReply,
  interpretInbound,
  SERVICE_UNAVAILABLE,
  successReply,
  type InboundHttpRequest,
  type KondadoReply,
} from '../../domain/ingest/kondado.ts';
import { captureHeaders } from '../../domain/ingest/request-capture.ts';
import { log } from '../../logger.ts';
import type { ClaimStore, IngestQueue } from '../../ports/ingest.ts';

export interface ReceiveDeps {
  queue: IngestQueue;
  /** Loaded on first use so the S3 client stays off the common path. */
  claims: () => Promise<ClaimStore>;
  clock: Clock;
  lakeBucket: string;
  maxBodyBytes: number;
  maxMessageBytes: number;
}

export async function receiveWebhook(request: InboundHttpRequest, deps: ReceiveDeps): Promise<KondadoReply> {
  const decision = interpretInbound(request, deps.maxBodyBytes);
  if (!decision.ok) return errorReply(decision.error);

  const { method, pipelineId, key, token, format, body, raw, query } = decision.request;
  const ts = deps.clock.nowMs() / 1000;
  const id = newRequestId(ts);
  // Credentials among the headers are redacted here, before anything is queued.
  const headers = captureHeaders(request.headers, request.cookies);
  const tokenSha256 = sha256Hex(token);
  const message: IngestMessage = { v: 1, id, ts, pipelineId, key, tokenSha256, format, method, headers, query, body, raw };
  try {
    // Decided on the final (queue-safe, escaped) text: an escape is up to 3x its character's UTF-8.
    let text = serializeIngestMessage(message);
    // A UTF-16 unit is at most 3 UTF-8 bytes, so most messages need no measuring.
    if (text.length * 3 > deps.maxMessageBytes && Buffer.byteLength(text, 'utf8') > deps.maxMessageBytes) {
      // Body and raw text go together, each to its own object, so the body's stays byte for byte.
      const bodyRef = { bucket: deps.lakeBucket, key: claimKey(id, ts) };
      const rawRef = raw === undefined ? undefined : { bucket: deps.lakeBucket, key: rawClaimKey(id, ts) };
      const claims = await deps.claims();
      await Promise.all([claims.put(bodyRef, body), rawRef === undefined ? undefined : claims.put(rawRef, raw!)]);
      text = serializeIngestMessage({ ...message, body: undefined, bodyRef, raw: undefined, rawRef });
    }
    await deps.queue.send(text);
  } catch (error) {
    log.error('enqueue failed', { requestId: id, pipelineId, error });
    return errorReply(SERVICE_UNAVAILABLE);
  }
  return successReply(id, ts);
}
