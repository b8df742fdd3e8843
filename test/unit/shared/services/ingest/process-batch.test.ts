import { parquetReadObjects } from 'hyparquet';
import { PARQUET_DECOMPRESSORS } from '../../../../../shared/domain/lake/parquet-codecs.ts';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../../../shared/domain/credentials.ts';
import { parseIngestMessage, receivedBodyText, serializeIngestMessage, type IngestMessage } from '../../../../../shared/domain/ingest/message.ts';
import type { InboundHttpRequest } from '../../../../../shared/domain/ingest/kondado.ts';
import type { PipelineRecord, TokenRecord } from '../../../../../shared/domain/ingest/records.ts';
import type { BodyRef } from '../../../../../shared/domain/ingest/message.ts';
import type { ClaimReader, CredentialDirectory, LakeObject } from '../../../../../shared/ports/ingest.ts';
import type { OutboundEvent } from '../../../../../shared/domain/delivery/queue-messages.ts';
import type { EventSink } from '../../../../../shared/services/ingest/event-sink.ts';
import { fetchContent, processIngestBatch, type ProcessDeps } from '../../../../../shared/services/ingest/process-batch.ts';
import { receiveWebhook } from '../../../../../shared/services/ingest/receive.ts';
import { memoryRejections } from '../../../../../shared/adapters/memory/rejection-store.ts';

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

/** Claim-checked bodies by key, with every read recorded. */
function fakeClaims(bodies: Record<string, string> = {}) {
  const reads: string[] = [];
  const body = (ref: BodyRef) => bodies[ref.key] ?? '{"claimed":true}';
  const claims: ClaimReader = {
    async get(ref) {
      reads.push(`get ${ref.key}`);
      return body(ref);
    },
    async size(ref) {
      reads.push(`size ${ref.key}`);
      return Buffer.byteLength(body(ref));
    },
    async head(ref, maxBytes) {
      reads.push(`head ${ref.key}`);
      const bytes = Buffer.from(body(ref));
      return { prefix: new Uint8Array(bytes.subarray(0, maxBytes)), bytes: bytes.length };
    },
  };
  return { claims, reads };
}

function fakeDeps(bodies: Record<string, string> = {}) {
  const objects = new Map<string, LakeObject>();
  const rejections = memoryRejections();
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
  const { claims, reads } = fakeClaims(bodies);
  const deps: ProcessDeps = {
    directory,
    lake: { put: async (object) => void objects.set(object.key, object) },
    claims,
    rejections,
  };
  return { deps, objects, rejections, reads, lookups: () => lookups };
}

