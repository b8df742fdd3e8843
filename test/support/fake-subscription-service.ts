// An in-memory SubscriptionService for API and CLI tests: the contract's behaviour (ids, one-time
// secrets, typed errors, delivery log queries, redelivery) without queues, HTTP or DynamoDB.
import { randomBytes } from 'node:crypto';
import { EVENT_CATALOGUE, eventTypeRefusal, exampleEnvelope } from '../../shared/domain/delivery/events.ts';
import type { JsonValue } from '../../shared/domain/json.ts';
import { MAX_EVENT_DATA_BYTES } from '../../shared/domain/delivery/queue-messages.ts';
import { newSigningSecret } from '../../shared/domain/delivery/signature.ts';
import { checkTargetUrl } from '../../shared/domain/delivery/ssrf.ts';
import { pageOf } from '../../shared/ports/page.ts';
import { SubscriptionError, type SubscriptionService, type PublishedEvent, type Subscription, type SubscriptionInput } from '../../shared/ports/subscriptions.ts';
import type { ConnectionTestResult, Delivery, DeliveryAttempt } from '../../shared/ports/delivery.ts';

export interface FakeSubscriptionService extends SubscriptionService {
  subscriptions: Map<string, Subscription>;
  secrets: Map<string, string>;
  deliveries: Map<string, Delivery>;
  published: Array<{ event: PublishedEvent; data: JsonValue; pipelineId: number | undefined }>;
  /** Every call, in order, with its arguments (for asserting what the API passed). */
  calls: Array<{ method: keyof SubscriptionService; args: unknown[] }>;
  /** What the next connection tests answer (default: ok, 200). */
  testResult: ConnectionTestResult;
  /** Adds a delivery to a subscription's log, as the fan-out would. */
  addDelivery(destinationId: string, delivery: Partial<Delivery> & { eventType: string }): Delivery;
  /** Makes the next call to `method` throw this error. */
  failNext(method: keyof SubscriptionService, error: Error): void;
}

const alnum = (length: number) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
};

