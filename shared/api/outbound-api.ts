// The outbound half of the management API (Kadoa's shape, camelCase): webhook subscriptions, their
// delivery log and redelivery, the events endpoint and custom event publishing. Request and
// response schemas and JSON shapes here; everything else through OutboundService.
import * as v from 'valibot';
import type { ManagementStore } from '../ports/management.ts';
import {
  OutboundError,
  type ConnectionTestResult,
  type Delivery,
  type DeliveryAttempt,
  type EventTypeInfo,
  type OutboundService,
  type Subscription,
  type SubscriptionInput,
} from '../ports/outbound.ts';
import type { JsonValue } from '../domain/json.ts';
import { REDACTED_HEADER_VALUE, headersProblem } from '../domain/outbound/header-policy.ts';
import { MAX_EVENT_DATA_BYTES } from '../domain/outbound/queue-messages.ts';
import { SUBSCRIPTION_ID } from '../domain/outbound/subscription-id.ts';
import { ApiError, type ApiErrorCode } from './errors.ts';
import { documentAs, reply, routeFor, type Route } from './router.ts';
import { NextCursor, PAGE_QUERY, nextCursor, pageRequest, type ListPaging } from './pagination.ts';
import { IsoTime, IsoTimestamp } from './schemas.ts';
import { pageOf } from '../ports/page.ts';

/** What the outbound routes need; ManagementDeps provides it. */
export interface OutboundApiDeps {
  outbound: OutboundService;
  /** To refuse a pipeline filter naming a pipeline that does not exist. */
  store: Pick<ManagementStore, 'getPipeline'>;
}

// ---- limits (documented in the README's API section) ----

/** Delivery ids are the engine's; only a permissive shape is checked. */
export const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const MAX_URL_LENGTH = 2048;
export const MAX_EVENTS_PER_SUBSCRIPTION = 50;
export const MAX_DESCRIPTION_LENGTH = 500;
/** Body limit of POST /v4/events: the data plus room for `type` and `pipelineId`. */
export const MAX_EVENT_BODY_BYTES = MAX_EVENT_DATA_BYTES + 4 * 1024;

// ---- request schemas ----