const claim = (key: string): Partial<IngestMessage> => ({ body: undefined, bodyRef: { bucket: 'b', key } });
const quarantineLines = (object: LakeObject) =>
  Buffer.from(object.body).toString().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('processIngestBatch', () => {
  it('counts rows landed with one counter write per lake object, never per row, and a failed counter write fails nothing', async () => {
    const { deps, rejections } = fakeDeps();
    const records = [message(), message(), message(), message({ pipelineId: 2 }), message({ ts: 1764100000 }), message({ tokenSha256: sha256Hex('bad') })];
    expect((await processIngestBatch(records, deps)).landed).toBe(5);
    expect(rejections.calls.filter((call) => call.startsWith('addLanded')).sort()).toEqual([
      'addLanded 1 2025-11-24',
      'addLanded 1 2025-11-25',
      'addLanded 2 2025-11-24',
    ]);
    expect(Object.fromEntries(rejections.landed)).toEqual({ '1/2025-11-24': 3, '1/2025-11-25': 1, '2/2025-11-24': 1 });

    const failing = fakeDeps();
    failing.deps.rejections = { ...failing.rejections, addLanded: async () => Promise.reject(new Error('throttled')) };
    expect(await processIngestBatch([message(), message()], failing.deps)).toEqual({ failedMessageIds: [], landed: 2, rejected: 0, malformed: 0 });
  });

  it('writes one object per pipeline and day, quarantines and counts rejections (unknown pipelines in one bucket)', async () => {
    const { deps, objects, rejections, lookups } = fakeDeps();
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
    expect(quarantined.map((k) => k.split('/').slice(1, 3).join('/'))).toEqual(['pipeline_id=1/dt=2025-11-24', 'pipeline_id=unknown/dt=2025-11-24']);
    expect(Object.fromEntries(rejections.daily)).toEqual({
      '1/2025-11-24': { wrong_token: 1, unknown_key: 1 },
      'unknown/2025-11-24': { unknown_pipeline: 1 },
    });
    const quarantine = Buffer.from(objects.get(quarantined.find((k) => k.includes('pipeline_id=1'))!)!.body).toString();
    expect(quarantine).not.toContain(sha256Hex('bad'));
    expect(quarantine.trim().split('\n').map((line) => JSON.parse(line).reason).sort()).toEqual(['unknown_key', 'wrong_token']);
  });

  it('junk to 100 random pipeline ids writes one quarantine object and one counter, under unknown', async () => {
    const { deps, objects, rejections } = fakeDeps();
    const records = Array.from({ length: 100 }, (_, i) => message({ pipelineId: 1000 + i, key: '99999999-2222-4333-8444-555555555555' }));
    const outcome = await processIngestBatch(records, deps);
    expect(outcome.rejected).toBe(100);
    expect([...objects.keys()]).toHaveLength(1);
    expect([...objects.keys()][0]).toMatch(/^quarantine\/pipeline_id=unknown\/dt=2025-11-24\/\d{6}-\d{6}-[0-9a-f]{32}\.jsonl$/);
    expect(Object.fromEntries(rejections.daily)).toEqual({ 'unknown/2025-11-24': { unknown_key: 100 } });
    expect(rejections.calls).toEqual(['addDaily unknown 2025-11-24']);
    // Each line still names the pipeline id the sender used.
    expect(quarantineLines([...objects.values()][0]!).map((line) => line.pipelineId)).toEqual(records.map((_, i) => 1000 + i));
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
    await processIngestBatch([message(claim('claims/x.json'))], deps);
    expect(objects.size).toBe(1);
  });
});

describe('processIngestBatch: rejected bodies are never fetched whole', () => {
  const big = `{"blob":"${'é'.repeat(1_000_000)}"}`;

  it('authenticates first: a rejected claim-checked body is read only for its first bytes; an accepted one whole', async () => {
    const { deps, reads, objects } = fakeDeps({ 'claims/junk.json': big, 'claims/good.json': big });
    const junk = message({ ...claim('claims/junk.json'), key: '99999999-2222-4333-8444-555555555555', pipelineId: 77 });
    const good = message(claim('claims/good.json'));
    const outcome = await processIngestBatch([junk, good], deps);
    expect(outcome).toMatchObject({ failedMessageIds: [], landed: 1, rejected: 1 });
    expect(reads.sort()).toEqual(['get claims/good.json', 'head claims/junk.json', 'size claims/good.json']);
    const [line] = quarantineLines([...objects.entries()].find(([key]) => key.startsWith('quarantine/'))![1]);
    expect(line).toEqual({
      id: JSON.parse(junk.body).id,
      ts: 1764000000.5,
      key: '99999999-2222-4333-8444-555555555555',
      pipelineId: 77,
      reason: 'unknown_key',
      format: 'json',
      bodyBytes: Buffer.byteLength(big),
      // `{"blob":"` is 9 bytes, each é 2: 2043 of them fit 4096 bytes, the 2044th would be split.
      bodyPrefix: big.slice(0, 9 + 2043),
      bodyRef: { bucket: 'b', key: 'claims/junk.json' },
    });
    expect(Buffer.byteLength(line!.bodyPrefix as string)).toBeLessThanOrEqual(4096);
  });

  it('keeps 4 KiB of an inline rejected body, cut before a split character, and its size', async () => {
    const { deps, objects } = fakeDeps();
    // 4095 ASCII bytes then a 4-byte character: the 4 KiB cut would split it.
    const body = `"${'a'.repeat(4094)}😀${'b'.repeat(10_000)}"`;
    await processIngestBatch([message({ body, tokenSha256: sha256Hex('bad') })], deps);
    const [line] = quarantineLines([...objects.values()][0]!);
    expect(line).toMatchObject({ bodyBytes: Buffer.byteLength(body), bodyPrefix: `"${'a'.repeat(4094)}` });
    expect(line).not.toHaveProperty('bodyRef');
    expect(line).not.toHaveProperty('body');
  });
});

