// Subscriptions under /v4/webhook-subscriptions (Kadoa's shape, camelCase): create, list, get,
// change, delete, test, and their delivery log and redelivery (destinations.ts, shared with syncs).
// Request and response schemas and JSON shapes here; everything else through SubscriptionService.
import * as v from 'valibot';
import type { ConnectionTestResult, Delivery } from '../ports/delivery.ts';
import type { ManagementStore } from '../ports/management.ts';
import { SubscriptionError, type Subscription, type SubscriptionInput, type SubscriptionService } from '../ports/subscriptions.ts';
import { REDACTED_HEADER_VALUE } from '../domain/delivery/header-policy.ts';
import { SUBSCRIPTION_ID } from '../domain/delivery/destinations.ts';
import { DELIVERY_FIELDS, DELIVERY_ID, Format, Headers, Method, WebhookUrl, deliveryFieldsJson, deliveryLogRoutes } from './destinations.ts';
import { ApiError, type ApiErrorCode } from './errors.ts';
import { NextCursor, nextCursor, pageRequest, type ListPaging } from './pagination.ts';
import { reply, routeFor, type Route } from './router.ts';
import { IsoTimestamp, ListQuery, PipelineId } from './schemas.ts';

/** What the subscription (and event) routes need; ApiDeps provides it. */
export interface SubscriptionApiDeps {
  subscriptions: SubscriptionService;
  /** To refuse a pipeline filter naming a pipeline that does not exist. */
  store: Pick<ManagementStore, 'getPipeline'>;
}

// ---- limits (documented in docs/api.md) ----

export const MAX_EVENTS_PER_SUBSCRIPTION = 50;
export const MAX_DESCRIPTION_LENGTH = 500;

// ---- request schemas ----

const Events = v.pipe(
  v.array(
    v.pipe(v.string('must be a string'), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(64, 'must be at most 64 characters')),
    'must be an array of event types',
  ),
  v.minLength(1, 'must name at least one event type (GET /v4/events lists them)'),
  v.maxLength(MAX_EVENTS_PER_SUBSCRIPTION, `must name at most ${MAX_EVENTS_PER_SUBSCRIPTION} event types`),
  v.transform((events) => [...new Set(events)]),
);

const Description = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.maxLength(MAX_DESCRIPTION_LENGTH, `must be at most ${MAX_DESCRIPTION_LENGTH} characters`),
  v.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
);

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

export const SubscriptionParams = v.object({
  id: v.pipe(v.string(), v.regex(SUBSCRIPTION_ID, 'the subscription id must look like sub_ followed by 8 to 40 letters or digits')),
});

const SUBSCRIPTION_PAGES: ListPaging<string> = { list: 'webhook-subscriptions', key: v.pipe(v.string(), v.regex(SUBSCRIPTION_ID)) };
const DELIVERY_PAGES: ListPaging<string> = { list: 'deliveries', key: v.pipe(v.string(), v.regex(DELIVERY_ID)) };

// ---- response schemas (camelCase, Kadoa's) ----

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

/** A subscription's delivery: the one form of a delivery (destinations.ts), its destination as `subscriptionId`. */
export const DeliverySchema = v.pipe(v.strictObject({ id: v.string(), subscriptionId: v.string(), ...DELIVERY_FIELDS }), v.metadata({ ref: 'Delivery' }));

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

export type SubscriptionJson = v.InferOutput<typeof SubscriptionSchema>;
export type CreatedSubscriptionJson = v.InferOutput<typeof CreatedSubscriptionSchema>;
export type DeliveryJson = v.InferOutput<typeof DeliverySchema>;
export type DeliveryAttemptJson = DeliveryJson['attempts'][number];
export type ConnectionTestJson = v.InferOutput<typeof ConnectionTestSchema>;

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

