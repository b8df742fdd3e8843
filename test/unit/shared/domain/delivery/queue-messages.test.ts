// The events queue's messages (events, delivery jobs, rejection summaries): queue-safe for SQS and
// fauxqs, parsed back to exactly what was serialized, a delivery job's destination on the wire
// under the name messages in flight carry.
import { describe, expect, it } from 'vitest';
import { acceptedByBoth, CORPUS } from '../../../../support/queue-text.ts';
import { MalformedQueueMessageError, parseQueueMessage, serializeQueueMessage, deliveryJob, type EventMessage } from '../../../../../shared/domain/delivery/queue-messages.ts';

describe('events-queue messages', () => {
  const event = (dataJson: string): EventMessage => ({
    v: 1,
    kind: 'event',
    event: { id: 'evt_1', type: 'order.paid', timestamp: 1577015690311, pipelineId: 7, dataJson },
  });

  it.each(Object.entries(CORPUS))('%s: an event is queue-safe and its data text comes back verbatim', (_name, body) => {
    const dataJson = `{"body":${body},"big":12345678901234567890123}`;
    const text = serializeQueueMessage(event(dataJson));
    expect(acceptedByBoth(text)).toBe(true);
    expect(parseQueueMessage(text)).toEqual(event(dataJson));
  });

  it('keeps delivery jobs queue-safe and intact', () => {
    const job = deliveryJob({ id: 'dlv_000000001' + 'a'.repeat(20), destinationId: 'sub_😀', eventId: 'evt_1', attemptCount: 2 }, 5);
    const text = serializeQueueMessage(job);
    expect(acceptedByBoth(text)).toBe(true);
    // On the wire the destination keeps the name messages in flight across a deploy carry.
    const { destinationId, ...rest } = job;
    expect(JSON.parse(text)).toEqual({ ...rest, subscriptionId: destinationId });
  });

  it('still reads the earlier shape, with data as a JSON value', () => {
    const legacy = '{"v":1,"kind":"event","event":{"id":"evt_1","type":"order.paid","timestamp":1,"data":{"a":[1,"😀"]}}}';
    expect(parseQueueMessage(legacy)).toEqual({ v: 1, kind: 'event', event: { id: 'evt_1', type: 'order.paid', timestamp: 1, dataJson: '{"a":[1,"😀"]}' } });
  });

  it.each([
    ['data text that is not JSON', '{"v":1,"kind":"event","event":{"id":"e","type":"t","timestamp":1,"dataJson":"{nope"}}'],
    ['no data', '{"v":1,"kind":"event","event":{"id":"e","type":"t","timestamp":1}}'],
    ['both shapes', '{"v":1,"kind":"event","event":{"id":"e","type":"t","timestamp":1,"dataJson":"1","data":1}}'],
    ['data text over the cap', `{"v":1,"kind":"event","event":{"id":"e","type":"t","timestamp":1,"dataJson":"\\"${'a'.repeat(256 * 1024)}\\""}}`],
  ])('refuses an event with %s as poison', (_name, text) => {
    expect(() => parseQueueMessage(text)).toThrow(MalformedQueueMessageError);
  });
});