export const WebhookUrl = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`),
);

export const Method = v.pipe(
  v.string('must be "POST" or "GET"'),
  v.toUpperCase(),
  v.picklist(['POST', 'GET'], 'must be "POST" or "GET"'),
);

const Events = v.pipe(
  v.array(
    v.pipe(v.string('must be a string'), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(64, 'must be at most 64 characters')),
    'must be an array of event types',
  ),
  v.minLength(1, 'must name at least one event type (GET /v4/events lists them)'),
  v.maxLength(MAX_EVENTS_PER_SUBSCRIPTION, `must name at most ${MAX_EVENTS_PER_SUBSCRIPTION} event types`),
  v.transform((events) => [...new Set(events)]),
);

const PipelineId = v.pipe(
  v.number('must be a number'),
  v.safeInteger('must be a positive integer'),
  v.minValue(1, 'must be a positive integer'),
);

const Description = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.maxLength(MAX_DESCRIPTION_LENGTH, `must be at most ${MAX_DESCRIPTION_LENGTH} characters`),
  v.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
);

// Not v.record: it drops keys such as `constructor` silently; every name must be seen and judged.
export const Headers = v.pipe(
  v.custom<Record<string, unknown>>(
    (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
    'must be an object of header names to values',
  ),
  v.check((headers) => Object.values(headers).every((value) => typeof value === 'string'), 'header values must be strings'),
  v.check(
    (headers) => headersProblem(headers as Record<string, string>) === undefined,
    (issue) => headersProblem(issue.input as Record<string, string>) ?? 'invalid',
  ),
  v.description(
    'Custom request headers sent with every delivery: at most 20, names are HTTP tokens, values printable ASCII up to 2048 characters, 8 KiB in all; names Hooklake sets itself are refused. Values are write-only (shown as `***`).',
  ),
  v.transform((headers) => Object.fromEntries(Object.entries(headers)) as Record<string, string>),
);
documentAs(Headers, { type: 'object', additionalProperties: { type: 'string' } });

export const Format = v.picklist(['json', 'form'], 'must be "json" or "form"');

const Enabled = v.boolean('must be true or false');

export const CreateSubscriptionBody = v.pipe(
  v.strictObject({
    webhookUrl: WebhookUrl,
    webhookHttpMethod: v.optional(Method, 'POST'),
    events: Events,
    pipelineId: v.nullish(PipelineId),
    description: v.nullish(Description),
    headers: v.nullish(Headers),
    format: v.nullish(Format),
    enabled: v.nullish(Enabled),
  }),
  v.examples([{ webhookUrl: 'https://hooks.example.com/orders', webhookHttpMethod: 'POST', events: ['webhook_received'], pipelineId: 1, headers: { Authorization: 'Bearer target-credential' } }]),
);

/** Every field optional; null clears pipelineId and description. URL and method cannot change (subscribe again). */
export const UpdateSubscriptionBody = v.pipe(
  v.strictObject({
    enabled: v.optional(Enabled),
    events: v.optional(Events),
    description: v.nullish(Description),
    headers: v.optional(Headers),
    format: v.optional(Format),
    pipelineId: v.nullish(PipelineId),
  }),
  v.check((body) => Object.keys(body).length > 0, 'name at least one field to change: enabled, events, description, headers, format, pipelineId'),
);

const fromBeforeTo = <T extends { from?: string | undefined; to?: string | undefined }>(range: T) =>
  range.from === undefined || range.to === undefined || range.from <= range.to;

export const DeliveriesQuery = v.pipe(
  v.strictObject({
    status: v.optional(v.picklist(['pending', 'succeeded', 'failed'], 'must be pending, succeeded or failed')),
    from: v.optional(IsoTime),
    to: v.optional(IsoTime),
    ...PAGE_QUERY,
  }),
  v.check(fromBeforeTo, 'from must not be after to'),
);

export const RedeliverRangeBody = v.pipe(v.strictObject({ from: IsoTime, to: IsoTime }), v.check(fromBeforeTo, 'from must not be after to'));

export const PublishEventBody = v.strictObject({
  type: v.pipe(v.string('must be a string'), v.maxLength(64, 'must be at most 64 characters')),
  /** Any JSON value; it becomes the envelope's `data`. */
  data: v.pipe(v.unknown(), v.description('Any JSON value, at most 256 KiB as JSON text: the envelope\'s `data`.')),
  pipelineId: v.nullish(PipelineId),
});

export const SubscriptionParams = v.object({
  id: v.pipe(v.string(), v.regex(SUBSCRIPTION_ID, 'the subscription id must look like sub_ followed by 8 to 40 letters or digits')),
});

export const DeliveryParams = v.object({
  ...SubscriptionParams.entries,
  deliveryId: v.pipe(v.string(), v.regex(DELIVERY_ID, 'the delivery id is malformed')),
});


/** `limit` and `cursor` of every list; any other query parameter is refused (router.ts). */
const ListQuery = v.strictObject(PAGE_QUERY);

const SUBSCRIPTION_PAGES: ListPaging<string> = { list: 'webhook-subscriptions', key: v.pipe(v.string(), v.regex(SUBSCRIPTION_ID)) };
const DELIVERY_PAGES: ListPaging<string> = { list: 'deliveries', key: v.pipe(v.string(), v.regex(DELIVERY_ID)) };
const EVENT_TYPE_PAGES: ListPaging<string> = { list: 'events', key: v.pipe(v.string(), v.maxLength(64)) };

// ---- response schemas (camelCase, Kadoa's) ----

const DeliveryStatus = v.picklist(['pending', 'succeeded', 'failed']);

export const SubscriptionSchema = v.pipe(
  v.strictObject({
    id: v.pipe(v.string(), v.regex(SUBSCRIPTION_ID)),
    webhookUrl: v.string(),
    webhookHttpMethod: v.picklist(['POST', 'GET']),
    events: v.array(v.string()),
    pipelineId: v.pipe(v.nullable(v.number()), v.description('null: events of every pipeline (and events without one).')),
    description: v.nullable(v.string()),
    headers: v.pipe(
      v.record(v.string(), v.literal(REDACTED_HEADER_VALUE)),
      v.description('Custom header names, each with the value `***`: values are never shown after they are set.'),
    ),
    format: v.picklist(['json', 'form']),
    enabled: v.boolean(),
    createdAt: IsoTimestamp,
    updatedAt: IsoTimestamp,
  }),
  v.metadata({ ref: 'Subscription' }),
  v.examples([
    {
      id: 'sub_3f9a1c0d5e7b2a4c6d8e',
      webhookUrl: 'https://hooks.example.com/orders',
      webhookHttpMethod: 'POST',
      events: ['webhook_received'],
      pipelineId: 1,
      description: null,
      headers: { Authorization: REDACTED_HEADER_VALUE },
      format: 'json',
      enabled: true,
      createdAt: '2026-11-20T12:00:00.000Z',
      updatedAt: '2026-11-20T12:00:00.000Z',
    },
  ]),
);

export const CreatedSubscriptionSchema = v.pipe(
  v.strictObject({
    ...SubscriptionSchema.entries,
    secret: v.pipe(v.string(), v.regex(/^whsec_/), v.description('The Standard Webhooks signing secret: in this answer only.')),
  }),
  v.metadata({ ref: 'CreatedSubscription' }),
);

export const DeletedSubscriptionSchema = v.strictObject({ ...SubscriptionSchema.entries, deleted: v.literal(true) });

export const DeliveryAttemptSchema = v.pipe(
  v.strictObject({
    number: v.pipe(v.number(), v.integer(), v.minValue(1)),
    at: IsoTimestamp,
    statusCode: v.pipe(v.nullable(v.number()), v.description('null: no HTTP answer.')),
    latencyMs: v.number(),
    ok: v.boolean(),
    errorClass: v.pipe(
      v.nullable(v.string()),
      v.description('Why the attempt was invalid: http_status, timeout, connection, redirect, blocked_target, url_too_long, encoding_*.'),
    ),
    responseSnippet: v.pipe(v.nullable(v.string()), v.description('The first 1 KB of the answer.')),
  }),
  v.metadata({ ref: 'DeliveryAttempt' }),
);

export const DeliverySchema = v.pipe(
  v.strictObject({
    id: v.string(),
    subscriptionId: v.string(),
    eventId: v.string(),
    eventType: v.string(),
    webhookId: v.pipe(v.string(), v.description('The `webhook-id` header: the same on every attempt and redelivery.')),
    status: DeliveryStatus,
    createdAt: IsoTimestamp,
    updatedAt: IsoTimestamp,
    nextAttemptAt: v.pipe(v.nullable(IsoTimestamp), v.description('When the next retry is due, while pending.')),
    attempts: v.array(DeliveryAttemptSchema),
  }),
  v.metadata({ ref: 'Delivery' }),
);

export const ConnectionTestSchema = v.pipe(
  v.strictObject({
    ok: v.pipe(v.boolean(), v.description('The endpoint answered 2xx in time.')),
    statusCode: v.nullable(v.number()),
    latencyMs: v.number(),
    errorClass: v.nullable(v.string()),
    responseSnippet: v.nullable(v.string()),
  }),
  v.metadata({ ref: 'ConnectionTest' }),
);

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

export type SubscriptionJson = v.InferOutput<typeof SubscriptionSchema>;
export type CreatedSubscriptionJson = v.InferOutput<typeof CreatedSubscriptionSchema>;
export type DeliveryAttemptJson = v.InferOutput<typeof DeliveryAttemptSchema>;
export type DeliveryJson = v.InferOutput<typeof DeliverySchema>;
export type ConnectionTestJson = v.InferOutput<typeof ConnectionTestSchema>;
export type EventTypeJson = Omit<v.InferOutput<typeof EventTypeSchema>, 'example'> & { example: JsonValue };
export type PublishedEventJson = v.InferOutput<typeof PublishedEventSchema>;

/** Picks the documented fields only, so nothing else the engine keeps (a secret) can leak out. */
export function subscriptionJson(s: Subscription): SubscriptionJson {
  return {
    id: s.id,
    webhookUrl: s.webhookUrl,
    webhookHttpMethod: s.webhookHttpMethod,
    events: [...s.events],
    pipelineId: s.pipelineId ?? null,
    description: s.description ?? null,
    // Header values are write-only (usually a target's credential): names with a mask.
    headers: Object.fromEntries(s.headerNames.map((name) => [name, REDACTED_HEADER_VALUE])),
    format: s.format,
    enabled: s.enabled,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

function attemptJson(a: DeliveryAttempt): DeliveryAttemptJson {
  return {
    number: a.number,
    at: a.at,
    statusCode: a.statusCode ?? null,
    latencyMs: a.latencyMs,
    ok: a.ok,
    errorClass: a.errorClass ?? null,
    responseSnippet: a.responseSnippet ?? null,
  };
}

export function deliveryJson(d: Delivery): DeliveryJson {
  return {
    id: d.id,
    subscriptionId: d.subscriptionId,
    eventId: d.eventId,
    eventType: d.eventType,
    webhookId: d.webhookId,
    status: d.status,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    nextAttemptAt: d.nextAttemptAt ?? null,
    attempts: d.attempts.map(attemptJson),
  };
}

export function connectionTestJson(r: ConnectionTestResult): ConnectionTestJson {
  return {
    ok: r.ok,
    statusCode: r.statusCode ?? null,
    latencyMs: r.latencyMs,
    errorClass: r.errorClass ?? null,
    responseSnippet: r.responseSnippet ?? null,
  };
}

export function eventTypeJson(e: EventTypeInfo): EventTypeJson {
  return { type: e.type, description: e.description, subscribable: e.subscribable, example: e.example };
}

// ---- what the API checks itself (the engine checks URLs and event types) ----

function checkFormat(method: 'POST' | 'GET', format: 'json' | 'form' | null | undefined): void {
  if (method === 'GET' && format === 'form') {
    throw new ApiError('INVALID_REQUEST', 'invalid request body: format "form" applies to POST deliveries only (GET sends query parameters)');
  }
}

async function checkPipeline(deps: OutboundApiDeps, pipelineId: number | null | undefined): Promise<void> {
  if (pipelineId === null || pipelineId === undefined) return;
  if ((await deps.store.getPipeline(pipelineId)) === undefined) {
    throw new ApiError('UNKNOWN_PIPELINE', `unknown pipeline: ${pipelineId}`);
  }
}

const OUTBOUND_ERROR_CODES: Record<OutboundError['code'], ApiErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_TARGET: 'INVALID_TARGET',
  INVALID_EVENT_TYPE: 'INVALID_EVENT_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
};

/** Runs an engine call, turning its typed failures into API errors (anything else stays a 500). */
async function engine<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OutboundError) throw new ApiError(OUTBOUND_ERROR_CODES[error.code], error.message);
    throw error;
  }
}

const subscriptionNotFound = (id: string) => new ApiError('NOT_FOUND', `subscription ${id} does not exist`);

// ---- routes ----

const route = routeFor<OutboundApiDeps>();
const SUBSCRIPTIONS = '/v4/webhook-subscriptions';
const SUBSCRIPTION = `${SUBSCRIPTIONS}/{id}`;
const ENGINE_SUBSCRIPTION_ERRORS = ['INVALID_TARGET', 'INVALID_EVENT_TYPE', 'UNKNOWN_PIPELINE'] as const;

export const outboundRoutes: Route<OutboundApiDeps>[] = [
  route({
    method: 'POST',
    path: SUBSCRIPTIONS,
    operationId: 'createSubscription',
    summary: 'Subscribe a URL to events',
    description:
      'The URL is checked against the SSRF rules after DNS resolution. `format` applies to POST only (`form` with GET is refused). The signing secret is in this answer only.',
    tags: ['Subscriptions'],
    body: CreateSubscriptionBody,
    errors: ENGINE_SUBSCRIPTION_ERRORS,
    responses: { 201: { description: 'The new subscription with its signing secret.', schema: CreatedSubscriptionSchema } },
    handle: async ({ body, deps }) => {
      checkFormat(body.webhookHttpMethod, body.format);
      await checkPipeline(deps, body.pipelineId);
      const input: SubscriptionInput = {
        webhookUrl: body.webhookUrl,
        webhookHttpMethod: body.webhookHttpMethod,
        events: body.events,
        pipelineId: body.pipelineId ?? undefined,
        description: body.description ?? undefined,
        headers: body.headers ?? undefined,
        format: body.format ?? undefined,
        enabled: body.enabled ?? undefined,
      };
      const { subscription, secret } = await engine(() => deps.outbound.createSubscription(input));
      return reply(201, { ...subscriptionJson(subscription), secret });
    },
  }),
  route({
    method: 'GET',
    path: SUBSCRIPTIONS,
    operationId: 'listSubscriptions',
    summary: 'List subscriptions',
    description: 'Never their secrets nor header values.',
    tags: ['Subscriptions'],
    query: ListQuery,
    responses: {
      200: {
        description: 'A page of subscriptions, in id order.',
        schema: v.strictObject({ subscriptions: v.array(SubscriptionSchema), next_cursor: NextCursor }),
      },
    },
    handle: async ({ query, deps }) => {
      const page = await engine(() => deps.outbound.listSubscriptions(pageRequest(SUBSCRIPTION_PAGES, query)));
      return reply(200, { subscriptions: page.items.map(subscriptionJson), next_cursor: nextCursor(SUBSCRIPTION_PAGES, page) });
    },
  }),
  route({
    method: 'GET',
    path: SUBSCRIPTION,
    operationId: 'getSubscription',
    summary: 'Get a subscription',
    tags: ['Subscriptions'],
    params: SubscriptionParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The subscription.', schema: SubscriptionSchema } },
    handle: async ({ params, deps }) => {
      const subscription = await engine(() => deps.outbound.getSubscription(params.id));
      if (subscription === undefined) throw subscriptionNotFound(params.id);
      return reply(200, subscriptionJson(subscription));
    },
  }),
  route({
    method: 'PATCH',
    path: SUBSCRIPTION,
    operationId: 'updateSubscription',
    summary: 'Change a subscription',
    description:
      'Any of `enabled`, `events`, `description`, `headers` (replaces them all), `format`, `pipelineId` (`null` clears it). The URL and method cannot change (subscribe again). A concurrent change answers 409 `CONFLICT`: read it again and retry.',
    tags: ['Subscriptions'],
    params: SubscriptionParams,
    body: UpdateSubscriptionBody,
    errors: ['NOT_FOUND', 'CONFLICT', 'INVALID_EVENT_TYPE', 'UNKNOWN_PIPELINE'],
    responses: { 200: { description: 'The changed subscription.', schema: SubscriptionSchema } },
    handle: async ({ params, body, deps }) => {
      const current = await engine(() => deps.outbound.getSubscription(params.id));
      if (current === undefined) throw subscriptionNotFound(params.id);
      checkFormat(current.webhookHttpMethod, body.format);
      await checkPipeline(deps, body.pipelineId);
      // A key present with `undefined` clears the field (null in the request).
      const changes: Partial<SubscriptionInput> = {};
      if (body.enabled !== undefined) changes.enabled = body.enabled;
      if (body.events !== undefined) changes.events = body.events;
      if (body.headers !== undefined) changes.headers = body.headers;
      if (body.format !== undefined) changes.format = body.format;
      if ('description' in body) changes.description = body.description ?? undefined;
      if ('pipelineId' in body) changes.pipelineId = body.pipelineId ?? undefined;
      const updated = await engine(() => deps.outbound.updateSubscription(params.id, changes));
      return reply(200, subscriptionJson(updated));
    },
  }),
  route({
    method: 'DELETE',
    path: SUBSCRIPTION,
    operationId: 'deleteSubscription',
    summary: 'Delete a subscription',
    description: 'Its pending retries stop; its deliveries stay in the log until they expire.',
    tags: ['Subscriptions'],
    params: SubscriptionParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The deleted subscription.', schema: DeletedSubscriptionSchema } },
    handle: async ({ params, deps }) => {
      const subscription = await engine(() => deps.outbound.getSubscription(params.id));
      if (subscription === undefined) throw subscriptionNotFound(params.id);
      if (!(await engine(() => deps.outbound.deleteSubscription(params.id)))) throw subscriptionNotFound(params.id);
      return reply(200, { ...subscriptionJson(subscription), deleted: true as const });
    },
  }),
  route({
    method: 'POST',
    path: `${SUBSCRIPTION}/test`,
    operationId: 'testSubscription',
    summary: 'Send a signed ping',
    description: 'Sends a signed `ping` event at once and reports how the endpoint answered; not recorded as a delivery.',
    tags: ['Subscriptions'],
    params: SubscriptionParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'How the endpoint answered.', schema: ConnectionTestSchema } },
    handle: async ({ params, deps }) => reply(200, connectionTestJson(await engine(() => deps.outbound.testSubscription(params.id)))),
  }),

  route({
    method: 'GET',
    path: `${SUBSCRIPTION}/deliveries`,
    operationId: 'listDeliveries',
    summary: 'The delivery log of a subscription',
    description: 'Newest first, each delivery with its attempts (the last 50).',
    tags: ['Deliveries'],
    params: SubscriptionParams,
    query: DeliveriesQuery,
    errors: ['NOT_FOUND'],
    responses: {
      200: { description: 'A page of deliveries, newest first.', schema: v.strictObject({ deliveries: v.array(DeliverySchema), next_cursor: NextCursor }) },
    },
    handle: async ({ params, query, deps }) => {
      const { limit, after } = pageRequest(DELIVERY_PAGES, query);
      const [subscription, page] = await Promise.all([
        engine(() => deps.outbound.getSubscription(params.id)),
        engine(() => deps.outbound.listDeliveries(params.id, { status: query.status, from: query.from, to: query.to, limit, after })),
      ]);
      if (subscription === undefined) throw subscriptionNotFound(params.id);
      return reply(200, { deliveries: page.items.map(deliveryJson), next_cursor: nextCursor(DELIVERY_PAGES, page) });
    },
  }),
  route({
    method: 'GET',
    path: `${SUBSCRIPTION}/deliveries/{deliveryId}`,
    operationId: 'getDelivery',
    summary: 'Get one delivery',
    tags: ['Deliveries'],
    params: DeliveryParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The delivery with its attempts.', schema: DeliverySchema } },
    handle: async ({ params, deps }) => {
      const delivery = await engine(() => deps.outbound.getDelivery(params.id, params.deliveryId));
      if (delivery === undefined) {
        throw new ApiError('NOT_FOUND', `delivery ${params.deliveryId} of subscription ${params.id} does not exist`);
      }
      return reply(200, deliveryJson(delivery));
    },
  }),
  route({
    method: 'POST',
    path: `${SUBSCRIPTION}/deliveries/{deliveryId}/redeliver`,
    operationId: 'redeliver',
    summary: 'Queue one delivery again',
    description: 'Whatever its status; it keeps its `webhook-id`, continues its attempt log and gets a fresh retry budget.',
    tags: ['Deliveries'],
    params: DeliveryParams,
    errors: ['NOT_FOUND'],
    responses: { 202: { description: 'The delivery, queued again.', schema: DeliverySchema } },
    handle: async ({ params, deps }) => reply(202, deliveryJson(await engine(() => deps.outbound.redeliver(params.id, params.deliveryId)))),
  }),
  route({
    method: 'POST',
    path: `${SUBSCRIPTION}/redeliver`,
    operationId: 'redeliverFailed',
    summary: 'Queue every failed delivery of a time range again',
    description: 'Every `failed` delivery created within [from, to] (read 100 at a time, 8 queued at once).',
    tags: ['Deliveries'],
    params: SubscriptionParams,
    body: RedeliverRangeBody,
    errors: ['NOT_FOUND'],
    responses: { 202: { description: 'How many deliveries were queued.', schema: v.strictObject({ queued: v.pipe(v.number(), v.integer(), v.minValue(0)) }) } },
    handle: async ({ params, body, deps }) => {
      const { queued } = await engine(() => deps.outbound.redeliverFailed(params.id, { from: body.from, to: body.to }));
      return reply(202, { queued });
    },
  }),

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
      const all = deps.outbound.listEventTypes();
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
      const published = await engine(() => deps.outbound.publishEvent(body.type, data, { pipelineId: body.pipelineId ?? undefined }));
      return reply(202, { id: published.id, type: published.type, timestamp: published.timestamp });
    },
  }),
];
