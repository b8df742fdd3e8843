// Fan-out throughput and added latency. One fan-out (the real createFanout with the real undici
// keep-alive sender and the real signing/encoding) delivers to a bare node:http receiver in a
// child process (arrival-receiver.ts) that answers 200 at once. Stores and queue are the
// in-memory adapters (test/support/delivery-world.ts), optionally with a simulated round trip,
// because the local DynamoDB emulator (dynalite, ~1,000 conditional writes/s) would measure
// itself, not the fan-out.
//
// Figures: deliveries/s from one fan-out process (event batches of 10, like the SQS event source,
// 4 in flight like the local poller); p50/p99 added latency (event handed to the fan-out → request
// arriving at the receiver, at low load); the cost of fanning one event out to 1, 10 and 100
// subscriptions (handleBatch wall time, per event and per delivery).
//   node bench/fanout.ts      BENCH_FANOUT_DELIVERIES=20000, BENCH_FANOUT_STORE_LATENCY_MS=0 by default
import { createHttpSender } from '../shared/adapters/http/sender.ts';
import { systemClock } from '../shared/domain/clock.ts';
import { serializeQueueMessage } from '../shared/domain/delivery/queue-messages.ts';
import { deliveryWorld } from '../test/support/delivery-world.ts';
import { epochMs, median, percentile, printResult, startAnnouncedChild, type BenchResult, type Figure } from './lib.ts';

export interface FanoutBenchOptions {
  /** Deliveries in the throughput run. */
  deliveries?: number;
  /** Simulated store round trip (ms) on every store call; 0 = pure in-memory. */
  storeLatencyMs?: number;
  concurrency?: number;
}

const TARGET_DELIVERIES_PER_SECOND = 2000;

async function world(receiverUrl: string, storeLatencyMs: number, concurrency: number) {
  // The receiver runs on this machine: loopback, as the local stack allows it.
  const sender = createHttpSender({ allowPrivateTargets: true, allowLoopbackTargets: true, timeoutMs: 5000 });
  const { fanout, deliveries, service } = deliveryWorld({
    clock: systemClock,
    sender,
    storeLatencyMs,
    concurrency,
    directoryTtlMs: 10_000,
    suspensionCacheMs: 1000,
    random: Math.random,
    resolve: async () => ['127.0.0.1'],
    allowPrivateTargets: true,
    allowLoopbackTargets: true,
  });
  let n = 0;
  const subscribe = async (type: string, count: number) => {
    for (let i = 0; i < count; i++) {
      await service.createSubscription({ webhookUrl: `${receiverUrl}/${type}/${i}`, webhookHttpMethod: 'POST', events: [type] });
    }
  };
  const eventMessage = (type: string) =>
    serializeQueueMessage({
      v: 1,
      kind: 'event',
      event: { id: `evt_bench_${n++}`, type, timestamp: Date.now(), dataJson: JSON.stringify({ orderId: n, status: 'paid', items: [{ sku: 'A-1', qty: 2 }] }) },
    });
  const batch = (bodies: string[]) => bodies.map((body) => ({ messageId: `m${n++}`, body, receiveCount: 1 }));
  return { fanout, deliveries, subscribe, eventMessage, batch, close: () => sender.close() };
}

export async function runFanoutBench(options: FanoutBenchOptions = {}): Promise<BenchResult> {
  const total = options.deliveries ?? 20_000;
  const storeLatencyMs = options.storeLatencyMs ?? 0;
  const concurrency = options.concurrency ?? 16;
  const receiver = await startAnnouncedChild<{ url: string }>(new URL('./arrival-receiver.ts', import.meta.url).pathname);
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { storeLatencyMs, concurrency, deliveries: total };
  try {
    const w = await world(receiver.info.url, storeLatencyMs, concurrency);
    await w.subscribe('tp', 10);
    await w.subscribe('one', 1);
    await w.subscribe('ten', 10);
    await w.subscribe('hundred', 100);

    // Warm-up: connections, JIT.
    for (let i = 0; i < 20; i++) await w.fanout.handleBatch(w.batch(Array.from({ length: 10 }, () => w.eventMessage('tp'))));

    // 1. Throughput: batches of 10 events × 10 subscriptions, 4 batches in flight.
    const batches = Math.ceil(total / 100);
    let next = 0;
    let failed = 0;
    const started = epochMs();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < batches) {
          next++;
          const result = await w.fanout.handleBatch(w.batch(Array.from({ length: 10 }, () => w.eventMessage('tp'))));
          failed += result.failedMessageIds.length + (100 - result.stats.succeeded);
        }
      }),
    );
    const seconds = (epochMs() - started) / 1000;
    const rate = (batches * 100) / seconds;
    figures.push({
      metric: 'deliveries per second, one fan-out process',
      value: rate,
      unit: 'deliveries/s',
      target: `>= ${TARGET_DELIVERIES_PER_SECOND.toLocaleString('en-US')}`,
      met: rate >= TARGET_DELIVERIES_PER_SECOND,
    });
    details.throughput = { batches, seconds, failed };

    // 2. Added latency at low load: one event, one subscription, one at a time.
    const added: number[] = [];
    const handled: number[] = [];
    for (let i = 0; i < 500; i++) {
      const body = w.eventMessage('one');
      const dispatched = epochMs();
      await w.fanout.handleBatch(w.batch([body]));
      handled.push(epochMs() - dispatched);
      const id = JSON.parse(body).event.id as string;
      const record = [...w.deliveries.items.values()].find((r) => r.eventId === id)!;
      added.push(Number(record.attempts[0]!.responseSnippet) - dispatched);
    }
    figures.push({ metric: 'added latency p50 (event handed to fan-out → request at receiver)', value: percentile(added, 50), unit: 'ms' });
    figures.push({ metric: 'added latency p99', value: percentile(added, 99), unit: 'ms' });
    figures.push({ metric: 'one event, one delivery, handled end to end p99', value: percentile(handled, 99), unit: 'ms' });

    // 3. Fan-out cost of one event to 1, 10, 100 subscriptions.
    for (const [type, count] of [['one', 1], ['ten', 10], ['hundred', 100]] as const) {
      const times: number[] = [];
      for (let i = 0; i < (count === 100 ? 40 : 200); i++) {
        const t0 = epochMs();
        await w.fanout.handleBatch(w.batch([w.eventMessage(type)]));
        times.push(epochMs() - t0);
      }
      const typical = median(times);
      figures.push({ metric: `one event to ${count} subscription${count === 1 ? '' : 's'}: median`, value: typical, unit: 'ms' });
      figures.push({ metric: `one event to ${count} subscription${count === 1 ? '' : 's'}: per delivery`, value: typical / count, unit: 'ms' });
      details[`fanout_${count}`] = { p99: percentile(times, 99) };
    }
    await w.close();
  } finally {
    await receiver.stop();
  }
  return {
    bench: 'fanout',
    figures,
    notes: [
      `stores are in-memory with ${storeLatencyMs} ms simulated round trip; the receiver is a bare node:http child process answering 200 at once`,
      'every delivery is signed, encoded and recorded as in production; concurrency (attempts in flight) = ' + concurrency,
    ],
    details,
  };
}

if (import.meta.main) {
  const setting = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const deliveries = setting('BENCH_FANOUT_DELIVERIES');
  const storeLatencyMs = setting('BENCH_FANOUT_STORE_LATENCY_MS');
  printResult(
    await runFanoutBench({
      ...(deliveries === undefined ? {} : { deliveries }),
      ...(storeLatencyMs === undefined ? {} : { storeLatencyMs }),
    }),
  );
}