export function deliveryJson(d: Delivery): DeliveryJson {
  return { id: d.id, subscriptionId: d.destinationId, ...deliveryFieldsJson(d) };
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

// ---- what the API checks itself (the engine checks URLs and event types) ----

function checkFormat(method: 'POST' | 'GET', format: 'json' | 'form' | null | undefined): void {
  if (method === 'GET' && format === 'form') {
    throw new ApiError('INVALID_REQUEST', 'invalid request body: format "form" applies to POST deliveries only (GET sends query parameters)');
  }
}

async function checkPipeline(deps: SubscriptionApiDeps, pipelineId: number | null | undefined): Promise<void> {
  if (pipelineId === null || pipelineId === undefined) return;
  if ((await deps.store.getPipeline(pipelineId)) === undefined) {
    throw new ApiError('UNKNOWN_PIPELINE', `unknown pipeline: ${pipelineId}`);
  }
}

const SUBSCRIPTION_ERROR_CODES: Record<SubscriptionError['code'], ApiErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_TARGET: 'INVALID_TARGET',
  INVALID_EVENT_TYPE: 'INVALID_EVENT_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
};

/** Runs an engine call, turning its typed failures into API errors (anything else stays a 500). */
export async function engine<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SubscriptionError) throw new ApiError(SUBSCRIPTION_ERROR_CODES[error.code], error.message);
    throw error;
  }
}

const subscriptionNotFound = (id: string) => new ApiError('NOT_FOUND', `subscription ${id} does not exist`);

// ---- routes ----

const route = routeFor<SubscriptionApiDeps>();
const SUBSCRIPTIONS = '/v4/webhook-subscriptions';
const SUBSCRIPTION = `${SUBSCRIPTIONS}/{id}`;
const ENGINE_SUBSCRIPTION_ERRORS = ['INVALID_TARGET', 'INVALID_EVENT_TYPE', 'UNKNOWN_PIPELINE'] as const;

export const subscriptionRoutes: Route<SubscriptionApiDeps>[] = [
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
      const { subscription, secret } = await engine(() => deps.subscriptions.createSubscription(input));
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
      const page = await engine(() => deps.subscriptions.listSubscriptions(pageRequest(SUBSCRIPTION_PAGES, query)));
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
      const subscription = await engine(() => deps.subscriptions.getSubscription(params.id));
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
      const current = await engine(() => deps.subscriptions.getSubscription(params.id));
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
      const updated = await engine(() => deps.subscriptions.updateSubscription(params.id, changes));
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
      const subscription = await engine(() => deps.subscriptions.getSubscription(params.id));
      if (subscription === undefined) throw subscriptionNotFound(params.id);
      if (!(await engine(() => deps.subscriptions.deleteSubscription(params.id)))) throw subscriptionNotFound(params.id);
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
    handle: async ({ params, deps }) => reply(200, connectionTestJson(await engine(() => deps.subscriptions.testSubscription(params.id)))),
  }),

  ...deliveryLogRoutes<SubscriptionApiDeps, typeof DeliverySchema>({
    base: SUBSCRIPTION,
    params: SubscriptionParams,
    tag: 'Deliveries',
    pages: DELIVERY_PAGES,
    schema: DeliverySchema,
    json: deliveryJson,
    kind: 'subscription',
    text: {
      list: { operationId: 'listDeliveries', summary: 'The delivery log of a subscription', description: 'Newest first, each delivery with its attempts (the last 50).' },
      get: { operationId: 'getDelivery', summary: 'Get one delivery' },
      redeliver: {
        operationId: 'redeliver',
        summary: 'Queue one delivery again',
        description: 'Whatever its status; it keeps its `webhook-id`, continues its attempt log and gets a fresh retry budget.',
      },
      redeliverFailed: {
        operationId: 'redeliverFailed',
        summary: 'Queue every failed delivery of a time range again',
        description: 'Every `failed` delivery created within [from, to] (read 100 at a time, 8 queued at once).',
      },
    },
    call: (deps, operation) => engine(() => operation(deps.subscriptions)),
  }),
];
