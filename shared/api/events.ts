// The events subscriptions subscribe to, under /v4/events: the catalogue (built-in types with an
// example envelope each) and custom event publishing, through SubscriptionService.
import * as v from 'valibot';
import type { JsonValue } from '../domain/json.ts';
import { MAX_EVENT_DATA_BYTES } from '../domain/delivery/queue-messages.ts';
import { pageOf } from '../ports/page.ts';
import type { EventTypeInfo } from '../ports/subscriptions.ts';
import { ApiError } from './errors.ts';
import { NextCursor, nextCursor, pageRequest, type ListPaging } from './pagination.ts';
import { reply, routeFor, type Route } from './router.ts';
import { IsoTimestamp, ListQuery, PipelineId } from './schemas.ts';
import { engine, type SubscriptionApiDeps } from './subscriptions.ts';

/** Body limit of POST /v4/events: the data plus room for `type` and `pipelineId`. */
export const MAX_EVENT_BODY_BYTES = MAX_EVENT_DATA_BYTES + 4 * 1024;

export type EventApiDeps = Pick<SubscriptionApiDeps, 'subscriptions'>;

export const PublishEventBody = v.strictObject({
  type: v.pipe(v.string('must be a string'), v.maxLength(64, 'must be at most 64 characters')),
  /** Any JSON value; it becomes the envelope's `data`. */
  data: v.pipe(v.unknown(), v.description('Any JSON value, at most 256 KiB as JSON text: the envelope\'s `data`.')),
  pipelineId: v.nullish(PipelineId),
});

const EVENT_TYPE_PAGES: ListPaging<string> = { list: 'events', key: v.pipe(v.string(), v.maxLength(64)) };

export const EventTypeSchema = v.pipe(
  v.strictObject({
    type: v.string(),
    description: v.string(),
    subscribable: v.boolean(),
    example: v.pipe(v.unknown(), v.description('A full example delivery envelope.')),
  }),
  v.metadata({ ref: 'EventType' }),
);

export const PublishedEventSchema = v.pipe(
  v.strictObject({ id: v.string(), type: v.string(), timestamp: IsoTimestamp }),
  v.metadata({ ref: 'PublishedEvent' }),
);

export type EventTypeJson = Omit<v.InferOutput<typeof EventTypeSchema>, 'example'> & { example: JsonValue };
export type PublishedEventJson = v.InferOutput<typeof PublishedEventSchema>;

export function eventTypeJson(e: EventTypeInfo): EventTypeJson {
  return { type: e.type, description: e.description, subscribable: e.subscribable, example: e.example };
}

const route = routeFor<EventApiDeps>();

export const eventRoutes: Route<EventApiDeps>[] = [
  route({
    method: 'GET',
    path: '/v4/events',
    operationId: 'listEventTypes',
    summary: 'List event types',
    description: 'The built-in event types with an example envelope each; custom types are any name matching `^[a-z][a-z0-9_.-]{0,63}$` that is not built-in and does not start with `hooklake.`.',
    tags: ['Events'],
    query: ListQuery,
    responses: {
      200: { description: 'A page of the built-in event types.', schema: v.strictObject({ events: v.array(EventTypeSchema), next_cursor: NextCursor }) },
    },
    handle: async ({ query, deps }) => {
      const { limit, after } = pageRequest(EVENT_TYPE_PAGES, query);
      const all = deps.subscriptions.listEventTypes();
      const start = after === undefined ? 0 : all.findIndex((event) => event.type === after) + 1 || all.length;
      const page = pageOf(all.slice(start, start + limit + 1), limit, (event) => event.type);
      return reply(200, { events: page.items.map(eventTypeJson), next_cursor: nextCursor(EVENT_TYPE_PAGES, page) });
    },
  }),
  route({
    method: 'POST',
    path: '/v4/events',
    operationId: 'publishEvent',
    summary: 'Publish a custom event',
    description: 'Fanned out to every enabled subscription listing its type (and, with `pipelineId`, filtered on it or on none).',
    tags: ['Events'],
    body: PublishEventBody,
    maxBodyBytes: MAX_EVENT_BODY_BYTES,
    errors: ['INVALID_EVENT_TYPE'],
    responses: { 202: { description: 'The event, queued for fan-out.', schema: PublishedEventSchema } },
    handle: async ({ body, deps }) => {
      if (body.data === undefined) throw new ApiError('INVALID_REQUEST', 'invalid request body: data is required');
      const data = body.data as JsonValue; // parsed from JSON, so JSON
      const published = await engine(() => deps.subscriptions.publishEvent(body.type, data, { pipelineId: body.pipelineId ?? undefined }));
      return reply(202, { id: published.id, type: published.type, timestamp: published.timestamp });
    },
  }),
];
