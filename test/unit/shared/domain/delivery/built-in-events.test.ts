// The processor's built-in events: webhook_received carries the inbound body as the JSON value
// itself, spliced as text.
import { describe, expect, it } from 'vitest';
import { BODY, INPUT } from '../../../../support/webhook-received.ts';
import { webhookReceivedEvent } from '../../../../../shared/domain/delivery/built-in-events.ts';
import { MAX_EVENT_DATA_BYTES, parseQueueMessage, serializeQueueMessage } from '../../../../../shared/domain/delivery/queue-messages.ts';

describe('webhookReceivedEvent', () => {
  it('puts the body text into data.body verbatim, as a JSON value', () => {
    const event = webhookReceivedEvent({ ...INPUT, body: BODY });
    expect(event.dataJson).toBe(
      `{"pipelineId":7,"requestId":"qwertyuiopasdfghjklz","requestUnixTimestamp":1577015690.3118637,` +
        `"requesterKey":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","format":"json","body":${BODY},` +
        `"objectKey":"webhooks/pipeline_id=7/dt=2019-12-22/abc.parquet"}`,
    );
    expect(JSON.parse(event.dataJson).body).toEqual(JSON.parse(BODY));
    expect(event).toMatchObject({ id: 'evt_recv_qwertyuiopasdfghjklz', type: 'webhook_received', timestamp: 1577015690312, pipelineId: 7 });
  });

  it('keeps a form or query body as the decoded object that was stored', () => {
    const stored = '{"leads":{"status":[{"id":"25399013"}]}}';
    const event = webhookReceivedEvent({ ...INPUT, format: 'form', body: stored });
    expect(JSON.parse(event.dataJson)).toMatchObject({ format: 'form', body: { leads: { status: [{ id: '25399013' }] } } });
  });

  it('leaves the body out past the data cap, flagged bodyOmitted with its size', () => {
    const big = JSON.stringify({ blob: 'é'.repeat(MAX_EVENT_DATA_BYTES / 2) });
    const event = webhookReceivedEvent({ ...INPUT, body: big });
    const data = JSON.parse(event.dataJson) as Record<string, unknown>;
    expect(data).not.toHaveProperty('body');
    expect(data).toMatchObject({ bodyOmitted: true, bodyBytes: Buffer.byteLength(big), objectKey: INPUT.objectKey, requestId: INPUT.requestId });
    expect(Buffer.byteLength(event.dataJson)).toBeLessThan(1024);
  });

  it('keeps a body whose data is exactly at the cap', () => {
    const empty = webhookReceivedEvent({ ...INPUT, body: '""' }).dataJson;
    const body = `"${'a'.repeat(MAX_EVENT_DATA_BYTES - Buffer.byteLength(empty))}"`;
    const event = webhookReceivedEvent({ ...INPUT, body });
    expect(Buffer.byteLength(event.dataJson)).toBe(MAX_EVENT_DATA_BYTES);
    expect(JSON.parse(event.dataJson).body).toBe(JSON.parse(body));
  });

  it('crosses the events queue with its data text unchanged', () => {
    const event = webhookReceivedEvent({ ...INPUT, body: BODY });
    const back = parseQueueMessage(serializeQueueMessage({ v: 1, kind: 'event', event }));
    expect(back).toEqual({ v: 1, kind: 'event', event });
  });
});
