// The aggregated webhook_rejected, over in-memory ports: the processor counts a subscribed pipeline's
// rejections into its window and the first claimer queues one delayed summary message; the fan-out
// reads the window and delivers one event with the summed counts. Nothing for unknown pipelines,
// nothing when nobody subscribes.
import { describe, expect, it } from 'vitest';
import { memoryRejections } from '../../../../../shared/adapters/memory/rejection-store.ts';
import { sha256Hex } from '../../../../../shared/domain/credentials.ts';
import { parseQueueMessage } from '../../../../../shared/domain/delivery/queue-messages.ts';
import { serializeIngestMessage, type IngestMessage } from '../../../../../shared/domain/ingest/message.ts';
import type { PipelineRecord, TokenRecord } from '../../../../../shared/domain/ingest/records.ts';
import type { CredentialDirectory } from '../../../../../shared/ports/ingest.ts';
import { eventSink } from '../../../../../shared/services/ingest/event-sink.ts';
import { processIngestBatch, type ProcessDeps } from '../../../../../shared/services/ingest/process-batch.ts';
import { deliveryWorld } from '../../../../support/delivery-world.ts';

const KEY = '11111111-2222-4333-8444-555555555555';
const OTHER_KEY = '99999999-2222-4333-8444-555555555555';
const token: TokenRecord = { key: KEY, name: 't', tokenSha256: sha256Hex('good'), createdAt: '' };
const pipelines = new Map<number, PipelineRecord>([
  [1, { id: 1, name: 'one', createdAt: '' }],
  [2, { id: 2, name: 'two', createdAt: '' }],
]);
const T = Date.parse('2026-11-20T10:15:30.000Z');

let counter = 0;
function message(overrides: Partial<IngestMessage>): { messageId: string; body: string; id: string } {
  counter++;
  const id = String.fromCharCode(...Array.from({ length: 20 }, (_, i) => 97 + ((counter * 11 + i) % 26)));
  const m: IngestMessage = { v: 1, id, ts: T / 1000, pipelineId: 1, key: KEY, tokenSha256: sha256Hex('good'), format: 'json', body: '{}', ...overrides };
  return { messageId: `m${counter}`, body: serializeIngestMessage(m), id };
}
const wrongToken = (pipelineId = 1) => message({ pipelineId, tokenSha256: sha256Hex('bad') });
const unknownKey = (pipelineId = 1) => message({ pipelineId, key: OTHER_KEY });

async function setup(options: { subscribe?: boolean; scope?: number | 'every pipeline'; queueFails?: () => boolean } = {}) {
  const rejections = memoryRejections();
  const world = deliveryWorld({ startMs: T, answer: () => ({ outcome: { status: 200 }, statusCode: 200, latencyMs: 1, responseSnippet: 'ok' }), rejectionSummaries: rejections });
  if (options.subscribe !== false) {
    const scope = options.scope ?? 1;
    await world.service.createSubscription({
      webhookUrl: 'https://a.example/hook',
      webhookHttpMethod: 'POST',
      events: ['webhook_rejected'],
      ...(scope === 'every pipeline' ? {} : { pipelineId: scope }),
    });
  }
  const lookupDirectory: CredentialDirectory = {
    async lookup(keys, ids) {
      return {
        tokens: new Map(keys.filter((k) => k === KEY).map((k) => [k, token])),
        pipelines: new Map(ids.filter((id) => pipelines.has(id)).map((id) => [id, pipelines.get(id)!])),
      };
    },
  };
  const sink = eventSink({ directory: world.directory, queue: world.queue });
  const deps: ProcessDeps = {
    directory: lookupDirectory,
    lake: { put: async () => undefined },
    claims: { get: async () => '{}', size: async () => 2, head: async () => ({ prefix: new Uint8Array(), bytes: 0 }) },
    rejections,
    events: {
      ...sink,
      async scheduleRejectionSummary(pipelineId, window, delaySeconds) {
        if (options.queueFails?.() === true) throw new Error('events queue unreachable');
        await sink.scheduleRejectionSummary(pipelineId, window, delaySeconds);
      },
    },
    clock: world.clock,
  };
  world.queue.drain(); // the subscription's own messages, if any
  return { deps, rejections, queue: world.queue, fanout: world.fanout, sent: world.sent, advance: world.advance };
}

