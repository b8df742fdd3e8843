// The built-in events, built from what the processor just wrote (webhook_rejected: from the summary
// window the processor counted into, read by the fan-out once the window is over). Ids and times are
// derived from the requests, so a batch the processor handles again (a retry after a partial
// failure or a crash) publishes identical events and the fan-out's derived delivery ids keep every
// subscriber from getting a second delivery.
//
// Size: an event's data is capped at MAX_EVENT_DATA_BYTES (256 KiB of JSON). A `webhook_received`
// whose body would exceed it carries `body: ""`, `bodyOmitted: true` and `bodyBytes`; the full body
// is in the lake object named by `objectKey` (row `__kdd_request_id` = `requestId`).
import type { BodyFormat } from '../kondado.ts';
import type { RejectionSummary } from '../rejections.ts';
import { MAX_EVENT_DATA_BYTES, eventDataBytes, type OutboundEvent } from './queue-messages.ts';

export function webhookReceivedEvent(input: {
  requestId: string;
  ts: number;
  pipelineId: number;
  key: string;
  format: BodyFormat;
  body: string;
  objectKey: string;
}): OutboundEvent {
  const data = {
    pipelineId: input.pipelineId,
    requestId: input.requestId,
    requestUnixTimestamp: input.ts,
    requesterKey: input.key,
    format: input.format,
    body: input.body,
    objectKey: input.objectKey,
  };
  const bytes = eventDataBytes(data);
  const capped =
    bytes <= MAX_EVENT_DATA_BYTES ? data : { ...data, body: '', bodyOmitted: true, bodyBytes: Buffer.byteLength(input.body, 'utf8') };
  return {
    id: `evt_recv_${input.requestId}`,
    type: 'webhook_received',
    timestamp: Math.round(input.ts * 1000),
    pipelineId: input.pipelineId,
    data: capped,
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
    data: {
      pipelineId: input.pipelineId,
      dt: input.dt,
      objectKey: input.objectKey,
      rows: input.rows,
      firstRequestUnixTimestamp: input.firstTs,
      lastRequestUnixTimestamp: input.lastTs,
    },
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
    data: {
      pipelineId: summary.pipelineId,
      windowStart: summary.windowStart,
      windowEnd: summary.windowEnd,
      total: summary.total,
      byReason: summary.byReason,
      sampleRequestIds: summary.sampleRequestIds,
    },
  };
}
