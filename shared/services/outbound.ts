// OutboundService (shared/ports/outbound.ts): subscriptions, events and the delivery log, for
// the management API and the CLI. Module layout of the outbound engine:
//
//   shared/ports/outbound.ts                 the API-facing contract (OutboundService)
//   shared/services/outbound-ports.ts        what the engine needs: stores, queue, sender, cipher, DNS
//   shared/services/outbound.ts              this file: OutboundService over those ports;
//                                            createOutboundService(config) builds the real adapters
//   shared/services/fanout.ts                the fan-out use case (events-queue batch → attempts)
//   shared/services/outbound-subscriptions.ts cached subscription list + decrypted secrets
//   shared/services/outbound-suspension.ts   per-address suspension state, coalesced conditional writes
//   shared/services/outbound-events.ts       built-in events from the processor, published only when wanted
//   shared/domain/outbound/*                 pure rules: encodings, signatures, retry policy, suspension,
//                                            SSRF, catalogue; queue-messages (message shapes, ids,
//                                            address key), delivery-log (attempt state machine),
//                                            delivery-request (HTTP request of one attempt),
//                                            time-scale (simulated time of the local stack)
//   shared/adapters/outbound-store.ts        DynamoDB: subscriptions, events, deliveries, suspension
//   shared/adapters/outbound-queue.ts        SQS events queue (batched sends with DelaySeconds)
//   shared/adapters/http-sender.ts           undici keep-alive sender with the SSRF guard at connect time
//   shared/adapters/secret-cipher.ts         KMS (AWS) / AES-256-GCM (local) for signing secrets
//   shared/adapters/outbound-memory.ts       in-memory ports for unit tests and the benchmark
//   functions/fanout/{app,handler}.ts        the fan-out Lambda (SQS → createFanout)
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { clientOptions } from '../adapters/aws-clients.ts';
import { createHttpSender, resolverFrom } from '../adapters/http-sender.ts';
import { sqsEventsQueue } from '../adapters/outbound-queue.ts';
import { dynamoDeliveryStore, dynamoSubscriptionStore } from '../adapters/outbound-store.ts';
import { secretCipherFromConfig } from '../adapters/secret-cipher.ts';
import type { ApiConfig } from '../config.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import type { DeliveryRecord } from '../domain/outbound/delivery-log.ts';
import { buildDeliveryRequest } from '../domain/outbound/delivery-request.ts';
import {
  EVENT_CATALOGUE,
  buildEnvelope,
  customEventTypeProblem,
  deliveryMessageId,
  exampleEnvelope,
  subscriptionEventProblem,
} from '../domain/outbound/events.ts';
import { PayloadEncodingError } from '../domain/outbound/payload-encoding.ts';
import type { JsonValue } from '../domain/outbound/payload-encoding.ts';
import {
  MAX_EVENT_DATA_BYTES,
  deliveryIdPrefixAt,
  eventDataBytes,
  serializeQueueMessage,
  deliveryJob,
  type EventMessage,
} from '../domain/outbound/queue-messages.ts';
import { classifyResponse } from '../domain/outbound/retry-policy.ts';
import { newSigningSecret } from '../domain/outbound/signature.ts';
import { checkResolvedAddresses, checkTargetUrl, type TargetPolicy } from '../domain/outbound/ssrf.ts';
import { scaledClock } from '../domain/outbound/time-scale.ts';
import {
  OutboundError,
  type ConnectionTestResult,
  type Delivery,
  type DeliveryQuery,
  type EventTypeInfo,
  type OutboundService,
  type PublishedEvent,
  type Subscription,
  type SubscriptionInput,
} from '../ports/outbound.ts';
import type { DeliveryStore, EventsQueue, HttpSender, Resolve, SecretCipher, StoredSubscription, SubscriptionStore } from './outbound-ports.ts';
import { notifySubscriptionsChanged, openSubscriptionHeaders, sealSubscriptionHeaders, subscriptionScope } from './outbound-subscriptions.ts';

export interface OutboundDeps {
  subscriptions: SubscriptionStore;
  deliveries: DeliveryStore;
  /** Absent = publishing and redelivery fail with a clear error (outbound not configured). */
  queue?: EventsQueue | undefined;
  /** Absent = creating and testing subscriptions fail with a clear error. */
  cipher?: SecretCipher | undefined;
  /** For the connection test. */
  sender: HttpSender;
  resolve: Resolve;
  clock: Clock;
  allowPrivateTargets: boolean;
  /** Local stack only (ssrf.ts TargetPolicy). */
  allowLoopbackTargets?: boolean | undefined;
  /** Told after every subscription change (same-process caches). */
  onSubscriptionsChanged?: () => void;
}

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;
/** Bulk redelivery reads the failed deliveries this many at a time... */
export const REDELIVERY_PAGE_SIZE = 100;
/** ...and queues at most this many at once (SQS send + DynamoDB write each). */
export const REDELIVERY_CONCURRENCY = 8;

