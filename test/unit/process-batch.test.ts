import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/domain/credentials.ts';
import { serializeIngestMessage, type IngestMessage } from '../../shared/domain/ingest-message.ts';
import type { PipelineRecord, TokenRecord } from '../../shared/domain/records.ts';
import type { CredentialDirectory, LakeObject } from '../../shared/ports/ingest.ts';
import { cachedCredentialDirectory } from '../../shared/services/credential-cache.ts';
import type { OutboundEvent } from '../../shared/domain/outbound/queue-messages.ts';
import type { EventSink } from '../../shared/services/outbound-events.ts';
import { processIngestBatch, type ProcessDeps } from '../../shared/services/process-ingest-batch.ts';

const KEY = '11111111-2222-4333-8444-555555555555';
const token: TokenRecord = { key: KEY, name: 't', tokenSha256: sha256Hex('good'), createdAt: '' };
const pipelines = new Map<number, PipelineRecord>([
  [1, { id: 1, name: 'one', createdAt: '' }],
  [2, { id: 2, name: 'two', createdAt: '' }],
]);

let counter = 0;
function message(overrides: Partial<IngestMessage> = {}): { messageId: string; body: string } {
  counter++;
  const id = String.fromCharCode(...Array.from({ length: 20 }, (_, i) => 97 + ((counter * 7 + i) % 26)));
  const m: IngestMessage = { v: 1, id, ts: 1764000000.5, pipelineId: 1, key: KEY, tokenSha256: sha256Hex('good'), format: 'json', body: `{"n":${counter}}`, ...overrides };
  return { messageId: `m${counter}`, body: serializeIngestMessage(m) };
}

function fakeDeps() {
  const objects = new Map<string, LakeObject>();
  const counts: { pipelineId: number; dt: string; counts: object }[] = [];
  let lookups = 0;
  const directory: CredentialDirectory = {
    async lookup(keys, ids) {
      lookups++;
      return {
        tokens: new Map(keys.filter((k) => k === KEY).map((k) => [k, token])),
        pipelines: new Map(ids.filter((id) => pipelines.has(id)).map((id) => [id, pipelines.get(id)!])),
      };
    },
  };
  const deps: ProcessDeps = {
    directory,
    lake: { put: async (object) => void objects.set(object.key, object) },
    claims: { put: async () => undefined, get: async () => '{"claimed":true}' },
    rejections: { add: async (pipelineId, dt, c) => void counts.push({ pipelineId, dt, counts: c }) },
  };
  return { deps, objects, counts, lookups: () => lookups };
}

describe('processIngestBatch', () => {
  it('writes one object per pipeline and day, quarantines and counts rejections', async () => {
    const { deps, objects, counts, lookups } = fakeDeps();
    const records = [
      message(),
      message(),
      message({ pipelineId: 2 }),
      message({ ts: 1764100000 }),
      message({ tokenSha256: sha256Hex('bad') }),
      message({ key: '99999999-2222-4333-8444-555555555555' }),
      message({ pipelineId: 3 }),
    ];
    const outcome = await processIngestBatch(records, deps);
    expect(outcome).toEqual({ failedMessageIds: [], landed: 4, rejected: 3, malformed: 0 });
    expect(lookups()).toBe(1);
    const keys = [...objects.keys()].sort();
    expect(keys.filter((k) => k.startsWith('webhooks/')).map((k) => k.split('/').slice(1, 3).join('/'))).toEqual([
      'pipeline_id=1/dt=2025-11-24',
      'pipeline_id=1/dt=2025-11-25',
      'pipeline_id=2/dt=2025-11-24',
    ]);
    const quarantined = keys.filter((k) => k.startsWith('quarantine/'));
    expect(quarantined).toHaveLength(2);
    expect(counts).toEqual(
      expect.arrayContaining([
        { pipelineId: 1, dt: '2025-11-24', counts: { wrong_token: 1, unknown_key: 1 } },
        { pipelineId: 3, dt: '2025-11-24', counts: { unknown_pipeline: 1 } },
      ]),
    );
    const quarantine = Buffer.from(objects.get(quarantined.find((k) => k.includes('pipeline_id=1'))!)!.body).toString();
    expect(quarantine).not.toContain(sha256Hex('bad'));
    expect(quarantine.trim().split('\n').map((line) => JSON.parse(line).reason).sort()).toEqual(['unknown_key', 'wrong_token']);
  });

  it('reports malformed messages and only the group whose write failed', async () => {
    const { deps } = fakeDeps();
    deps.lake = {
      put: async (object) => {
        if (object.key.includes('pipeline_id=2/')) throw new Error('S3 down');
      },
    };
    const ok = message();
    const failing = message({ pipelineId: 2 });
    const outcome = await processIngestBatch([ok, failing, { messageId: 'poison', body: 'not json' }], deps);
    expect(outcome.failedMessageIds.sort()).toEqual([failing.messageId, 'poison'].sort());
    expect(outcome.landed).toBe(1);
    expect(outcome.malformed).toBe(1);
  });

  it('retries the whole batch when credentials cannot be read', async () => {
    const { deps } = fakeDeps();
    deps.directory = { lookup: async () => Promise.reject(new Error('DynamoDB unreachable')) };
    const records = [message(), message()];
    const outcome = await processIngestBatch(records, deps);
    expect(outcome.failedMessageIds.sort()).toEqual(records.map((r) => r.messageId).sort());
  });

  it('fetches claim-checked bodies', async () => {
    const { deps, objects } = fakeDeps();
    await processIngestBatch([message({ body: undefined, bodyRef: { bucket: 'b', key: 'claims/x.json' } })], deps);
    expect(objects.size).toBe(1);
  });
});