export function fakeSubscriptionService(options: { allowPrivate?: boolean; now?: () => number } = {}): FakeSubscriptionService {
  const allowPrivate = options.allowPrivate ?? false;
  const now = options.now ?? (() => Date.now());
  const iso = () => new Date(now()).toISOString();
  const subscriptions = new Map<string, Subscription>();
  const secrets = new Map<string, string>();
  const deliveries = new Map<string, Delivery>();
  const published: FakeSubscriptionService['published'] = [];
  const calls: FakeSubscriptionService['calls'] = [];
  const failures = new Map<keyof SubscriptionService, Error>();
  let counter = 0;

  const record = (method: keyof SubscriptionService, args: unknown[]) => {
    calls.push({ method, args: structuredClone(args) });
    const failure = failures.get(method);
    if (failure !== undefined) {
      failures.delete(method);
      throw failure;
    }
  };
  const requireSubscription = (id: string) => {
    const subscription = subscriptions.get(id);
    if (subscription === undefined) throw new SubscriptionError('NOT_FOUND', `subscription ${id} does not exist`);
    return subscription;
  };
  const checkEvents = (events: readonly string[]) => {
    for (const type of events) {
      const refusal = eventTypeRefusal(type, 'subscribe');
      if (refusal !== undefined) throw new SubscriptionError('INVALID_EVENT_TYPE', refusal);
    }
  };
  const retry = (delivery: Delivery): Delivery => {
    delivery.status = 'pending';
    delivery.updatedAt = iso();
    delivery.nextAttemptAt = iso();
    return structuredClone(delivery);
  };

  const service: FakeSubscriptionService = {
    subscriptions,
    secrets,
    deliveries,
    published,
    calls,
    testResult: { ok: true, statusCode: 200, latencyMs: 12 },

    addDelivery(destinationId, partial) {
      const at = partial.createdAt ?? iso();
      const attempts: DeliveryAttempt[] = partial.attempts ?? [];
      const delivery: Delivery = {
        id: `dlv_${alnum(20)}`,
        destinationId,
        eventId: `evt_${alnum(20)}`,
        webhookId: `msg_${alnum(32)}`,
        status: 'pending',
        createdAt: at,
        updatedAt: at,
        ...partial,
        attempts,
      };
      deliveries.set(delivery.id, delivery);
      return structuredClone(delivery);
    },
    failNext(method, error) {
      failures.set(method, error);
    },

    async createSubscription(input: SubscriptionInput) {
      record('createSubscription', [input]);
      const check = checkTargetUrl(input.webhookUrl, { allowPrivate, allowLoopback: allowPrivate });
      if (check.verdict === 'refused') throw new SubscriptionError('INVALID_TARGET', `webhookUrl refused: ${check.detail}`);
      checkEvents(input.events);
      const at = iso();
      const subscription: Subscription = {
        id: `sub_${alnum(16)}${(++counter).toString().padStart(4, '0')}`,
        webhookUrl: input.webhookUrl,
        webhookHttpMethod: input.webhookHttpMethod,
        events: [...input.events],
        pipelineId: input.pipelineId,
        description: input.description,
        headerNames: Object.keys(input.headers ?? {}),
        format: input.webhookHttpMethod === 'GET' ? 'json' : (input.format ?? 'json'),
        enabled: input.enabled ?? true,
        createdAt: at,
        updatedAt: at,
      };
      const secret = newSigningSecret();
      subscriptions.set(subscription.id, subscription);
      secrets.set(subscription.id, secret);
      return { subscription: structuredClone(subscription), secret };
    },
    async listSubscriptions(page) {
      record('listSubscriptions', [page]);
      const sorted = [...subscriptions.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).filter((s) => page.after === undefined || s.id > page.after);
      return pageOf(sorted.slice(0, page.limit + 1).map((s) => structuredClone(s)), page.limit, (s) => s.id);
    },
    async getSubscription(id) {
      record('getSubscription', [id]);
      const subscription = subscriptions.get(id);
      return subscription && structuredClone(subscription);
    },
    async updateSubscription(id, changes) {
      record('updateSubscription', [id, changes]);
      const subscription = requireSubscription(id);
      if (changes.events !== undefined) checkEvents(changes.events);
      const updated: Subscription = { ...subscription, updatedAt: iso() };
      for (const [key, value] of Object.entries(changes)) {
        if (key === 'headers') updated.headerNames = Object.keys(value as Record<string, string>);
        else (updated as unknown as Record<string, unknown>)[key] = value;
      }
      subscriptions.set(id, updated);
      return structuredClone(updated);
    },
    async deleteSubscription(id) {
      record('deleteSubscription', [id]);
      secrets.delete(id);
      return subscriptions.delete(id);
    },
    async testSubscription(id) {
      record('testSubscription', [id]);
      requireSubscription(id);
      return { ...service.testResult };
    },

    listEventTypes() {
      calls.push({ method: 'listEventTypes', args: [] });
      return EVENT_CATALOGUE.map((definition) => ({
        type: definition.type,
        description: definition.description,
        subscribable: definition.subscribable,
        example: exampleEnvelope(definition) as unknown as JsonValue,
      }));
    },
    async publishEvent(type, data, publishOptions) {
      record('publishEvent', [type, data, publishOptions]);
      const refusal = eventTypeRefusal(type, 'publish');
      if (refusal !== undefined) throw new SubscriptionError('INVALID_EVENT_TYPE', refusal);
      if (Buffer.byteLength(JSON.stringify(data), 'utf8') > MAX_EVENT_DATA_BYTES) throw new SubscriptionError('PAYLOAD_TOO_LARGE', 'event data too large');
      const event: PublishedEvent = { id: `evt_${alnum(24)}`, type, timestamp: iso() };
      published.push({ event, data, pipelineId: publishOptions?.pipelineId });
      return { ...event };
    },

    async listDeliveries(destinationId, query = {}) {
      record('listDeliveries', [destinationId, query]);
      requireSubscription(destinationId);
      const matching = [...deliveries.values()]
        .filter(
          (d) =>
            d.destinationId === destinationId &&
            (query.status === undefined || d.status === query.status) &&
            (query.from === undefined || d.createdAt >= query.from) &&
            (query.to === undefined || d.createdAt <= query.to),
        )
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
      const start = query.after === undefined ? 0 : matching.findIndex((d) => d.id === query.after) + 1 || matching.length;
      const limit = query.limit ?? 100;
      return pageOf(matching.slice(start, start + limit + 1).map((d) => structuredClone(d)), limit, (d) => d.id);
    },
    async getDelivery(destinationId, deliveryId) {
      record('getDelivery', [destinationId, deliveryId]);
      const delivery = deliveries.get(deliveryId);
      return delivery?.destinationId === destinationId ? structuredClone(delivery) : undefined;
    },
    async redeliver(destinationId, deliveryId) {
      record('redeliver', [destinationId, deliveryId]);
      requireSubscription(destinationId);
      const delivery = deliveries.get(deliveryId);
      if (delivery?.destinationId !== destinationId) {
        throw new SubscriptionError('NOT_FOUND', `delivery ${deliveryId} of subscription ${destinationId} does not exist`);
      }
      return retry(delivery);
    },
    async redeliverFailed(destinationId, range) {
      record('redeliverFailed', [destinationId, range]);
      requireSubscription(destinationId);
      let queued = 0;
      for (const delivery of deliveries.values()) {
        if (
          delivery.destinationId === destinationId &&
          delivery.status === 'failed' &&
          delivery.createdAt >= range.from &&
          delivery.createdAt <= range.to
        ) {
          retry(delivery);
          queued += 1;
        }
      }
      return { queued };
    },
  };
  return service;
}