export class OutboundNotConfiguredError extends Error {
  override name = 'OutboundNotConfiguredError';
}


/**
 * The real adapters from the API's configuration; nothing is contacted until a method is called.
 * `overrides` replaces single dependencies (tests: a resolver that simulates DNS).
 */
export function createOutboundService(config: ApiConfig, overrides: Partial<OutboundDeps> = {}): OutboundService {
  const dynamodb = new DynamoDBClient(clientOptions(config.aws, config.aws.endpoints.dynamodb));
  const scope = subscriptionScope(config);
  const timeScale = config.timeScale ?? 1;
  return createOutboundServiceWithDeps({
    subscriptions: dynamoSubscriptionStore(dynamodb, config.tableName),
    deliveries: dynamoDeliveryStore(dynamodb, config.tableName),
    queue:
      config.eventsQueueUrl === undefined
        ? undefined
        : sqsEventsQueue(new SQSClient(clientOptions(config.aws, config.aws.endpoints.sqs)), config.eventsQueueUrl),
    cipher: secretCipherFromConfig(config.aws, config.secrets),
    sender: createHttpSender({
      allowPrivateTargets: config.allowPrivateTargets,
      allowLoopbackTargets: config.allowLoopbackTargets,
      timeoutMs: config.deliveryTimeoutMs ?? 5000,
    }),
    resolve: resolverFrom(),
    clock: timeScale === 1 ? systemClock : scaledClock(timeScale, config.timeOriginMs ?? Date.now()),
    allowPrivateTargets: config.allowPrivateTargets,
    allowLoopbackTargets: config.allowLoopbackTargets,
    onSubscriptionsChanged: () => notifySubscriptionsChanged(scope),
    ...overrides,
  });
}

