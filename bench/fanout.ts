// Fan-out benchmark (a script, not a test): `node bench/fanout.ts`, or `runFanoutBench()` from
// bench/run.ts. One fan-out (the real createFanout with the real undici keep-alive sender and
// the real signing/encoding) delivers to a bare node:http receiver in a child process that
// answers 200 at once. Stores and queue are the in-memory ports (shared/adapters/
// outbound-memory.ts), optionally with a simulated round trip, because the local DynamoDB
// emulator (dynalite, ~1,000 conditional writes/s) would measure itself, not the fan-out.
//
// Figures: deliveries/s from one fan-out process (event batches of 10, like the SQS event source,
// 4 in flight like the local poller); p50/p99 added latency (event handed to the fan-out → request
// arriving at the receiver, at low load); the cost of fanning one event out to 1, 10 and 100
// subscriptions (handleBatch wall time, per event and per delivery).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createHttpSender } from '../shared/adapters/http-sender.ts';
import {
  memoryDeliveryStore,
  memoryEventStore,
  memoryEventsQueue,
  memorySecretCipher,
  memorySubscriptionStore,
  memorySuspensionStore,
} from '../shared/adapters/outbound-memory.ts';
import { systemClock } from '../shared/domain/clock.ts';
import { serializeQueueMessage } from '../shared/domain/outbound/queue-messages.ts';
import { createFanout, type Fanout } from '../shared/services/fanout.ts';
import { createOutboundServiceWithDeps } from '../shared/services/outbound.ts';
import { subscriptionDirectory } from '../shared/services/outbound-subscriptions.ts';
import { suspensionTracker } from '../shared/services/outbound-suspension.ts';

export interface FanoutFigure {
  metric: string;
  value: number;
  unit: string;
  target?: string;
  met?: boolean;
}

export interface FanoutBenchResult {
  bench: 'fanout';
  figures: FanoutFigure[];
  notes: string[];
  details: Record<string, unknown>;
}

export interface FanoutBenchOptions {
  /** Deliveries in the throughput run. */
  deliveries?: number;
  /** Simulated store round trip (ms) on every store call; 0 = pure in-memory. */
  storeLatencyMs?: number;
  concurrency?: number;
}

const RECEIVER = `
import { createServer } from 'node:http';
const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const arrived = performance.timeOrigin + performance.now();
  req.on('data', () => {});
  req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(String(arrived)));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.stdin.on('data', () => {}); process.stdin.on('end', () => { server.closeAllConnections(); server.close(); process.exit(0); });
process.stdin.resume();
`;

async function startReceiverChild(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RECEIVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`receiver exited (${code})`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const now = () => performance.timeOrigin + performance.now();
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

async function world(receiverUrl: string, storeLatencyMs: number, concurrency: number) {
  const latency = { latencyMs: storeLatencyMs };
  const subscriptions = memorySubscriptionStore(latency);
  const deliveries = memoryDeliveryStore(latency);
  const queue = memoryEventsQueue();
  const cipher = memorySecretCipher();
  // The receiver runs on this machine: loopback, as the local stack allows it.
  const sender = createHttpSender({ allowPrivateTargets: true, allowLoopbackTargets: true, timeoutMs: 5000 });
  const directory = subscriptionDirectory(subscriptions, { ttlMs: 10_000, cipher });
  const fanout: Fanout = createFanout({
    directory,
    events: memoryEventStore(latency),
    deliveries,
    suspension: suspensionTracker(memorySuspensionStore(latency), { cacheMs: 1000 }),
    queue,
    sender,
    clock: systemClock,
    random: Math.random,
    concurrency,
    retentionDays: 30,
  });
  const service = createOutboundServiceWithDeps({
    subscriptions,
    deliveries,
    queue,
    cipher,
    sender,
    resolve: async () => ['127.0.0.1'],
    clock: systemClock,
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

export async function runFanoutBench(options: FanoutBenchOptions = {}): Promise<FanoutBenchResult> {
  const total = options.deliveries ?? 20_000;
  const storeLatencyMs = options.storeLatencyMs ?? 0;
  const concurrency = options.concurrency ?? 16;
  const receiver = await startReceiverChild();
  const figures: FanoutFigure[] = [];
  const details: Record<string, unknown> = { storeLatencyMs, concurrency, deliveries: total };
  try {
    const w = await world(receiver.url, storeLatencyMs, concurrency);
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
    const started = now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < batches) {
          next++;
          const result = await w.fanout.handleBatch(w.batch(Array.from({ length: 10 }, () => w.eventMessage('tp'))));
          failed += result.failedMessageIds.length + (100 - result.stats.succeeded);
        }
      }),
    );
    const seconds = (now() - started) / 1000;
    const rate = (batches * 100) / seconds;
    figures.push({ metric: 'deliveries per second, one fan-out process', value: rate, unit: 'deliveries/s', target: '≥ 2,000', met: rate >= 2000 });
    details.throughput = { batches, seconds, failed };

    // 2. Added latency at low load: one event, one subscription, one at a time.
    const added: number[] = [];
    const handled: number[] = [];
    for (let i = 0; i < 500; i++) {
      const body = w.eventMessage('one');
      const dispatched = now();
      await w.fanout.handleBatch(w.batch([body]));
      handled.push(now() - dispatched);
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
        const t0 = now();
        await w.fanout.handleBatch(w.batch([w.eventMessage(type)]));
        times.push(now() - t0);
      }
      const median = percentile(times, 50);
      figures.push({ metric: `one event to ${count} subscription${count === 1 ? '' : 's'}: median`, value: median, unit: 'ms' });
      figures.push({ metric: `one event to ${count} subscription${count === 1 ? '' : 's'}: per delivery`, value: median / count, unit: 'ms' });
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

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const result = await runFanoutBench({
    ...(process.env.FANOUT_BENCH_DELIVERIES ? { deliveries: Number(process.env.FANOUT_BENCH_DELIVERIES) } : {}),
    ...(process.env.FANOUT_BENCH_STORE_LATENCY_MS ? { storeLatencyMs: Number(process.env.FANOUT_BENCH_STORE_LATENCY_MS) } : {}),
  });
  for (const figure of result.figures) {
    const value = figure.value >= 100 ? Math.round(figure.value).toLocaleString('en-US') : figure.value.toFixed(2);
    console.log(`  ${figure.metric}: ${value} ${figure.unit}${figure.target ? ` [target ${figure.target}: ${figure.met ? 'met' : 'NOT met'}]` : ''}`);
  }
  for (const note of result.notes) console.log(`  note: ${note}`);
  process.stdout.write(`@@bench-result ${JSON.stringify(result)}\n`);
}
