// What subscriptions and syncs share, as the two kinds of destination of the delivery engine: the
// target's request fields (URL, method, format, custom headers), and the delivery log: one JSON
// form of a delivery and its attempts (the subscriptions' documented camelCase form; a delivery
// names its destination under `subscriptionId` or `syncId`), and its four routes, built once for
// each kind (deliveryLogRoutes).
import * as v from 'valibot';
import { headersProblem } from '../domain/delivery/header-policy.ts';
import type { Delivery, DeliveryAttempt, DeliveryLog } from '../ports/delivery.ts';
import { ApiError } from './errors.ts';
import { NextCursor, PAGE_QUERY, nextCursor, pageRequest, type ListPaging } from './pagination.ts';
import { documentAs, reply, routeFor, type Route } from './router.ts';
import { IsoTime, IsoTimestamp } from './schemas.ts';

// ---- the target (subscriptions and syncs alike) ----

export const MAX_URL_LENGTH = 2048;

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

// ---- the delivery log: requests ----

/** Delivery ids are the engine's; only a permissive shape is checked. */
export const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

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

// ---- the delivery log: answers ----

const DeliveryStatus = v.picklist(['pending', 'succeeded', 'failed']);

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

/** A delivery's fields after `id` and its destination's id, the same for every kind of destination. */
export const DELIVERY_FIELDS = {
  eventId: v.string(),
  eventType: v.string(),
  webhookId: v.pipe(v.string(), v.description('The `webhook-id` header: the same on every attempt and redelivery.')),
  status: DeliveryStatus,
  createdAt: IsoTimestamp,
  updatedAt: IsoTimestamp,
  nextAttemptAt: v.pipe(v.nullable(IsoTimestamp), v.description('When the next retry is due, while pending.')),
  attempts: v.array(DeliveryAttemptSchema),
};

type DeliveryFieldsJson = { [K in keyof typeof DELIVERY_FIELDS]: v.InferOutput<(typeof DELIVERY_FIELDS)[K]> };

function attemptJson(a: DeliveryAttempt): v.InferOutput<typeof DeliveryAttemptSchema> {
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

/** The documented fields of `DELIVERY_FIELDS` only, so nothing else the engine keeps can leak out. */
export function deliveryFieldsJson(d: Delivery): DeliveryFieldsJson {
  return {
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

// ---- the delivery log: routes ----

interface RouteText {
  operationId: string;
  summary: string;
  description?: string;
}

export interface DeliveryLogRoutes<D, S extends v.GenericSchema> {
  /** The destination's path, e.g. `/v4/syncs/{id}`. */
  base: string;
  /** Its `{id}`. */
  params: v.ObjectSchema<{ id: v.GenericSchema<string, string> }, undefined>;
  tag: string;
  /** The cursor's list name. */
  pages: ListPaging<string>;
  /** One delivery as this kind of destination answers it, and how. */
  schema: S;
  json(delivery: Delivery): v.InferInput<S>;
  text: { list: RouteText; get: RouteText; redeliver: RouteText; redeliverFailed: RouteText };
  /** NOT_FOUND of one delivery: `delivery … of <kind> … does not exist`. */
  kind: string;
  /** Runs a call of the destination's delivery log, its typed failures turned into API errors. */
  call<T>(deps: D, operation: (log: DeliveryLog) => Promise<T>): Promise<T>;
}

/** The list, one delivery, redeliver one, and redeliver the failed ones of a time range, of one kind of destination. */
export function deliveryLogRoutes<D, S extends v.GenericSchema>(spec: DeliveryLogRoutes<D, S>): Route<D>[] {
  const route = routeFor<D>();
  const DeliveryParams = v.object({
    ...spec.params.entries,
    deliveryId: v.pipe(v.string(), v.regex(DELIVERY_ID, 'the delivery id is malformed')),
  });
  const page = v.strictObject({ deliveries: v.array(spec.schema), next_cursor: NextCursor });
  const queued = v.strictObject({ queued: v.pipe(v.number(), v.integer(), v.minValue(0)) });
  return [
    route({
      method: 'GET',
      path: `${spec.base}/deliveries`,
      ...spec.text.list,
      tags: [spec.tag],
      params: spec.params,
      query: DeliveriesQuery,
      errors: ['NOT_FOUND'],
      responses: { 200: { description: 'A page of deliveries, newest first.', schema: page } },
      handle: async ({ params, query, deps }) => {
        const { limit, after } = pageRequest(spec.pages, query);
        const found = await spec.call(deps, (log) => log.listDeliveries(params.id, { status: query.status, from: query.from, to: query.to, limit, after }));
        return reply(200, { deliveries: found.items.map((delivery) => spec.json(delivery)), next_cursor: nextCursor(spec.pages, found) });
      },
    }),
    route({
      method: 'GET',
      path: `${spec.base}/deliveries/{deliveryId}`,
      ...spec.text.get,
      tags: [spec.tag],
      params: DeliveryParams,
      errors: ['NOT_FOUND'],
      responses: { 200: { description: 'The delivery with its attempts.', schema: spec.schema } },
      handle: async ({ params, deps }) => {
        const delivery = await spec.call(deps, (log) => log.getDelivery(params.id, params.deliveryId));
        if (delivery === undefined) throw new ApiError('NOT_FOUND', `delivery ${params.deliveryId} of ${spec.kind} ${params.id} does not exist`);
        return reply(200, spec.json(delivery));
      },
    }),
    route({
      method: 'POST',
      path: `${spec.base}/deliveries/{deliveryId}/redeliver`,
      ...spec.text.redeliver,
      tags: [spec.tag],
      params: DeliveryParams,
      errors: ['NOT_FOUND'],
      responses: { 202: { description: 'The delivery, queued again.', schema: spec.schema } },
      handle: async ({ params, deps }) => reply(202, spec.json(await spec.call(deps, (log) => log.redeliver(params.id, params.deliveryId)))),
    }),
    route({
      method: 'POST',
      path: `${spec.base}/redeliver`,
      ...spec.text.redeliverFailed,
      tags: [spec.tag],
      params: spec.params,
      body: RedeliverRangeBody,
      errors: ['NOT_FOUND'],
      responses: { 202: { description: 'How many deliveries were queued.', schema: queued } },
      handle: async ({ params, body, deps }) => {
        const { queued: count } = await spec.call(deps, (log) => log.redeliverFailed(params.id, { from: body.from, to: body.to }));
        return reply(202, { queued: count });
      },
    }),
  ];
}
