// Receiver use case: interpret the request, answer Kondado's reply, enqueue what was accepted.
// Authentication is not checked here (Kondado checks it later); the database is never touched.
import { newRequestId, sha256Hex } from '../domain/credentials.ts';
import type { Clock } from '../domain/clock.ts';
import { claimKey, serializeIngestMessage, type IngestMessage } from '../domain/ingest-message.ts';
import {
  errorReply,
  interpretInbound,
  SERVICE_UNAVAILABLE,
  successReply,
  type InboundHttpRequest,
  type KondadoReply,
} from '../domain/kondado.ts';
import { log } from '../logger.ts';
import type { ClaimStore, IngestQueue } from '../ports/ingest.ts';

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

  const { pipelineId, key, token, format, body } = decision.request;
  const id = newRequestId();
  const ts = deps.clock.nowMs() / 1000;
  const message: IngestMessage = { v: 1, id, ts, pipelineId, key, tokenSha256: sha256Hex(token), format, body };
  try {
    // Decided on the final (queue-safe, escaped) text: an escape is up to 3x its character's UTF-8.
    let text = serializeIngestMessage(message);
    if (Buffer.byteLength(text, 'utf8') > deps.maxMessageBytes) {
      const bodyRef = { bucket: deps.lakeBucket, key: claimKey(id, ts) };
      await (await deps.claims()).put(bodyRef, body);
      text = serializeIngestMessage({ ...message, body: undefined, bodyRef });
    }
    await deps.queue.send(text);
  } catch (error) {
    log.error('enqueue failed', { requestId: id, pipelineId, error });
    return errorReply(SERVICE_UNAVAILABLE);
  }
  return successReply(id, ts);
}