describe('cachedCredentialDirectory', () => {
  it('asks only for what it has not seen within the TTL, misses included', async () => {
    const asked: [string[], number[]][] = [];
    const inner: CredentialDirectory = {
      async lookup(keys, ids) {
        asked.push([keys, ids]);
        return { tokens: new Map(keys.filter((k) => k === KEY).map((k) => [k, token])), pipelines: new Map() };
      },
    };
    let now = 0;
    const cache = cachedCredentialDirectory(inner, 30, { nowMs: () => now });
    const first = await cache.lookup([KEY, KEY, 'unknown'], [1]);
    expect(first.tokens.get(KEY)).toEqual(token);
    await cache.lookup([KEY, 'unknown'], [1]);
    expect(asked).toEqual([[[KEY, 'unknown'], [1]]]);
    now = 30_001;
    await cache.lookup([KEY], []);
    expect(asked).toHaveLength(2);
    expect(asked[1]).toEqual([[KEY], []]);
  });
});

describe('processIngestBatch: outbound events are not lost', () => {
  // Someone subscribes to webhook_received for pipeline 1 only.
  function sink(options: { publishFails?: boolean; wantedFails?: boolean }): { sink: EventSink; published: OutboundEvent[] } {
    const published: OutboundEvent[] = [];
    return {
      published,
      sink: {
        wanted: async () => {
          if (options.wantedFails) throw new Error('DynamoDB unreachable');
          return (type, pipelineId) => type === 'webhook_received' && pipelineId === 1;
        },
        publish: async (events) => {
          if (options.publishFails) throw new Error('events queue unreachable');
          published.push(...events);
          return events.length;
        },
      },
    };
  }

  it('publishes webhook_received with the landed body text as data.body, after the lake write', async () => {
    const { deps, objects } = fakeDeps();
    const { sink: events, published } = sink({});
    const body = '{"exact":"body ✓ 😀","big":12345678901234567890123}';
    const wanted = message({ body });
    const outcome = await processIngestBatch([wanted, message({ pipelineId: 2 })], { ...deps, events });
    expect(outcome.failedMessageIds).toEqual([]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ type: 'webhook_received', pipelineId: 1 });
    expect(published[0]!.dataJson).toContain(`"body":${body},`);
    expect(JSON.parse(published[0]!.dataJson).body).toEqual(JSON.parse(body));
    expect(objects.size).toBe(2);
  });

  it('retries only the messages whose events could not be published', async () => {
    const { deps } = fakeDeps();
    const withEvent = message();
    const withoutEvent = message({ pipelineId: 2 });
    const outcome = await processIngestBatch([withEvent, withoutEvent], { ...deps, events: sink({ publishFails: true }).sink });
    expect(outcome.landed).toBe(2);
    expect(outcome.failedMessageIds).toEqual([withEvent.messageId]);
  });

  it('on the last receive before the DLQ, keeps the landed rows and gives up the events', async () => {
    const { deps } = fakeDeps();
    const last = { ...message(), receiveCount: 5 };
    const earlier = { ...message(), receiveCount: 4 };
    const outcome = await processIngestBatch([last, earlier], { ...deps, maxReceiveCount: 5, events: sink({ publishFails: true }).sink });
    expect(outcome.failedMessageIds).toEqual([earlier.messageId]);
  });

  it('retries every message when it cannot tell who listens', async () => {
    const { deps } = fakeDeps();
    const records = [message(), message({ pipelineId: 2 }), message({ tokenSha256: sha256Hex('bad') })];
    const outcome = await processIngestBatch(records, { ...deps, events: sink({ wantedFails: true }).sink });
    expect(outcome.failedMessageIds.sort()).toEqual(records.map((r) => r.messageId).sort());
  });
});
