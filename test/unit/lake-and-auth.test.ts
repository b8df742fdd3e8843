import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { requestIdTime, requestIdTimePrefix, newRequestId } from '../../shared/domain/ingest/request-id.ts';
import { describe, expect, it } from 'vitest';
import { authorizeIngest } from '../../shared/domain/ingest/authorize.ts';
import { utcDay } from '../../shared/domain/clock.ts';
import { adminCredentialId, digestsEqual, matchesSha256, newAdminCredential, newIngestKey, newIngestToken, sha256Hex } from '../../shared/domain/credentials.ts';
import {
  claimKey,
  MalformedMessageError,
  parseIngestMessage,
  rawClaimKey,
  receivedBodyText,
  serializeIngestMessage,
  type IngestMessage,
} from '../../shared/domain/ingest/message.ts';
import {
  contentName,
  objectTimeRange,
  encodeWebhookRows,
  partitionOf,
  quarantineObjectKey,
  webhookRowOf,
  webhooksObjectKey,
  type WebhookRow,
} from '../../shared/domain/lake/objects.ts';
import type { PipelineRecord, TokenRecord } from '../../shared/domain/ingest/records.ts';

describe('credentials', () => {
  it('request ids are 20 lowercase letters', () => {
    for (let i = 0; i < 200; i++) expect(newRequestId(Date.now() / 1000)).toMatch(/^[a-z]{20}$/);
  });

  it('keys are UUIDs with hyphens and tokens long alphanumerics without', () => {
    expect(newIngestKey()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const token = newIngestToken();
    expect(token).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(newIngestToken()).not.toBe(token);
  });

  it('hashes are SHA-256 hex and compare in constant time', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(matchesSha256('abc', sha256Hex('abc'))).toBe(true);
    expect(matchesSha256('abd', sha256Hex('abc'))).toBe(false);
    expect(digestsEqual(sha256Hex('a'), sha256Hex('a').slice(0, 62))).toBe(false);
    expect(digestsEqual('', '')).toBe(false);
  });

  it('admin credentials carry their id', () => {
    const admin = newAdminCredential();
    expect(admin.credential).toMatch(/^hla_[0-9a-f]{16}_[0-9A-Za-z]{40}$/);
    expect(adminCredentialId(admin.credential)).toBe(admin.id);
    expect(admin.sha256).toBe(sha256Hex(admin.credential));
    expect(adminCredentialId('Bearer nonsense')).toBeUndefined();
  });
});