describe('aggregated webhook_rejected', () => {
  it('one summary per pipeline and minute: counts of every batch, the first samples, one delivery', async () => {
    const t = await setup();
    const first = [wrongToken(), wrongToken(), unknownKey(), unknownKey(999), wrongToken(2)];
    expect((await processIngestBatch(first, t.deps)).failedMessageIds).toEqual([]);
    t.advance(10_000);
    const second = [wrongToken(), unknownKey()];
    expect((await processIngestBatch(second, t.deps)).failedMessageIds).toEqual([]);

    const queued = t.queue.drain();
    expect(queued).toHaveLength(1);
    expect(JSON.parse(queued[0]!.body)).toEqual({
      v: 1,
      kind: 'rejection_summary',
      pipelineId: 1,
      windowStart: '2026-11-20T10:15:00.000Z',
      windowEnd: '2026-11-20T10:16:00.000Z',
    });
    // Read 15 s after the window ends: 10:16:15 - 10:15:30.
    expect(queued[0]!.delaySeconds).toBe(45);
    // No summary item for pipeline 2 (nobody subscribes) or 999 (does not exist).
    expect([...t.rejections.windows.keys()]).toEqual(['1/2026-11-20T10:15:00.000Z']);

    const received = { messageId: 'q1', body: queued[0]!.body, receiveCount: 1 };
    expect((await t.fanout.handleBatch([received])).failedMessageIds).toEqual([]);
    expect(t.sent).toHaveLength(1);
    const envelope = JSON.parse(t.sent[0]!.body!) as { type: string; id: string; timestamp: string; data: unknown };
    expect(envelope).toEqual({
      type: 'webhook_rejected',
      id: 'evt_rej_1_20261120T101500Z',
      timestamp: '2026-11-20T10:16:00.000Z',
      data: {
        pipelineId: 1,
        windowStart: '2026-11-20T10:15:00.000Z',
        windowEnd: '2026-11-20T10:16:00.000Z',
        total: 5,
        byReason: { wrong_token: 3, unknown_key: 2 },
        sampleRequestIds: first.slice(0, 3).map((m) => m.id),
      },
    });
    // The same summary message again (SQS at-least-once): no second delivery.
    await t.fanout.handleBatch([{ ...received, messageId: 'q2', receiveCount: 2 }]);
    expect(t.sent).toHaveLength(1);
  });

  it('a subscription to every pipeline: summaries for the pipelines that exist, none for ids that do not', async () => {
    const t = await setup({ scope: 'every pipeline' });
    const batch = [unknownKey(999), wrongToken(2), wrongToken(123_456), unknownKey(999), wrongToken(1)];
    expect((await processIngestBatch(batch, t.deps)).failedMessageIds).toEqual([]);
    expect([...t.rejections.windows.keys()].sort()).toEqual(['1/2026-11-20T10:15:00.000Z', '2/2026-11-20T10:15:00.000Z']);
    const queued = t.queue.drain().map((entry) => JSON.parse(entry.body) as { pipelineId: unknown });
    expect(queued.map((entry) => entry.pipelineId).sort()).toEqual([1, 2]);
    // The unknown ids are still quarantined and counted, in their one shared bucket.
    expect(t.rejections.calls.sort()).toEqual(
      expect.arrayContaining(['addDaily 1 2026-11-20', 'addDaily 2 2026-11-20', 'addDaily unknown 2026-11-20']),
    );

    const received = queued.map((_, i) => ({ messageId: `s${i}`, body: JSON.stringify(queued[i]), receiveCount: 1 }));
    expect((await t.fanout.handleBatch(received)).failedMessageIds).toEqual([]);
    const delivered = t.sent.map((request) => JSON.parse(request.body!) as { data: { pipelineId: number; total: number } });
    expect(delivered.map((event) => [event.data.pipelineId, event.data.total]).sort()).toEqual([
      [1, 1],
      [2, 1],
    ]);
  });

  it('at most 5 sample request ids, whatever the batch holds', async () => {
    const t = await setup();
    await processIngestBatch(Array.from({ length: 40 }, () => wrongToken()), t.deps);
    const [summary] = [...t.rejections.windows.values()];
    expect(summary!.samples).toHaveLength(5);
    expect(summary!.counts).toEqual({ wrong_token: 40 });
  });

  it('a new minute gets its own summary', async () => {
    const t = await setup();
    await processIngestBatch([wrongToken()], t.deps);
    t.advance(60_000);
    await processIngestBatch([wrongToken()], t.deps);
    expect(t.queue.drain().map((entry) => (parseQueueMessage(entry.body) as { windowStart: string }).windowStart)).toEqual([
      '2026-11-20T10:15:00.000Z',
      '2026-11-20T10:16:00.000Z',
    ]);
  });

  it('nobody subscribed: no summary claim, item or message, only the daily counter', async () => {
    const t = await setup({ subscribe: false });
    await processIngestBatch([wrongToken(), unknownKey(999)], t.deps);
    expect(t.rejections.calls.sort()).toEqual(['addDaily 1 2026-11-20', 'addDaily unknown 2026-11-20']);
    expect(t.queue.drain()).toEqual([]);
  });

  it('a summary message that cannot be queued gives its claim back; the next batch queues it; nothing is retried', async () => {
    let fail = true;
    const t = await setup({ queueFails: () => fail });
    const outcome = await processIngestBatch([wrongToken()], t.deps);
    expect(outcome.failedMessageIds).toEqual([]);
    expect(t.queue.drain()).toEqual([]);
    fail = false;
    await processIngestBatch([wrongToken()], t.deps);
    expect(t.queue.drain()).toHaveLength(1);
    // The first batch's rejection was still counted into the window.
    expect([...t.rejections.windows.values()][0]!.counts).toEqual({ wrong_token: 2 });
  });
});
