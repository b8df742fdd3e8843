// The delivery engine over the in-memory adapters (shared/adapters/memory/): the subscription
// service and the fan-out wired as functions/api/app.ts and functions/fanout/app.ts wire them, with
// the memory stores, queue and cipher in place of DynamoDB, SQS and KMS. One wiring for the unit
// tests and the fan-out benchmark; each sets what it measures or scripts (clock, sender, latency).
import type { Clock } from '../../shared/domain/clock.ts';
import type { DeliveryRequest } from '../../shared/domain/delivery/request.ts';
import { memoryDeliveryStore, memoryEventStore, memorySuspensionStore } from '../../shared/adapters/memory/delivery-store.ts';
import { memoryEventsQueue } from '../../shared/adapters/memory/queues.ts';
import { memorySecretCipher } from '../../shared/adapters/memory/secret-cipher.ts';
import { memorySubscriptionStore } from '../../shared/adapters/memory/subscription-store.ts';
import type { HttpSender, Resolve, SendResult } from '../../shared/ports/delivery.ts';
import type { RejectionSummaryReader } from '../../shared/ports/ingest.ts';
import type { SyncStore } from '../../shared/ports/syncs.ts';
import { destinationDirectory, destinationSource } from '../../shared/services/delivery/destinations.ts';
import { createFanout } from '../../shared/services/delivery/fanout.ts';
import { suspensionTracker } from '../../shared/services/delivery/suspension-tracker.ts';
import { createSubscriptionService } from '../../shared/services/subscriptions/service.ts';

export interface DeliveryWorldOptions {
  /** The engine's clock; default a manual one at `startMs` that only `setNow`/`run` move. */
  clock?: Clock;
  startMs?: number;
  /** The sender; default a scripted one answering `answer` (default 200) and keeping every request in `sent`. */
  sender?: HttpSender;
  answer?: (request: DeliveryRequest, index: number) => SendResult;
  /** Simulated round trip of every store call (benchmarks). */
  storeLatencyMs?: number;
  concurrency?: number;
  /** The subscription cache's TTL (default 0: every read goes to the store). */
  directoryTtlMs?: number;
  suspensionCacheMs?: number;
  random?: () => number;
  resolve?: Resolve;
  allowPrivateTargets?: boolean;
  allowLoopbackTargets?: boolean;
  rejectionSummaries?: RejectionSummaryReader;
  /** Sync destinations (`syn_` jobs), when the test has syncs. */
  syncs?: Pick<SyncStore, 'getSync'>;
}

/** Test DNS: `rebind.example` resolves to loopback, every other name to a public address. */
const publicDns: Resolve = async (hostname) => (hostname === 'rebind.example' ? ['127.0.0.1'] : ['93.184.216.34']);

export function deliveryWorld(options: DeliveryWorldOptions = {}) {
  let now = options.startMs ?? Math.floor(Date.now() / 1000) * 1000;
  const clock: Clock = options.clock ?? { nowMs: () => now };
  const latency = { latencyMs: options.storeLatencyMs ?? 0 };
  const subscriptionStore = memorySubscriptionStore(latency);
  const deliveries = memoryDeliveryStore(latency);
  const events = memoryEventStore(latency);
  const suspensionStore = memorySuspensionStore(latency);
  const queue = memoryEventsQueue(() => clock.nowMs());
  const cipher = memorySecretCipher();
  const sent: DeliveryRequest[] = [];
  const answer = options.answer ?? (() => ({ outcome: { status: 200 }, statusCode: 200, latencyMs: 3, responseSnippet: 'ok' }));
  const sender: HttpSender = options.sender ?? {
    async send(request) {
      sent.push(request);
      return answer(request, sent.length - 1);
    },
  };
  const directory = destinationDirectory(destinationSource({ subscriptions: subscriptionStore, syncs: options.syncs }), {
    ttlMs: options.directoryTtlMs ?? 0,
    cipher,
  });
  const fanout = createFanout({
    directory,
    events,
    deliveries,
    suspension: suspensionTracker(suspensionStore, { cacheMs: options.suspensionCacheMs ?? 0, now: () => clock.nowMs() }),
    queue,
    sender,
    clock,
    random: options.random ?? (() => 0.5),
    concurrency: options.concurrency ?? 4,
    retentionDays: 30,
    rejectionSummaries: options.rejectionSummaries,
  });
  const service = createSubscriptionService({
    subscriptions: subscriptionStore,
    deliveries,
    queue,
    cipher,
    sender,
    resolve: options.resolve ?? publicDns,
    clock,
    allowPrivateTargets: options.allowPrivateTargets ?? true,
    allowLoopbackTargets: options.allowLoopbackTargets,
    onSubscriptionsChanged: () => directory.invalidate(),
  });

  let messageNo = 0;
  /** Messages on the simulated events queue: SQS's delays and receive counts, no visibility timeout. */
  const pending: Array<{ body: string; visibleAt: number; receiveCount: number }> = [];
  /** Moves what was sent onto the simulated queue, then hands the fan-out every message visible by `until`, advancing time (manual clock only). */
  async function run(until = Number.POSITIVE_INFINITY, maxRounds = 200): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      for (const entry of queue.drain()) {
        pending.push({ body: entry.body, visibleAt: entry.sentAt + (entry.delaySeconds ?? 0) * 1000, receiveCount: 1 });
      }
      if (pending.length === 0) return;
      const next = Math.min(...pending.map((p) => p.visibleAt));
      if (next > until) return;
      now = Math.max(now, next);
      const batch = pending.filter((p) => p.visibleAt <= now);
      for (const item of batch) pending.splice(pending.indexOf(item), 1);
      const { failedMessageIds } = await fanout.handleBatch(
        batch.map((item) => ({ messageId: `m${messageNo++}`, body: item.body, receiveCount: item.receiveCount })),
      );
      if (failedMessageIds.length > 0) throw new Error(`the fan-out failed ${failedMessageIds.length} message(s)`);
    }
    throw new Error('queue did not settle');
  }

  return {
    service,
    fanout,
    directory,
    queue,
    events,
    deliveries,
    suspensionStore,
    subscriptions: subscriptionStore,
    cipher,
    sent,
    run,
    pending,
    clock,
    now: () => clock.nowMs(),
    setNow: (ms: number) => {
      now = ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

export type DeliveryWorld = ReturnType<typeof deliveryWorld>;