describe('ingest message', () => {
  const message: IngestMessage = {
    v: 1,
    id: 'rydjemeilmsqkqvjtfkc',
    ts: 1577015690.3118637,
    pipelineId: 835212,
    key: 'd538b946-9d55-405a-9bd2-72d74b1cb8f5',
    tokenSha256: sha256Hex('t'),
    format: 'json',
    body: '{"a":"\\"quoted\\" ✓"}',
  };

  it('round-trips, keeping the float timestamp', () => {
    const text = serializeIngestMessage(message);
    expect(text).toContain('"ts":1577015690.3118637');
    expect(parseIngestMessage(text)).toEqual(message);
  });

  it('refuses malformed messages as poison', () => {
    for (const text of ['nope', '{}', serializeIngestMessage({ ...message, id: 'SHOUT' }), JSON.stringify({ ...message, body: undefined })]) {
      expect(() => parseIngestMessage(text)).toThrow(MalformedMessageError);
    }
  });

  // What receivers before the capture queued: still on the queue during a deployment.
  const v1WithoutCapture =
    '{"v":1,"id":"rydjemeilmsqkqvjtfkc","ts":1577015690.3118637,"pipelineId":835212,' +
    `"key":"d538b946-9d55-405a-9bd2-72d74b1cb8f5","tokenSha256":"${sha256Hex('t')}","format":"form","body":"{\\"a\\":\\"1\\"}"}`;

  it('a message queued before method, headers, query and raw existed still parses, without them', () => {
    const parsed = parseIngestMessage(v1WithoutCapture);
    expect(parsed).toEqual({ ...message, format: 'form', body: '{"a":"1"}' });
    expect(parsed.method).toBeUndefined();
    expect(receivedBodyText(parsed.format, { body: parsed.body!, raw: parsed.raw })).toBeUndefined();
  });

  const captured: IngestMessage = {
    ...message,
    format: 'form',
    method: 'POST',
    headers: Object.assign(Object.create(null) as Record<string, string>, { 'x-github-event': 'push', authorization: '[redacted]', ['__proto__']: 'p' }),
    query: Object.assign(Object.create(null) as Record<string, string | string[]>, { source: 'shop', tag: ['a', 'b'] }),
    body: '{"a":"1 2"}',
    raw: 'a=1+2',
  };

  it('method, headers, query and raw round-trip in that field order, with the names as parsed (__proto__ included)', () => {
    const text = serializeIngestMessage(captured);
    expect(Object.keys(JSON.parse(text))).toEqual(['v', 'id', 'ts', 'pipelineId', 'key', 'tokenSha256', 'format', 'method', 'headers', 'query', 'body', 'raw']);
    const parsed = parseIngestMessage(text);
    expect(JSON.stringify(parsed.headers)).toBe('{"x-github-event":"push","authorization":"[redacted]","__proto__":"p"}');
    expect(parsed.query).toEqual({ source: 'shop', tag: ['a', 'b'] });
    expect(receivedBodyText(parsed.format, { body: parsed.body!, raw: parsed.raw })).toBe('a=1+2');
  });

  it('a claim-checked message carries bodyRef and rawRef instead of body and raw', () => {
    const bodyRef = { bucket: 'b', key: claimKey(message.id, message.ts) };
    const rawRef = { bucket: 'b', key: rawClaimKey(message.id, message.ts) };
    expect(rawRef.key).toBe('claims/2019-12-22/rydjemeilmsqkqvjtfkc.raw');
    const parsed = parseIngestMessage(serializeIngestMessage({ ...captured, body: undefined, raw: undefined, bodyRef, rawRef }));
    expect(parsed).toMatchObject({ bodyRef, rawRef });
    expect(parsed.body).toBeUndefined();
    expect(parsed.raw).toBeUndefined();
  });

  it('refuses headers or query that are not objects of strings, and raw together with rawRef', () => {
    const base = JSON.parse(serializeIngestMessage(captured)) as Record<string, unknown>;
    for (const broken of [
      { ...base, headers: { a: 1 } },
      { ...base, headers: ['a'] },
      { ...base, query: { a: [1] } },
      { ...base, query: 'a=1' },
      { ...base, method: 'post' },
      { ...base, rawRef: { bucket: 'b', key: 'claims/x.raw' } },
      { ...base, rawRef: { bucket: 'b', key: 'elsewhere/x.raw' }, raw: undefined },
    ]) {
      expect(() => parseIngestMessage(JSON.stringify(broken))).toThrow(MalformedMessageError);
    }
  });
});

