// The built-in events the processor publishes, built from what it just wrote. Ids and times are
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
import type { BodyFormat } from '../kondado.ts';
import type { RejectionReason } from '../records.ts';
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

/** No token, no token hash, no body: who tried, when, and why it was refused. */
export function webhookRejectedEvent(input: {
  requestId: string;
  ts: number;
  pipelineId: number;
  key: string;
  reason: RejectionReason;
}): OutboundEvent {
  return {
    id: `evt_rej_${input.requestId}`,
    type: 'webhook_rejected',
    timestamp: Math.round(input.ts * 1000),
    pipelineId: input.pipelineId,
    dataJson: JSON.stringify({
      pipelineId: input.pipelineId,
      requestId: input.requestId,
      requestUnixTimestamp: input.ts,
      requesterKey: input.key,
      reason: input.reason,
    }),
  };
}
