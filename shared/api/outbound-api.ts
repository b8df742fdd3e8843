// The outbound half of the management API (Kadoa's shape, camelCase): webhook subscriptions, their
// delivery log and redelivery, the events endpoint and custom event publishing. Pure like
// management-api.ts: request schemas and JSON shapes here, everything else through OutboundService.
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
import { ApiError, routeFor, type ApiErrorCode, type ApiResponse, type Route } from './router.ts';
import type { JsonValue } from '../domain/json.ts';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../domain/list-limits.ts';
import { REDACTED_HEADER_VALUE, headersProblem } from '../domain/outbound/header-policy.ts';
import { MAX_EVENT_DATA_BYTES } from '../domain/outbound/queue-messages.ts';
import { SUBSCRIPTION_ID } from '../domain/outbound/subscription-id.ts';

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

const WebhookUrl = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`),
);

const Method = v.pipe(
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
const Headers = v.pipe(
  v.custom<Record<string, unknown>>(
    (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
    'must be an object of header names to values',
  ),
  v.check((headers) => Object.values(headers).every((value) => typeof value === 'string'), 'header values must be strings'),
  v.check(
    (headers) => headersProblem(headers as Record<string, string>) === undefined,
    (issue) => headersProblem(issue.input as Record<string, string>) ?? 'invalid',
  ),
  v.transform((headers) => Object.fromEntries(Object.entries(headers)) as Record<string, string>),
);

const Format = v.picklist(['json', 'form'], 'must be "json" or "form"');

const Enabled = v.boolean('must be true or false');

export const CreateSubscriptionBody = v.strictObject({
  webhookUrl: WebhookUrl,
  webhookHttpMethod: v.optional(Method, 'POST'),
  events: Events,
  pipelineId: v.nullish(PipelineId),
  description: v.nullish(Description),
  headers: v.nullish(Headers),
  format: v.nullish(Format),
  enabled: v.nullish(Enabled),
});

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

/** An absolute time with a zone (`Z` or an offset), normalised to `toISOString()`. */
export const IsoTime = v.pipe(
  v.string('must be an ISO 8601 time'),
  v.regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i,
    'must be an ISO 8601 time with a zone, e.g. 2026-11-20T12:00:00Z',
  ),
  v.check(isRealDateTime, 'is not a valid time'),
  v.transform((text) => new Date(text).toISOString()),
);

function isRealDateTime(text: string): boolean {
  const time = Date.parse(text);
  if (Number.isNaN(time)) return false;
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const fromBeforeTo = <T extends { from?: string | undefined; to?: string | undefined }>(range: T) =>
  range.from === undefined || range.to === undefined || range.from <= range.to;

export const DeliveriesQuery = v.pipe(
  v.strictObject({
    status: v.optional(v.picklist(['pending', 'succeeded', 'failed'], 'must be pending, succeeded or failed')),
    from: v.optional(IsoTime),
    to: v.optional(IsoTime),
    limit: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^[1-9][0-9]{0,5}$/, `must be an integer from 1 to ${MAX_LIST_LIMIT}`),
        v.transform(Number),
        v.maxValue(MAX_LIST_LIMIT, `must be an integer from 1 to ${MAX_LIST_LIMIT}`),
      ),
    ),
  }),
  v.check(fromBeforeTo, 'from must not be after to'),
);

export const RedeliverRangeBody = v.pipe(v.strictObject({ from: IsoTime, to: IsoTime }), v.check(fromBeforeTo, 'from must not be after to'));

export const PublishEventBody = v.strictObject({
  type: v.pipe(v.string('must be a string'), v.maxLength(64, 'must be at most 64 characters')),
  /** Any JSON value; it becomes the envelope's `data`. */
  data: v.unknown(),
  pipelineId: v.nullish(PipelineId),
});

export const SubscriptionParams = v.object({
  id: v.pipe(v.string(), v.regex(SUBSCRIPTION_ID, 'the subscription id must look like sub_ followed by 8 to 40 letters or digits')),
});

export const DeliveryParams = v.object({
  ...SubscriptionParams.entries,
  deliveryId: v.pipe(v.string(), v.regex(DELIVERY_ID, 'the delivery id is malformed')),
});

// ---- response shapes (camelCase, Kadoa's) ----

export interface SubscriptionJson {
  id: string;
  webhookUrl: string;
  webhookHttpMethod: 'POST' | 'GET';
  events: string[];
  /** null: events of every pipeline (and events without one). */
  pipelineId: number | null;
  description: string | null;
  /** Custom header names, each with the value `***`: values are never shown after they are set. */
  headers: Record<string, string>;
  format: 'json' | 'form';
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface CreatedSubscriptionJson extends SubscriptionJson {
  /** Standard Webhooks signing secret (`whsec_...`); shown only in the creation response. */
  secret: string;
}

export interface DeliveryAttemptJson {
  number: number;
  at: string;
  statusCode: number | null;
  latencyMs: number;
  ok: boolean;
  errorClass: string | null;
  responseSnippet: string | null;
}

export interface DeliveryJson {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  webhookId: string;
  status: 'pending' | 'succeeded' | 'failed';
  createdAt: string;
  updatedAt: string;
  nextAttemptAt: string | null;
  attempts: DeliveryAttemptJson[];
}

export interface ConnectionTestJson {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  errorClass: string | null;
  responseSnippet: string | null;
}

export interface EventTypeJson {
  type: string;
  description: string;
  subscribable: boolean;
  example: JsonValue;
}

export interface PublishedEventJson {
  id: string;
  type: string;
  timestamp: string;
}

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

// ---- checks the API makes before calling the engine ----

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

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

// ---- routes ----

const route = routeFor<OutboundApiDeps>();
const SUBSCRIPTIONS = '/v4/webhook-subscriptions';
const SUBSCRIPTION = `${SUBSCRIPTIONS}/{id}`;

export const outboundRoutes: Route<OutboundApiDeps>[] = [
  route('POST', SUBSCRIPTIONS, { body: CreateSubscriptionBody }, async ({ body, deps }) => {
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
    return ok({ ...subscriptionJson(subscription), secret } satisfies CreatedSubscriptionJson, 201);
  }),
  route('GET', SUBSCRIPTIONS, {}, async ({ deps }) => {
    const list = await engine(() => deps.outbound.listSubscriptions());
    const sorted = [...list].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return ok({ subscriptions: sorted.map(subscriptionJson) });
  }),
  route('GET', SUBSCRIPTION, { params: SubscriptionParams }, async ({ params, deps }) => {
    const subscription = await engine(() => deps.outbound.getSubscription(params.id));
    if (subscription === undefined) throw subscriptionNotFound(params.id);
    return ok(subscriptionJson(subscription));
  }),
  route('PATCH', SUBSCRIPTION, { params: SubscriptionParams, body: UpdateSubscriptionBody }, async ({ params, body, deps }) => {
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
    return ok(subscriptionJson(updated));
  }),
  route('DELETE', SUBSCRIPTION, { params: SubscriptionParams }, async ({ params, deps }) => {
    const subscription = await engine(() => deps.outbound.getSubscription(params.id));
    if (subscription === undefined) throw subscriptionNotFound(params.id);
    if (!(await engine(() => deps.outbound.deleteSubscription(params.id)))) throw subscriptionNotFound(params.id);
    return ok({ ...subscriptionJson(subscription), deleted: true });
  }),
  route('POST', `${SUBSCRIPTION}/test`, { params: SubscriptionParams }, async ({ params, deps }) =>
    ok(connectionTestJson(await engine(() => deps.outbound.testSubscription(params.id)))),
  ),

  route('GET', `${SUBSCRIPTION}/deliveries`, { params: SubscriptionParams, query: DeliveriesQuery }, async ({ params, query, deps }) => {
    const [subscription, deliveries] = await Promise.all([
      engine(() => deps.outbound.getSubscription(params.id)),
      engine(() =>
        deps.outbound.listDeliveries(params.id, {
          status: query.status,
          from: query.from,
          to: query.to,
          limit: query.limit ?? DEFAULT_LIST_LIMIT,
        }),
      ),
    ]);
    if (subscription === undefined) throw subscriptionNotFound(params.id);
    return ok({ deliveries: deliveries.map(deliveryJson) });
  }),
  route('GET', `${SUBSCRIPTION}/deliveries/{deliveryId}`, { params: DeliveryParams }, async ({ params, deps }) => {
    const delivery = await engine(() => deps.outbound.getDelivery(params.id, params.deliveryId));
    if (delivery === undefined) {
      throw new ApiError('NOT_FOUND', `delivery ${params.deliveryId} of subscription ${params.id} does not exist`);
    }
    return ok(deliveryJson(delivery));
  }),
  route('POST', `${SUBSCRIPTION}/deliveries/{deliveryId}/redeliver`, { params: DeliveryParams }, async ({ params, deps }) =>
    ok(deliveryJson(await engine(() => deps.outbound.redeliver(params.id, params.deliveryId))), 202),
  ),
  route('POST', `${SUBSCRIPTION}/redeliver`, { params: SubscriptionParams, body: RedeliverRangeBody }, async ({ params, body, deps }) => {
    const { queued } = await engine(() => deps.outbound.redeliverFailed(params.id, { from: body.from, to: body.to }));
    return ok({ queued }, 202);
  }),

  route('GET', '/v4/events', {}, async ({ deps }) => ok({ events: deps.outbound.listEventTypes().map(eventTypeJson) })),
  route('POST', '/v4/events', { body: PublishEventBody, maxBodyBytes: MAX_EVENT_BODY_BYTES }, async ({ body, deps }) => {
    if (body.data === undefined) throw new ApiError('INVALID_REQUEST', 'invalid request body: data is required');
    const data = body.data as JsonValue; // parsed from JSON, so JSON
    const published = await engine(() =>
      deps.outbound.publishEvent(body.type, data, { pipelineId: body.pipelineId ?? undefined }),
    );
    return ok({ id: published.id, type: published.type, timestamp: published.timestamp } satisfies PublishedEventJson, 202);
  }),
];