describe('lake layout', () => {
  it('dt is the UTC day of the request', () => {
    expect(utcDay(1577015690.31)).toBe('2019-12-22');
    expect(partitionOf(7, 1577059199.999)).toEqual({ pipelineId: 7, dt: '2019-12-22' });
    expect(partitionOf(7, 1577059200)).toEqual({ pipelineId: 7, dt: '2019-12-23' });
  });

  it('object names are the UTC time range of their requests then a hash of the set of ids, not their order', () => {
    const partition = { pipelineId: 12, dt: '2026-11-23' };
    const at = (id: string, hhmmss: string) => ({ id, ts: Date.parse(`2026-11-23T${hhmmss}.250Z`) / 1000 });
    const key = webhooksObjectKey(partition, [at('b', '10:00:07'), at('a', '09:59:58'), at('c', '10:00:01')]);
    expect(key).toMatch(/^webhooks\/pipeline_id=12\/dt=2026-11-23\/095958-100007-[0-9a-f]{32}\.parquet$/);
    expect(webhooksObjectKey(partition, [at('c', '10:00:01'), at('b', '10:00:07'), at('a', '09:59:58')])).toBe(key);
    expect(webhooksObjectKey(partition, [at('a', '09:59:58'), at('b', '10:00:07')])).not.toBe(key);
    expect(contentName(['ab', 'c'])).not.toBe(contentName(['a', 'bc']));
    const quarantined = quarantineObjectKey(partition, [at('a', '00:00:00')]);
    expect(quarantined).toMatch(/^quarantine\/pipeline_id=12\/dt=2026-11-23\/000000-000000-[0-9a-f]{32}\.jsonl$/);
    expect(objectTimeRange(key.split('/').pop()!)).toEqual({ first: '095958', last: '100007' });
    expect(objectTimeRange('0123456789abcdef0123456789abcdef.parquet')).toBeUndefined();
  });

  it('request ids carry their receive second in the first 7 letters and sort by it', () => {
    const ts = Date.parse('2026-11-23T10:00:07.900Z') / 1000;
    const id = newRequestId(ts);
    expect(id).toMatch(/^[a-z]{20}$/);
    expect(requestIdTime(id)).toBe(Math.floor(ts));
    expect(requestIdTimePrefix(ts)).toBe(id.slice(0, 7));
    expect(newRequestId(ts + 1).slice(0, 7) > id.slice(0, 7)).toBe(true);
    expect(newRequestId(ts).slice(7)).not.toBe(id.slice(7));
    expect(requestIdTime('not-an-id')).toBeUndefined();
    expect(requestIdTime('zzzzzzzzzzzzzzzzzzzz')).toBe(26 ** 7 - 1);
  });

  it("writes Kondado's four columns first, then the __hl_* columns, nulls included, to Parquet", async () => {
    const kdd = { __kdd_requester_key: 'k' };
    const rows: WebhookRow[] = [
      {
        ...kdd,
        __kdd_request_id: 'a'.repeat(20),
        __kdd_request_unix_timestamp: 1.5,
        __kdd_request_body: '{"x":"é"}',
        __hl_request_method: 'POST',
        __hl_request_headers: '{"x-github-event":"push"}',
        __hl_request_query: '{}',
        __hl_provider_delivery_id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      },
      {
        ...kdd,
        __kdd_request_id: 'b'.repeat(20),
        __kdd_request_unix_timestamp: 2.25,
        __kdd_request_body: '[]',
        __hl_request_method: null,
        __hl_request_headers: null,
        __hl_request_query: null,
        __hl_provider_delivery_id: null,
      },
    ];
    const bytes = encodeWebhookRows(rows);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    expect(await parquetReadObjects({ file })).toEqual(rows);
    const metadata = parquetMetadata(file);
    expect(metadata.schema.slice(1).map((element) => element.name)).toEqual([
      '__kdd_request_id',
      '__kdd_request_unix_timestamp',
      '__kdd_requester_key',
      '__kdd_request_body',
      '__hl_request_method',
      '__hl_request_headers',
      '__hl_request_query',
      '__hl_provider_delivery_id',
    ]);
  });

  it('a row of a message queued before method, headers and query existed has nulls there', () => {
    const old = parseIngestMessage(
      `{"v":1,"id":"${'c'.repeat(20)}","ts":1.5,"pipelineId":1,"key":"${'0'.repeat(36)}","tokenSha256":"${'f'.repeat(64)}","format":"json","body":"{}"}`,
    );
    expect(webhookRowOf(old, '{}')).toMatchObject({ __hl_request_method: null, __hl_request_headers: null, __hl_request_query: null, __hl_provider_delivery_id: null });
    const current = { ...old, method: 'POST', headers: { 'x-a': '1' }, query: { q: ['1', '2'] } };
    expect(webhookRowOf(current, '{}')).toMatchObject({
      __hl_request_method: 'POST',
      __hl_request_headers: '{"x-a":"1"}',
      __hl_request_query: '{"q":["1","2"]}',
    });
  });
});

describe('authorizeIngest', () => {
  const token: TokenRecord = { key: 'k', name: 'n', tokenSha256: sha256Hex('secret'), createdAt: '' };
  const pipeline: PipelineRecord = { id: 5, name: 'p', createdAt: '' };
  const request = { pipelineId: 5, tokenSha256: sha256Hex('secret') };

  it.each([
    ['valid', request, token, pipeline, { ok: true }],
    ['unknown key', request, undefined, pipeline, { ok: false, reason: 'unknown_key' }],
    ['wrong token', { ...request, tokenSha256: sha256Hex('other') }, token, pipeline, { ok: false, reason: 'wrong_token' }],
    ['revoked', request, { ...token, revokedAt: '2026-01-01' }, pipeline, { ok: false, reason: 'revoked_token' }],
    ['wrong token on a revoked key', { ...request, tokenSha256: sha256Hex('x') }, { ...token, revokedAt: 'x' }, pipeline, { ok: false, reason: 'wrong_token' }],
    ['unknown pipeline', request, token, undefined, { ok: false, reason: 'unknown_pipeline' }],
    ['scoped elsewhere', request, { ...token, pipelines: [6] }, pipeline, { ok: false, reason: 'pipeline_not_allowed' }],
    ['scoped here', request, { ...token, pipelines: [6, 5] }, pipeline, { ok: true }],
  ] as [string, typeof request, TokenRecord | undefined, PipelineRecord | undefined, object][])('%s', (_name, req, tok, pipe, expected) => {
    expect(authorizeIngest(req, tok, pipe)).toEqual(expected);
  });
});
