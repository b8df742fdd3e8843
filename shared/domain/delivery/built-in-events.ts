// The built-in events, built from what the processor just wrote (webhook_rejected: from the summary
// window the processor counted into, read by the fan-out once the window is over). Ids and times are
// derived from the requests, so a batch the processor handles again (a retry after a partial
// failure or a crash) publishes identical events and the fan-out's derived delivery ids keep every
// subscriber from getting a second delivery.
//
// `webhook_received` carries the body as the JSON value itself (`data.body`): the stored body text
// (JSON for every inbound format: the request's own JSON, or the decoded form / query object) is
// spliced into the data's JSON text, never parsed and re-serialised, so the subscriber gets it
// verbatim (big integers, key order, escapes).
//
// Size: an event's data is capped at MAX_EVENT_DATA_BYTES (256 KiB of JSON text). A
// `webhook_received` whose data would exceed it leaves `body` out and carries `bodyOmitted: true`
// and `bodyBytes`; the full body is in the lake object named by `objectKey` (row
// `__kdd_request_id` = `requestId`).
import type { BodyFormat } from '../ingest/kondado.ts';
import type { RejectionSummary } from '../ingest/rejections.ts';
import { MAX_EVENT_DATA_BYTES, eventDataBytes, type OutboundEvent } from './queue-messages.ts';

export function webhookReceivedEvent(input: {
  requestId: string;
  ts: number;
  pipelineId: number;
  key: string;
  format: BodyFormat;
  /** The body as it landed in the lake: JSON text, checked by the receiver. */
  body: string;
  objectKey: string;
}): OutboundEvent {
  const head =
    `{"pipelineId":${JSON.stringify(input.pipelineId)},"requestId":${JSON.stringify(input.requestId)},` +
    `"requestUnixTimestamp":${JSON.stringify(input.ts)},"requesterKey":${JSON.stringify(input.key)},` +
    `"format":${JSON.stringify(input.format)},`;
  const objectKey = `"objectKey":${JSON.stringify(input.objectKey)}`;
  const bodyBytes = Buffer.byteLength(input.body, 'utf8');
  // Measured in parts: a body of several MB is never copied just to find it does not fit.
  const fits = eventDataBytes(head) + '"body":'.length + bodyBytes + 1 + eventDataBytes(objectKey) + 1 <= MAX_EVENT_DATA_BYTES;
  const dataJson = fits
    ? `${head}"body":${input.body},${objectKey}}`
    : `${head}${objectKey},"bodyOmitted":true,"bodyBytes":${bodyBytes}}`;
  return {
    id: `evt_recv_${input.requestId}`,
    type: 'webhook_received',
    timestamp: Math.round(input.ts * 1000),
    pipelineId: input.pipelineId,
    dataJson,
  };
}

export function batchLandedEvent(input: {
  pipelineId: number;
  dt: string;
  objectKey: string;
  rows: number;
  firstTs: number;
  lastTs: number;
}): OutboundEvent {
  const name = input.objectKey.slice(input.objectKey.lastIndexOf('/') + 1).replace(/\.parquet$/, '');
  return {
    id: `evt_land_${input.pipelineId}_${input.dt}_${name}`,
    type: 'batch_landed',
    // The newest request's time: the same on every re-landing of the object.
    timestamp: Math.round(input.lastTs * 1000),
    pipelineId: input.pipelineId,
    dataJson: JSON.stringify({
      pipelineId: input.pipelineId,
      dt: input.dt,
      objectKey: input.objectKey,
      rows: input.rows,
      firstRequestUnixTimestamp: input.firstTs,
      lastRequestUnixTimestamp: input.lastTs,
    }),
  };
}

/**
 * One pipeline's rejected requests of one window (at most one event per pipeline per window):
 * counts per reason and a few sample request ids; no keys, tokens or bodies. The id derives from
 * pipeline and window, so the summary read twice is still delivered once.
 */
export function rejectionSummaryEvent(summary: RejectionSummary): OutboundEvent {
  const compactStart = summary.windowStart.replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return {
    id: `evt_rej_${summary.pipelineId}_${compactStart}`,
    type: 'webhook_rejected',
    timestamp: Date.parse(summary.windowEnd),
    pipelineId: summary.pipelineId,
    dataJson: JSON.stringify({
      pipelineId: summary.pipelineId,
      windowStart: summary.windowStart,
      windowEnd: summary.windowEnd,
      total: summary.total,
      byReason: summary.byReason,
      sampleRequestIds: summary.sampleRequestIds,
    }),
  };
}
