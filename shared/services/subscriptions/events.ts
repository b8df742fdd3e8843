// The events subscriptions subscribe to: the catalogue (built-in types with example envelopes) and
// custom event publishing (type and data size checked here, once, then queued for the fan-out).
import { randomUUID } from 'node:crypto';
import { EVENT_CATALOGUE, eventTypeRefusal, exampleEnvelope } from '../../domain/delivery/events.ts';
import type { JsonValue } from '../../domain/json.ts';
import { MAX_EVENT_DATA_BYTES, eventDataBytes, serializeQueueMessage, type EventMessage } from '../../domain/delivery/queue-messages.ts';
import type { Clock } from '../../domain/clock.ts';
import type { EventsQueue } from '../../ports/delivery.ts';
import { SubscriptionError, type PublishedEvent, type SubscriptionService } from '../../ports/subscriptions.ts';

export function eventOperations(deps: { clock: Clock; queue(): EventsQueue }): Pick<SubscriptionService, 'listEventTypes' | 'publishEvent'> {
  return {
    listEventTypes() {
      return EVENT_CATALOGUE.map((definition) => ({
        type: definition.type,
        description: definition.description,
        subscribable: definition.subscribable,
        example: exampleEnvelope(definition) as unknown as JsonValue,
      }));
    },

    async publishEvent(type, data, options = {}): Promise<PublishedEvent> {
      const refusal = eventTypeRefusal(type, 'publish');
      if (refusal !== undefined) throw new SubscriptionError('INVALID_EVENT_TYPE', refusal);
      // Custom data arrives parsed (the API's request body); its JSON text from here on is what travels.
      const dataJson = JSON.stringify(data);
      const bytes = eventDataBytes(dataJson);
      if (bytes > MAX_EVENT_DATA_BYTES) {
        throw new SubscriptionError('PAYLOAD_TOO_LARGE', `the event data is ${bytes} bytes of JSON; the limit is ${MAX_EVENT_DATA_BYTES}`);
      }
      const queue = deps.queue();
      const timestamp = deps.clock.nowMs();
      const message: EventMessage = {
        v: 1,
        kind: 'event',
        event: {
          id: `evt_${randomUUID().replaceAll('-', '')}`,
          type,
          timestamp: Math.floor(timestamp),
          ...(options.pipelineId === undefined ? {} : { pipelineId: options.pipelineId }),
          dataJson,
        },
      };
      await queue.send([{ body: serializeQueueMessage(message) }]);
      return { id: message.event.id, type, timestamp: new Date(message.event.timestamp).toISOString() };
    },
  };
}
