// Subscriptions of the OutboundService: create (URL checked against the SSRF rules after DNS,
// event types checked, secret and header values encrypted), list, get, update (conditional on
// the version read) and delete.
import { eventTypeRefusal } from '../../domain/delivery/events.ts';
import { newSigningSecret } from '../../domain/delivery/signature.ts';
import type { TargetPolicy } from '../../domain/delivery/ssrf.ts';
import { checkStorableUrl } from '../delivery/target-url.ts';
import { newSubscriptionId } from '../../domain/delivery/destinations.ts';
import { OutboundError, type OutboundService, type Subscription } from '../../ports/subscriptions.ts';
import type { OutboundCore } from './outbound.ts';
import type { StoredSubscription } from '../../ports/delivery.ts';
import { sealSubscriptionHeaders } from '../delivery/destinations.ts';

type SubscriptionOperations = Pick<
  OutboundService,
  'createSubscription' | 'listSubscriptions' | 'getSubscription' | 'updateSubscription' | 'deleteSubscription'
>;

export function toSubscription(stored: StoredSubscription): Subscription {
  const { secretCiphertext: _secret, headersCiphertext: _headers, plaintextHeaders: _plaintext, version: _version, ...subscription } = stored;
  return subscription;
}

export function subscriptionOperations(core: OutboundCore): SubscriptionOperations {
  const { deps } = core;
  const changed = () => deps.onSubscriptionsChanged?.();
  const targetPolicy: TargetPolicy = { allowPrivate: deps.allowPrivateTargets, allowLoopback: deps.allowLoopbackTargets === true };

  /** The URL as it will be stored, or OutboundError INVALID_TARGET (scheme, credentials, refused address before or after DNS). */
  async function checkUrl(url: string): Promise<string> {
    const checked = await checkStorableUrl(url, targetPolicy, deps.resolve);
    if (!checked.ok) throw new OutboundError('INVALID_TARGET', `webhookUrl refused: ${checked.reason}`);
    return checked.url;
  }

  function checkEvents(events: readonly string[]): string[] {
    if (events.length === 0) throw new OutboundError('INVALID_EVENT_TYPE', 'a subscription lists at least one event type');
    for (const event of events) {
      const refusal = eventTypeRefusal(event, 'subscribe');
      if (refusal !== undefined) throw new OutboundError('INVALID_EVENT_TYPE', refusal);
    }
    return [...new Set(events)];
  }

  return {
    async createSubscription(input) {
      const cipher = core.needCipher();
      // Cheap checks first: the URL check may resolve DNS.
      const events = checkEvents(input.events);
      const webhookUrl = await checkUrl(input.webhookUrl);
      const id = newSubscriptionId();
      const secret = newSigningSecret();
      const at = core.nowIso();
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

    async listSubscriptions(page) {
      const { items, next } = await deps.subscriptions.listPage(page);
      return { items: items.map(toSubscription), ...(next === undefined ? {} : { next }) };
    },

    async getSubscription(id) {
      const found = await deps.subscriptions.get(id);
      return found === undefined ? undefined : toSubscription(found);
    },

    async updateSubscription(id, changes) {
      const current = await core.requireSubscription(id);
      const method = changes.webhookHttpMethod ?? current.webhookHttpMethod;
      const events = changes.events === undefined ? current.events : checkEvents(changes.events);
      // New headers are sealed; an old item's plaintext ones are sealed now (migration on write).
      const headers =
        changes.headers !== undefined
          ? await sealSubscriptionHeaders(changes.headers, id, core.needCipher())
          : current.plaintextHeaders !== undefined
            ? await sealSubscriptionHeaders(current.plaintextHeaders, id, core.needCipher())
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
        updatedAt: core.nowIso(),
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
  };
}