export function createOutboundServiceWithDeps(deps: OutboundDeps): OutboundService {
  const nowIso = () => new Date(deps.clock.nowMs()).toISOString();
  const changed = () => deps.onSubscriptionsChanged?.();

  function needCipher(): SecretCipher {
    if (deps.cipher === undefined) {
      throw new OutboundNotConfiguredError('outbound is not configured: set HOOKLAKE_SECRETS_KMS_KEY_ID or HOOKLAKE_LOCAL_SECRET_KEY');
    }
    return deps.cipher;
  }
  function needQueue(): EventsQueue {
    if (deps.queue === undefined) throw new OutboundNotConfiguredError('outbound is not configured: set HOOKLAKE_EVENTS_QUEUE_URL');
    return deps.queue;
  }

  const targetPolicy: TargetPolicy = { allowPrivate: deps.allowPrivateTargets, allowLoopback: deps.allowLoopbackTargets === true };

  async function checkUrl(url: string): Promise<string> {
    const check = checkTargetUrl(url, targetPolicy);
    if (check.verdict === 'refused') throw new OutboundError('INVALID_TARGET', `webhookUrl refused: ${check.detail}`);
    if (check.verdict === 'allowed') return check.url;
    let addresses: string[];
    try {
      addresses = await deps.resolve(check.hostname);
    } catch {
      throw new OutboundError('INVALID_TARGET', `webhookUrl refused: ${check.hostname} does not resolve`);
    }
    const resolved = checkResolvedAddresses(addresses, targetPolicy);
    if (resolved.verdict === 'refused') {
      throw new OutboundError(
        'INVALID_TARGET',
        resolved.reason === 'no_address'
          ? `webhookUrl refused: ${check.hostname} resolves to no address`
          : `webhookUrl refused: ${check.hostname} resolves to a ${resolved.addressClass} address`,
      );
    }
    return check.url;
  }

  function checkEvents(events: readonly string[]): string[] {
    if (events.length === 0) throw new OutboundError('INVALID_EVENT_TYPE', 'a subscription lists at least one event type');
    for (const event of events) {
      const problem = subscriptionEventProblem(event);
      if (problem !== undefined) throw new OutboundError('INVALID_EVENT_TYPE', `'${event}' cannot be subscribed to (${problem})`);
    }
    return [...new Set(events)];
  }

  async function requireSubscription(id: string): Promise<StoredSubscription> {
    const found = await deps.subscriptions.get(id);
    if (found === undefined) throw new OutboundError('NOT_FOUND', `no subscription ${id}`);
    return found;
  }

  async function queueRedelivery(record: DeliveryRecord): Promise<Delivery> {
    const queue = needQueue();
    const now = deps.clock.nowMs();
    const job = deliveryJob(record, now, { manual: true });
    // The job first: if the update below loses a race with the job itself, the job has run.
    await queue.send([{ body: serializeQueueMessage(job) }]);
    const pending: DeliveryRecord = { ...record, status: 'pending', nextAttemptAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString() };
    const updated = await deps.deliveries.replace(pending, record.attemptCount);
    return toDelivery(updated ? pending : ((await deps.deliveries.get(record.subscriptionId, record.id)) ?? pending));
  }

  return {
    async createSubscription(input) {
      const cipher = needCipher();
      const webhookUrl = await checkUrl(input.webhookUrl);
      const events = checkEvents(input.events);
      const id = `sub_${randomBytes(10).toString('hex')}`;
      const secret = newSigningSecret();
      const at = nowIso();
      const subscription: Subscription = {
        id,
        webhookUrl,
        webhookHttpMethod: input.webhookHttpMethod === 'GET' ? 'GET' : 'POST',
        events,
        ...(input.pipelineId === undefined ? {} : { pipelineId: input.pipelineId }),
        ...(input.description === undefined ? {} : { description: input.description }),
        headerNames: Object.keys(input.headers ?? {}),
        format: input.webhookHttpMethod === 'GET' ? 'json' : (input.format ?? 'json'),
        enabled: input.enabled ?? true,
        createdAt: at,
        updatedAt: at,
      };
      const secretCiphertext = await cipher.encrypt(secret, id);
      const sealed = await sealSubscriptionHeaders(input.headers ?? {}, id, cipher);
      await deps.subscriptions.put({ ...subscription, ...sealed, secretCiphertext, version: 1 }, { ifAbsent: true });
      changed();
      return { subscription, secret };
    },

    async listSubscriptions() {
      return (await deps.subscriptions.list()).map(toSubscription);
    },

    async getSubscription(id) {
      const found = await deps.subscriptions.get(id);
      return found === undefined ? undefined : toSubscription(found);
    },

    async updateSubscription(id, changes) {
      const current = await requireSubscription(id);
      const method = changes.webhookHttpMethod ?? current.webhookHttpMethod;
      // New headers are sealed; an old item's plaintext ones are sealed now (migration on write).
      const headers =
        changes.headers !== undefined
          ? await sealSubscriptionHeaders(changes.headers, id, needCipher())
          : current.plaintextHeaders !== undefined
            ? await sealSubscriptionHeaders(current.plaintextHeaders, id, needCipher())
            : { headerNames: current.headerNames, headersCiphertext: current.headersCiphertext };
      const { plaintextHeaders: _plaintext, headersCiphertext: _ciphertext, ...kept } = current;
      const next: StoredSubscription = {
        ...kept,
        webhookUrl: changes.webhookUrl === undefined ? current.webhookUrl : await checkUrl(changes.webhookUrl),
        webhookHttpMethod: method,
        events: changes.events === undefined ? current.events : checkEvents(changes.events),
        headerNames: headers.headerNames,
        ...(headers.headersCiphertext === undefined ? {} : { headersCiphertext: headers.headersCiphertext }),
        format: method === 'GET' ? 'json' : (changes.format ?? current.format),
        enabled: changes.enabled ?? current.enabled,
        updatedAt: nowIso(),
        version: current.version + 1,
      };
      if ('pipelineId' in changes) {
        if (changes.pipelineId === undefined) delete next.pipelineId;
        else next.pipelineId = changes.pipelineId;
      }
      if ('description' in changes) {
        if (changes.description === undefined) delete next.description;
        else next.description = changes.description;
      }
      // Conditional on the version read: a subscription deleted meanwhile stays deleted, and a
      // concurrent update is not silently overwritten.
      const outcome = await deps.subscriptions.replace(next, current.version);
      if (outcome === 'missing') throw new OutboundError('NOT_FOUND', `no subscription ${id}`);
      if (outcome === 'conflict') {
        throw new OutboundError('CONFLICT', `subscription ${id} was changed by another request meanwhile: read it again and retry`);
      }
      changed();
      return toSubscription(next);
    },

    async deleteSubscription(id) {
      const deleted = await deps.subscriptions.delete(id);
      if (deleted) changed();
      return deleted;
    },

    async testSubscription(id) {
      const subscription = await requireSubscription(id);
      const secret = await needCipher().decrypt(subscription.secretCiphertext, subscription.id);
      const headers = await openSubscriptionHeaders(subscription, deps.cipher);
      const now = deps.clock.nowMs();
      const eventId = `evt_ping_${randomUUID().replaceAll('-', '')}`;
      const envelope = buildEnvelope({
        type: 'ping',
        id: eventId,
        timestamp: now,
        dataJson: JSON.stringify({ subscriptionId: subscription.id, message: 'Hooklake connection test' }),
      });
      let request;
      try {
        request = buildDeliveryRequest({
          target: { ...subscription, headers },
          envelope,
          webhookId: deliveryMessageId(eventId, subscription.id),
          secret,
          timestamp: Math.floor(now / 1000),
        });
      } catch (error) {
        if (!(error instanceof PayloadEncodingError)) throw error;
        return { ok: false, latencyMs: 0, errorClass: error.code };
      }
      const sent = await deps.sender.send(request);
      const classification = classifyResponse(sent.outcome);
      const result: ConnectionTestResult = {
        ok: classification.valid,
        latencyMs: Math.round(sent.latencyMs),
        ...(sent.statusCode === undefined ? {} : { statusCode: sent.statusCode }),
        ...(classification.valid ? {} : { errorClass: classification.errorClass }),
        ...(sent.responseSnippet === undefined ? {} : { responseSnippet: sent.responseSnippet }),
      };
      return result;
    },

    listEventTypes(): EventTypeInfo[] {
      return EVENT_CATALOGUE.map((definition) => ({
        type: definition.type,
        description: definition.description,
        subscribable: definition.subscribable,
        example: exampleEnvelope(definition) as unknown as JsonValue,
      }));
    },

    async publishEvent(type, data, options = {}): Promise<PublishedEvent> {
      const problem = customEventTypeProblem(type);
      if (problem !== undefined) throw new OutboundError('INVALID_EVENT_TYPE', `'${type}' is not a valid custom event type (${problem})`);
      // Custom data arrives parsed (the API's request body); its JSON text from here on is what travels.
      const dataJson = JSON.stringify(data);
      const bytes = eventDataBytes(dataJson);
      if (bytes > MAX_EVENT_DATA_BYTES) {
        throw new OutboundError('PAYLOAD_TOO_LARGE', `event data is ${bytes} bytes; the limit is ${MAX_EVENT_DATA_BYTES}`);
      }
      const queue = needQueue();
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

    async listDeliveries(subscriptionId, query: DeliveryQuery = {}) {
      await requireSubscription(subscriptionId);
      const records = await deps.deliveries.list(subscriptionId, {
        ...rangeOf(query.from, query.to),
        status: query.status,
        limit: Math.min(MAX_LIST_LIMIT, Math.max(1, query.limit ?? DEFAULT_LIST_LIMIT)),
        descending: true,
        now: deps.clock.nowMs(),
      });
      return records.map(toDelivery);
    },

    async getDelivery(subscriptionId, deliveryId) {
      const record = await deps.deliveries.get(subscriptionId, deliveryId);
      return record === undefined ? undefined : toDelivery(record);
    },

    async redeliver(subscriptionId, deliveryId) {
      const record = await deps.deliveries.get(subscriptionId, deliveryId);
      if (record === undefined) throw new OutboundError('NOT_FOUND', `no delivery ${deliveryId} for subscription ${subscriptionId}`);
      return queueRedelivery(record);
    },

    async redeliverFailed(subscriptionId, range) {
      await requireSubscription(subscriptionId);
      needQueue();
      // Page by page (memory bounded by one page, however many failed), a few in flight at once.
      const bounds = rangeOf(range.from, range.to);
      let queued = 0;
      let afterId: string | undefined;
      for (;;) {
        const page = await deps.deliveries.list(subscriptionId, {
          ...bounds,
          status: 'failed',
          limit: REDELIVERY_PAGE_SIZE,
          afterId,
          descending: false,
          now: deps.clock.nowMs(),
        });
        await forEachBounded(page, REDELIVERY_CONCURRENCY, async (record) => {
          await queueRedelivery(record);
          queued++;
        });
        if (page.length < REDELIVERY_PAGE_SIZE) return { queued };
        afterId = page.at(-1)!.id;
      }
    },
  };
}

/** Runs `task` over `items` with at most `concurrency` in flight; rejects with the first failure. */
async function forEachBounded<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function rangeOf(from: string | undefined, to: string | undefined): { fromId?: string; toId?: string } {
  const parse = (text: string, bound: string) => {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new RangeError(`${bound} is not an ISO time: ${text}`);
    return ms;
  };
  return {
    ...(from === undefined ? {} : { fromId: deliveryIdPrefixAt(parse(from, 'from')) }),
    // Every id of an event at `to` (same prefix) is ≤ prefix + '~'.
    ...(to === undefined ? {} : { toId: `${deliveryIdPrefixAt(parse(to, 'to'))}~` }),
  };
}

function toSubscription(stored: StoredSubscription): Subscription {
  const { secretCiphertext: _secret, headersCiphertext: _headers, plaintextHeaders: _plaintext, version: _version, ...subscription } = stored;
  return subscription;
}

export function toDelivery(record: DeliveryRecord): Delivery {
  return {
    id: record.id,
    subscriptionId: record.subscriptionId,
    eventId: record.eventId,
    eventType: record.eventType,
    webhookId: record.webhookId,
    status: record.status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.nextAttemptAt === undefined ? {} : { nextAttemptAt: record.nextAttemptAt }),
    attempts: record.attempts.map((attempt) => ({ ...attempt })),
  };
}
