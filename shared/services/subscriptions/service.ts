// The SubscriptionService (shared/ports/subscriptions.ts), for the management API and the CLI:
// subscriptions themselves here (create: URL checked against the SSRF rules after DNS, event
// types checked, secret and header values encrypted; list, get, update conditional on the version
// read, delete), and put together with what a subscription shares with every destination of the
// delivery engine (services/delivery/): its connection test and its delivery log, and with the
// events it subscribes to (events.ts). Which adapters: functions/api/app.ts and infra/local.
import type { Clock } from '../../domain/clock.ts';
import { newSubscriptionId } from '../../domain/delivery/destinations.ts';
import { eventTypeRefusal } from '../../domain/delivery/events.ts';
import { newSigningSecret } from '../../domain/delivery/signature.ts';
import type { TargetPolicy } from '../../domain/delivery/ssrf.ts';
import type { DeliveryStore, EventsQueue, HttpSender, Resolve, SecretCipher } from '../../ports/delivery.ts';
import { SubscriptionError, type StoredSubscription, type Subscription, type SubscriptionService, type SubscriptionStore } from '../../ports/subscriptions.ts';
import { testConnection } from '../delivery/connection-test.ts';
import { openHeaders, sealHeaders } from '../delivery/destinations.ts';
import { deliveryLog } from '../delivery/log.ts';
import { checkStorableUrl } from '../delivery/target-url.ts';
import { eventOperations } from './events.ts';

export interface SubscriptionDeps {
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

/** A use that needs the events queue or the secret cipher where none is configured. */
export class OutboundNotConfiguredError extends Error {
  override name = 'OutboundNotConfiguredError';
}

export function toSubscription(stored: StoredSubscription): Subscription {
  const { secretCiphertext: _secret, headersCiphertext: _headers, plaintextHeaders: _plaintext, version: _version, ...subscription } = stored;
  return subscription;
}

export function createSubscriptionService(deps: SubscriptionDeps): SubscriptionService {
  const changed = () => deps.onSubscriptionsChanged?.();
  const nowIso = () => new Date(deps.clock.nowMs()).toISOString();
  const targetPolicy: TargetPolicy = { allowPrivate: deps.allowPrivateTargets, allowLoopback: deps.allowLoopbackTargets === true };

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

  /** The stored subscription, or SubscriptionError NOT_FOUND. */
  async function requireSubscription(id: string): Promise<StoredSubscription> {
    const found = await deps.subscriptions.get(id);
    if (found === undefined) throw new SubscriptionError('NOT_FOUND', `no subscription ${id}`);
    return found;
  }

  /** The URL as it will be stored, or SubscriptionError INVALID_TARGET (scheme, credentials, refused address before or after DNS). */
  async function checkUrl(url: string): Promise<string> {
    const checked = await checkStorableUrl(url, targetPolicy, deps.resolve);
    if (!checked.ok) throw new SubscriptionError('INVALID_TARGET', `webhookUrl refused: ${checked.reason}`);
    return checked.url;
  }

  function checkEvents(events: readonly string[]): string[] {
    if (events.length === 0) throw new SubscriptionError('INVALID_EVENT_TYPE', 'a subscription lists at least one event type');
    for (const event of events) {
      const refusal = eventTypeRefusal(event, 'subscribe');
      if (refusal !== undefined) throw new SubscriptionError('INVALID_EVENT_TYPE', refusal);
    }
    return [...new Set(events)];
  }

  return {
    async createSubscription(input) {
      const cipher = needCipher();
      // Cheap checks first: the URL check may resolve DNS.
      const events = checkEvents(input.events);
      const webhookUrl = await checkUrl(input.webhookUrl);
      const id = newSubscriptionId();
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
      const sealed = await sealHeaders(input.headers ?? {}, id, cipher);
      await deps.subscriptions.put({ ...subscription, ...sealed, secretCiphertext, version: 1 }, { ifAbsent: true });
      changed();
      return { subscription, secret };
    },

    async listSubscriptions(page) {
      const { items, next } = await deps.subscriptions.listPage(page);
      return { items: items.map(toSubscription), ...(next === undefined ? {} : { next }) };
    },

    async getSubscription(id) {
      const found = await deps.subscriptions.get(id);
      return found === undefined ? undefined : toSubscription(found);
    },

    async updateSubscription(id, changes) {
      const current = await requireSubscription(id);
      const method = changes.webhookHttpMethod ?? current.webhookHttpMethod;
      const events = changes.events === undefined ? current.events : checkEvents(changes.events);
      // New headers are sealed; an old item's plaintext ones are sealed now (migration on write).
      const headers =
        changes.headers !== undefined
          ? await sealHeaders(changes.headers, id, needCipher())
          : current.plaintextHeaders !== undefined
            ? await sealHeaders(current.plaintextHeaders, id, needCipher())
            : { headerNames: current.headerNames, headersCiphertext: current.headersCiphertext };
      const { plaintextHeaders: _plaintext, headersCiphertext: _ciphertext, ...kept } = current;
      const next: StoredSubscription = {
        ...kept,
        webhookUrl: changes.webhookUrl === undefined ? current.webhookUrl : await checkUrl(changes.webhookUrl),
        webhookHttpMethod: method,
        events,
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
      if (outcome === 'missing') throw new SubscriptionError('NOT_FOUND', `no subscription ${id}`);
      if (outcome === 'conflict') {
        throw new SubscriptionError('CONFLICT', `subscription ${id} was changed by another request meanwhile: read it again and retry`);
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
      const headers = await openHeaders(subscription, deps.cipher);
      return testConnection(deps, { ...subscription, headers }, secret);
    },

    ...eventOperations({ clock: deps.clock, queue: needQueue }),

    ...deliveryLog({
      deliveries: deps.deliveries,
      clock: deps.clock,
      queue: needQueue,
      requireDestination: requireSubscription,
      deliveryNotFound: (subscriptionId, deliveryId) => new SubscriptionError('NOT_FOUND', `no delivery ${deliveryId} for subscription ${subscriptionId}`),
    }),
  };
}