describe('processIngestBatch: body budget', () => {
  const MB = 1_000_000;
  const bodyOf = (n: number, bytes: number) => `{"n":${n},"pad":"${'x'.repeat(bytes - 20)}"}`.padEnd(bytes, ' ');

  /** Tracks the bytes of fetched bodies not yet landed. */
  function tracked(sizes: number[]) {
    const bodies = Object.fromEntries(sizes.map((bytes, i) => [`claims/${i}.json`, bodyOf(i, bytes)]));
    const t = fakeDeps(bodies);
    let held = 0;
    let peak = 0;
    let webhookObjects = 0;
    const inner = t.deps.claims;
    t.deps.claims = {
      ...inner,
      async get(ref) {
        const body = await inner.get(ref);
        held += Buffer.byteLength(body);
        peak = Math.max(peak, held);
        return body;
      },
    };
    t.deps.lake = {
      async put(object) {
        // Every message here has the same pipeline and day: one object per round, which lets its bodies go.
        if (object.key.startsWith('webhooks/')) webhookObjects++;
        held = 0;
      },
    };
    return { ...t, peak: () => peak, objects: () => webhookObjects };
  }

  it('fetches claim-checked bodies in rounds within the budget, landing each round before the next', async () => {
    const t = tracked([3 * MB, 3 * MB, 3 * MB, 3 * MB, 3 * MB]);
    const records = [0, 1, 2, 3, 4].map((i) => message(claim(`claims/${i}.json`)));
    const outcome = await processIngestBatch(records, { ...t.deps, bodyBudgetBytes: 7 * MB });
    expect(outcome).toMatchObject({ failedMessageIds: [], landed: 5 });
    expect(t.peak()).toBeLessThanOrEqual(7 * MB);
    expect(t.objects()).toBe(3); // 2 + 2 + 1
  });

  it('a body larger than the budget still lands, alone', async () => {
    const t = tracked([1 * MB, 9 * MB, 1 * MB]);
    const records = [0, 1, 2].map((i) => message(claim(`claims/${i}.json`)));
    const outcome = await processIngestBatch(records, { ...t.deps, bodyBudgetBytes: 5 * MB });
    expect(outcome).toMatchObject({ failedMessageIds: [], landed: 3 });
    expect(t.peak()).toBe(9 * MB);
    expect(t.objects()).toBe(3);
  });

  it('out of time, hands the rest back; those received most often are fetched first', async () => {
    const t = tracked([2 * MB, 2 * MB, 2 * MB, 2 * MB]);
    const records = [0, 1, 2, 3].map((i) => ({ ...message(claim(`claims/${i}.json`)), receiveCount: i === 3 ? 3 : 1 }));
    let remaining = 60_000;
    const lake = t.deps.lake;
    t.deps.lake = { put: async (object) => ((remaining -= 25_000), lake.put(object)) };
    const outcome = await processIngestBatch(records, { ...t.deps, bodyBudgetBytes: 2 * MB }, { remainingTimeMs: () => remaining });
    // Round 1 (the message received 3 times) and round 2 ran; then 10 s were left, under the 20 s reserve.
    expect(outcome.landed).toBe(2);
    expect(outcome.failedMessageIds.sort()).toEqual([records[1]!.messageId, records[2]!.messageId].sort());
    expect(t.reads.filter((read) => read.startsWith('get'))).toEqual(['get claims/3.json', 'get claims/0.json']);
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
        scheduleRejectionSummary: async () => undefined,
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

  it('retries every landed message when it cannot tell who listens; rejected ones are not counted twice', async () => {
    const { deps } = fakeDeps();
    const records = [message(), message({ pipelineId: 2 }), message({ tokenSha256: sha256Hex('bad') })];
    const outcome = await processIngestBatch(records, { ...deps, events: sink({ wantedFails: true }).sink });
    expect(outcome.failedMessageIds.sort()).toEqual([records[0]!.messageId, records[1]!.messageId].sort());
  });
});

describe('processIngestBatch: the captured request', () => {
  /** The real receiver use case, with its queue and claim store in memory. */
  async function receive(request: Omit<InboundHttpRequest, 'rawQueryString'> & { query?: string }, maxMessageBytes = 1_000_000) {
    const sent: string[] = [];
    const claimed: Record<string, string> = {};
    const reply = await receiveWebhook(
      { ...request, rawQueryString: `pipeline_id=1&key=${KEY}&token=good${request.query ?? ''}` },
      {
        queue: { send: async (text) => void sent.push(text) },
        claims: async () => ({ put: async (ref, text) => void (claimed[ref.key] = text), get: async (ref) => claimed[ref.key]! }),
        clock: { nowMs: () => 1_764_000_000_500 },
        lakeBucket: 'b',
        maxBodyBytes: 6_000_000,
        maxMessageBytes,
      },
    );
    expect(reply.statusCode).toBe(200);
    return { record: { messageId: `r${++counter}`, body: sent[0]! }, claimed };
  }

  const readRows = async (object: LakeObject) =>
    (await parquetReadObjects({
      file: object.body.buffer.slice(object.body.byteOffset, object.body.byteOffset + object.body.byteLength) as ArrayBuffer,
      compressors: PARQUET_DECOMPRESSORS,
    })) as Record<string, unknown>[];

  const githubHeaders = {
    'content-type': 'application/json',
    authorization: 'Bearer ghp_secret',
    'x-github-event': 'push',
    'x-hub-signature-256': 'sha256=abc',
  };

  it('JSON, form and GET requests land with their method, redacted headers and query in the __hl_* columns', async () => {
    const { deps, objects } = fakeDeps();
    const json = await receive({ method: 'POST', contentType: 'application/json', headers: githubHeaders, body: Buffer.from('{"ref":"main"}'), query: '&source=gh' });
    const form = await receive({
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from('a=1&a=2'),
    });
    const get = await receive({ method: 'GET', headers: { 'user-agent': 'kudosity' }, query: '&type=add&mobile=1&access_token=tok_secret' });
    const outcome = await processIngestBatch([json.record, form.record, get.record], deps);
    expect(outcome).toMatchObject({ failedMessageIds: [], landed: 3 });
    const rows = await readRows([...objects.values()][0]!);
    expect(rows.map((row) => [row.__kdd_request_body, row.__hl_request_method, row.__hl_request_headers, row.__hl_request_query])).toEqual([
      [
        '{"ref":"main"}',
        'POST',
        // A signature no verifier of the pipeline reads is stored redacted.
        '{"content-type":"application/json","authorization":"[redacted]","x-github-event":"push","x-hub-signature-256":"[redacted]"}',
        '{"source":"gh"}',
      ],
      ['{"a":["1","2"]}', 'POST', '{"content-type":"application/x-www-form-urlencoded"}', '{}'],
      [
        '{"type":"add","mobile":"1","access_token":"[redacted]"}',
        'GET',
        '{"user-agent":"kudosity"}',
        '{"type":"add","mobile":"1","access_token":"[redacted]"}',
      ],
    ]);
    expect(JSON.stringify(rows)).not.toContain('tok_secret');
  });

  it("a form post's raw text reaches the processor intact, inline and through the claim check", async () => {
    const form = `text=${encodeURIComponent('café ✓ 😀 & =')}&blob=${'%F0%9F%98%80'.repeat(200)}&z=+`;
    const request = { method: 'POST', contentType: 'application/x-www-form-urlencoded', body: Buffer.from(form) } as const;
    const inline = await receive(request);
    const claimedAway = await receive(request, 1500);
    expect(Object.keys(claimedAway.claimed).sort()).toEqual([
      expect.stringMatching(/^claims\/2025-11-24\/[a-z]{20}\.json$/),
      expect.stringMatching(/^claims\/2025-11-24\/[a-z]{20}\.raw$/),
    ]);
    const { deps, objects, reads } = fakeDeps(claimedAway.claimed);
    expect(await processIngestBatch([inline.record, claimedAway.record], deps)).toMatchObject({ failedMessageIds: [], landed: 2 });
    const decoded = JSON.stringify({ text: 'café ✓ 😀 & =', blob: '😀'.repeat(200), z: ' ' });
    expect((await readRows([...objects.values()][0]!)).map((row) => row.__kdd_request_body)).toEqual([decoded, decoded]);
    // The content the processor holds for each accepted message, which signature verification reads.
    for (const { record } of [inline, claimedAway]) {
      const message = parseIngestMessage(record.body);
      const content = await fetchContent(message, deps.claims);
      expect(content.body).toBe(decoded);
      expect(receivedBodyText(message.format, content)).toBe(form);
    }
    expect(reads.filter((read) => read.startsWith('get')).map((read) => read.slice(-4)).sort()).toEqual(['json', 'json', '.raw', '.raw'].sort());
  });

  it("a rejected request's quarantine line keeps its method, redacted headers and query", async () => {
    const { deps, objects } = fakeDeps();
    const { record } = await receive({ method: 'POST', contentType: 'application/json', headers: githubHeaders, body: Buffer.from('{}'), query: '&source=gh' });
    const wrongPipeline = record.body.replace('"pipelineId":1,', '"pipelineId":3,');
    expect(await processIngestBatch([{ ...record, body: wrongPipeline }], deps)).toMatchObject({ rejected: 1 });
    const [line] = quarantineLines([...objects.values()][0]!);
    expect(line).toMatchObject({
      reason: 'unknown_pipeline',
      method: 'POST',
      headers: { authorization: '[redacted]', 'x-github-event': 'push', 'x-hub-signature-256': '[redacted]' },
      query: { source: 'gh' },
    });
    expect(JSON.stringify(line)).not.toContain('ghp_secret');
  });

  it('a message queued before the capture lands with null __hl_* columns and a quarantine line without them', async () => {
    const { deps, objects } = fakeDeps();
    // As a receiver before the capture wrote them: version 1, all JSON, without method, headers and query.
    const version1 = ({ messageId, body }: { messageId: string; body: string }) => {
      const { v: _layout, method: _method, headers: _headers, query: _query, ...fields } = parseIngestMessage(body);
      return { messageId, body: JSON.stringify({ v: 1, ...fields }) };
    };
    const old = version1(message());
    expect(old.body).toMatch(/^\{"v":1,/);
    expect(JSON.parse(old.body)).not.toHaveProperty('headers');
    const rejectedOld = version1(message({ tokenSha256: sha256Hex('bad') }));
    await processIngestBatch([old, rejectedOld], deps);
    const webhooks = [...objects.entries()].find(([key]) => key.startsWith('webhooks/'))![1];
    expect(await readRows(webhooks)).toMatchObject([{ __hl_request_method: null, __hl_request_headers: null, __hl_request_query: null }]);
    const [line] = quarantineLines([...objects.entries()].find(([key]) => key.startsWith('quarantine/'))![1]);
    expect(Object.keys(line!)).toEqual(['id', 'ts', 'key', 'pipelineId', 'reason', 'format', 'bodyBytes', 'bodyPrefix']);
  });
});
