// OutboundService (shared/ports/outbound.ts): subscriptions, events and the delivery log, for
// the management API and the CLI, over the engine's ports (ports/outbound-engine.ts). Composition
// (which adapters) happens in functions/api/app.ts and infra/local; this file only puts the
// parts together, one per concern:
//
//   outbound-subscription-service.ts  create, list, get, update, delete (URL and event-type checks)
//   outbound-delivery-service.ts      the delivery log, redelivery one by one and in bulk
//   outbound-event-service.ts         the event catalogue and custom event publishing
//   outbound-connection-test.ts       the signed `ping` of a subscription
//
// The rest of the outbound engine:
//   shared/services/fanout*.ts                the fan-out use case (events-queue batch → attempts)
//   shared/services/outbound-subscriptions.ts cached subscription list + decrypted secrets
//   shared/services/outbound-suspension.ts    per-address suspension state, coalesced conditional writes
//   shared/services/outbound-events.ts        built-in events from the processor, published only when wanted
//   shared/domain/outbound/*                  pure rules: encodings, signatures, retry policy, suspension,
//                                             SSRF, catalogue, message shapes and ids, delivery log
//   shared/adapters/outbound-*.ts, http-sender.ts, secret-cipher.ts   DynamoDB, SQS, undici, KMS/AES
import type { Clock } from '../../domain/clock.ts';
import { OutboundError, type OutboundService } from '../../ports/subscriptions.ts';
import { connectionTest } from '../delivery/connection-test.ts';
import { deliveryOperations } from '../delivery/log.ts';
import { eventOperations } from './events.ts';
import type { DeliveryStore, EventsQueue, HttpSender, Resolve, SecretCipher, StoredSubscription, SubscriptionStore } from '../../ports/delivery.ts';
import { subscriptionOperations } from './service.ts';

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

export class OutboundNotConfiguredError extends Error {
  override name = 'OutboundNotConfiguredError';
}

/** What the parts share: the deps and the checks every part makes the same way. */
export interface OutboundCore {
  deps: OutboundDeps;
  nowIso(): string;
  needCipher(): SecretCipher;
  needQueue(): EventsQueue;
  /** The stored subscription, or OutboundError NOT_FOUND. */
  requireSubscription(id: string): Promise<StoredSubscription>;
}

export function createOutboundServiceWithDeps(deps: OutboundDeps): OutboundService {
  const core: OutboundCore = {
    deps,
    nowIso: () => new Date(deps.clock.nowMs()).toISOString(),
    needCipher() {
      if (deps.cipher === undefined) {
        throw new OutboundNotConfiguredError('outbound is not configured: set HOOKLAKE_SECRETS_KMS_KEY_ID or HOOKLAKE_LOCAL_SECRET_KEY');
      }
      return deps.cipher;
    },
    needQueue() {
      if (deps.queue === undefined) throw new OutboundNotConfiguredError('outbound is not configured: set HOOKLAKE_EVENTS_QUEUE_URL');
      return deps.queue;
    },
    async requireSubscription(id) {
      const found = await deps.subscriptions.get(id);
      if (found === undefined) throw new OutboundError('NOT_FOUND', `no subscription ${id}`);
      return found;
    },
  };
  return {
    ...subscriptionOperations(core),
    testSubscription: connectionTest(core),
    ...eventOperations(core),
    ...deliveryOperations(core),
  };
}
