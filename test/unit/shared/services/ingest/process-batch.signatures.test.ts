// Signature verification in the processor: the receiver's real message path (payload
// bytes → receiveWebhook → queue-safe message text, inline or claim-checked) into processIngestBatch
// with the real verifier cache over the local AES-GCM cipher. The bytes a provider signed must be
// the bytes verified, whatever the body holds.
import { createHmac } from 'node:crypto';
import { parquetReadObjects } from 'hyparquet';
import { PARQUET_DECOMPRESSORS } from '../../../../../shared/domain/lake/parquet-codecs.ts';
import { describe, expect, it } from 'vitest';
import { aesGcmSecretCipher } from '../../../../../shared/adapters/crypto/secret-cipher.ts';
import { sha256Hex } from '../../../../../shared/domain/credentials.ts';
import type { PipelineRecord, TokenRecord } from '../../../../../shared/domain/ingest/records.ts';
import { encodeSecrets, type VerificationSettings } from '../../../../../shared/domain/ingest/signatures/settings.ts';
import type { ClaimReader, CredentialDirectory, LakeObject } from '../../../../../shared/ports/ingest.ts';
import { processIngestBatch, type ProcessDeps } from '../../../../../shared/services/ingest/process-batch.ts';
import { receiveWebhook } from '../../../../../shared/services/ingest/receive.ts';
import { cachedVerifiers } from '../../../../../shared/services/ingest/verifier-cache.ts';
import { memoryRejections } from '../../../../../shared/adapters/memory/rejection-store.ts';
import { signedHeaders, STANDARD_WEBHOOKS_SECRET } from '../../../../support/provider-signers.ts';

const KEY = '11111111-2222-4333-8444-555555555555';
const TOKEN = 'good';
const NOW_MS = 1_764_000_000_500;
const localKey = Buffer.alloc(32, 9).toString('base64');
const cipher = aesGcmSecretCipher(localKey, 'pipeline');
const token: TokenRecord = { key: KEY, name: 't', tokenSha256: sha256Hex(TOKEN), createdAt: '' };

async function pipelineWith(id: number, settings: VerificationSettings | undefined, secrets: string[] = []): Promise<PipelineRecord> {
  if (settings === undefined) return { id, name: `p${id}`, createdAt: '' };
  const secretsCiphertext = await cipher.encrypt(encodeSecrets(secrets), String(id));
  return { id, name: `p${id}`, createdAt: '', verification: { ...settings, secretCount: secrets.length, secretsCiphertext } };
}

let counter = 0;
/** The queue message text the receiver produces for a payload-2.0-like request, and its claim-checked objects. */
async function receive(options: {
  body?: Buffer;
  headers: Record<string, string>;
  contentType?: string;
  pipelineId: number;
  maxMessageBytes?: number;
  method?: 'GET' | 'POST';
  /** Appended to the query string (`&name=value…`). */
  query?: string;
}) {
  const sent: string[] = [];
  const claimed: Record<string, string> = {};
  const reply = await receiveWebhook(
    {
      method: options.method ?? 'POST',
      rawQueryString: `pipeline_id=${options.pipelineId}&key=${KEY}&token=${TOKEN}${options.query ?? ''}`,
      contentType: options.contentType ?? 'application/json',
      headers: Object.fromEntries(Object.entries({ 'content-type': options.contentType ?? 'application/json', ...options.headers }).map(([n, v]) => [n.toLowerCase(), v])),
      body: options.body,
    },
    {
      queue: { send: async (text) => void sent.push(text) },
      claims: async () => ({ put: async (ref, body) => void (claimed[ref.key] = body), get: async () => '' }),
      clock: { nowMs: () => NOW_MS },
      lakeBucket: 'b',
      maxBodyBytes: 6_000_000,
      maxMessageBytes: options.maxMessageBytes ?? 1_000_000,
    },
  );
  expect(reply.statusCode).toBe(200);
  return { record: { messageId: `r${++counter}`, body: sent[0]! }, claimed, requestId: JSON.parse(reply.body).data.__kdd_request_id as string };
}

function deps(pipelines: PipelineRecord[], claimed: Record<string, string> = {}, verifiers = cachedVerifiers(cipher, 30, { nowMs: () => NOW_MS })) {
  const objects = new Map<string, LakeObject>();
  const rejections = memoryRejections();
  const byId = new Map(pipelines.map((p) => [p.id, p]));
  const directory: CredentialDirectory = {
    async lookup(keys, ids) {
      return { tokens: new Map(keys.filter((k) => k === KEY).map((k) => [k, token])), pipelines: new Map(ids.filter((id) => byId.has(id)).map((id) => [id, byId.get(id)!])) };
    },
  };
  const claims: ClaimReader = {
    get: async (ref) => claimed[ref.key]!,
    size: async (ref) => Buffer.byteLength(claimed[ref.key]!),
    head: async (ref, max) => {
      const bytes = Buffer.from(claimed[ref.key]!);
      return { prefix: new Uint8Array(bytes.subarray(0, max)), bytes: bytes.length };
    },
  };
  const processDeps: ProcessDeps = { directory, lake: { put: async (object) => void objects.set(object.key, object) }, claims, rejections, verifiers };
  return { processDeps, objects, rejections };
}

const rowsOf = async (objects: Map<string, LakeObject>) =>
  (
    await Promise.all(
      [...objects.entries()]
        .filter(([key]) => key.startsWith('webhooks/'))
        .map(async ([, object]) =>
          parquetReadObjects({ file: object.body.buffer.slice(object.body.byteOffset, object.body.byteOffset + object.body.byteLength) as ArrayBuffer, compressors: PARQUET_DECOMPRESSORS }),
        ),
    )
  ).flat() as Record<string, unknown>[];
const quarantined = (objects: Map<string, LakeObject>) =>
  [...objects.entries()]
    .filter(([key]) => key.startsWith('quarantine/'))
    .flatMap(([, object]) => Buffer.from(object.body).toString().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));

// JSON with odd whitespace, escapes the queue-safe encoding must undo exactly (U+2028, U+FFFE, a
// lone-surrogate escape as text, NUL as an escape), emoji, and a BOM-free CRLF.
const ODD_JSON = '{ "id" : "evt_odd",\r\n\t"s":"\\ud800 \u2028 \u2029 \uFFFE \uFFFF \u{1F600} \\u0000 caf\u00e9", "n": 1.0e2 ,"x":[ ] }  ';

describe('processor: signature verification over the bytes received', () => {
  it.each([
    ['inline', 1_000_000],
    ['claim-checked', 1024],
  ])('%s: GitHub over odd JSON lands with its delivery id; the same with one byte changed is quarantined bad_signature', async (_how, maxMessageBytes) => {
    const pipeline = await pipelineWith(5, { provider: 'github' }, ['gh-secret']);
    const bytes = Buffer.from(ODD_JSON, 'utf8');
    const headers = { ...(await signedHeaders('github', ODD_JSON, { secret: 'gh-secret' })), 'X-GitHub-Delivery': 'delivery-1' };
    const good = await receive({ body: bytes, headers, pipelineId: 5, maxMessageBytes });
    const tampered = await receive({ body: Buffer.from(ODD_JSON.replace('1.0e2', '1.0e3'), 'utf8'), headers, pipelineId: 5, maxMessageBytes });
    const { processDeps, objects, rejections } = deps([pipeline], { ...good.claimed, ...tampered.claimed });
    const outcome = await processIngestBatch([good.record, tampered.record], processDeps);
    expect(outcome).toMatchObject({ failedMessageIds: [], landed: 1, rejected: 1 });
    const rows = await rowsOf(objects);
    expect(rows.map((row) => [row.__kdd_request_id, row.__kdd_request_body, row.__hl_provider_delivery_id])).toEqual([[good.requestId, ODD_JSON, 'delivery-1']]);
    expect(quarantined(objects)).toMatchObject([{ id: tampered.requestId, reason: 'bad_signature', deliveryId: 'delivery-1' }]);
    expect([...rejections.daily.values()]).toEqual([{ bad_signature: 1 }]);
  });

  it('a Slack form post verifies over its raw text (inline and claim-checked), not over the decoded JSON that lands', async () => {
    const pipeline = await pipelineWith(6, { provider: 'slack' }, ['slack-secret']);
    const form = `token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&command=%2Fweather&text=94070+caf%C3%A9&response_url=${encodeURIComponent('https://hooks.slack.com/commands/1234/5678')}&payload=${'%7B%22a%22%3A1%7D'.repeat(100)}`;
    const headers = await signedHeaders('slack', form, { secret: 'slack-secret', timestampSeconds: Math.floor(NOW_MS / 1000) });
    const inline = await receive({ body: Buffer.from(form), headers, contentType: 'application/x-www-form-urlencoded', pipelineId: 6 });
    const claimed = await receive({ body: Buffer.from(form), headers, contentType: 'application/x-www-form-urlencoded', pipelineId: 6, maxMessageBytes: 1024 });
    expect(Object.keys(claimed.claimed)).toHaveLength(2);
    const { processDeps, objects } = deps([pipeline], claimed.claimed);
    expect(await processIngestBatch([inline.record, claimed.record], processDeps)).toMatchObject({ failedMessageIds: [], landed: 2, rejected: 0 });
    const rows = await rowsOf(objects);
    expect(rows.map((row) => JSON.parse(row.__kdd_request_body as string).text)).toEqual(['94070 café', '94070 café']);
  });

  it('the signed timestamp is judged against the moment the request arrived, not when a retry processes it', async () => {
    const pipeline = await pipelineWith(7, { provider: 'standard-webhooks' }, [STANDARD_WEBHOOKS_SECRET]);
    const body = '{"type":"user.created"}';
    const arrival = Math.floor(NOW_MS / 1000);
    const fresh = await receive({ body: Buffer.from(body), headers: await signedHeaders('standard-webhooks', body, { secret: STANDARD_WEBHOOKS_SECRET, timestampSeconds: arrival - 10 }), pipelineId: 7 });
    const stale = await receive({ body: Buffer.from(body), headers: await signedHeaders('standard-webhooks', body, { secret: STANDARD_WEBHOOKS_SECRET, timestampSeconds: arrival - 301 }), pipelineId: 7 });
    // The verifier cache's clock is an hour later: as a message retried long after it arrived.
    const { processDeps, objects } = deps([pipeline], {}, cachedVerifiers(cipher, 30, { nowMs: () => NOW_MS + 3_600_000 }));
    expect(await processIngestBatch([fresh.record, stale.record], processDeps)).toMatchObject({ landed: 1, rejected: 1 });
    expect(quarantined(objects)).toMatchObject([{ id: stale.requestId, reason: 'stale_timestamp', deliveryId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' }]);
  });

  it('a pipeline without verification lands unsigned requests; one with verification quarantines them as missing_signature', async () => {
    const open = await pipelineWith(8, undefined);
    const strict = await pipelineWith(9, { provider: 'shopify' }, ['shop']);
    const a = await receive({ body: Buffer.from('{"a":1}'), headers: {}, pipelineId: 8 });
    const b = await receive({ body: Buffer.from('{"a":1}'), headers: {}, pipelineId: 9 });
    const { processDeps, objects, rejections } = deps([open, strict]);
    expect(await processIngestBatch([a.record, b.record], processDeps)).toMatchObject({ landed: 1, rejected: 1 });
    expect(quarantined(objects)).toMatchObject([{ id: b.requestId, reason: 'missing_signature', pipelineId: 9 }]);
    expect(rejections.calls).toContain(`addDaily 9 2025-11-24`);
  });

  it("signature headers are stored (row and quarantine line) only where the pipeline's verifier reads them", async () => {
    const github = await pipelineWith(18, { provider: 'github' }, ['gh']);
    const open = await pipelineWith(19, undefined);
    const body = '{"a":1}';
    const headers = { ...(await signedHeaders('github', body, { secret: 'gh' })), 'X-Hub-Signature': 'sha1=0123', 'X-Other-Signature': 'abc' };
    const verified = await receive({ body: Buffer.from(body), headers, pipelineId: 18 });
    const tampered = await receive({ body: Buffer.from('{"a":2}'), headers, pipelineId: 18 });
    const unverified = await receive({ body: Buffer.from(body), headers, pipelineId: 19 });
    const { processDeps, objects } = deps([github, open]);
    expect(await processIngestBatch([verified.record, tampered.record, unverified.record], processDeps)).toMatchObject({ landed: 2, rejected: 1 });
    const signature = headers['X-Hub-Signature-256' as keyof typeof headers]!;
    const storedOf = (text: unknown) => JSON.parse(text as string) as Record<string, string>;
    const rows = new Map((await rowsOf(objects)).map((row) => [row.__kdd_request_id, storedOf(row.__hl_request_headers)]));
    expect(rows.get(verified.requestId)).toMatchObject({ 'x-hub-signature-256': signature, 'x-hub-signature': '[redacted]', 'x-other-signature': '[redacted]' });
    expect(rows.get(unverified.requestId)).toMatchObject({ 'x-hub-signature-256': '[redacted]', 'x-hub-signature': '[redacted]', 'x-other-signature': '[redacted]' });
    expect(quarantined(objects)).toMatchObject([
      { id: tampered.requestId, reason: 'bad_signature', headers: { 'x-hub-signature-256': signature, 'x-hub-signature': '[redacted]', 'x-other-signature': '[redacted]' } },
    ]);
  });

  it('a GET to a verifying pipeline is quarantined unsigned_request, whatever signature it carries; the same GET lands where nothing is verified', async () => {
    const github = await pipelineWith(15, { provider: 'github' }, ['gh']);
    const hmac = await pipelineWith(16, { provider: 'hmac', header: 'x-signature', algorithm: 'sha256', encoding: 'hex' }, ['generic']);
    const open = await pipelineWith(17, undefined);
    // The signature of the empty body: what a GET's missing body would have been checked against.
    const emptyBody = { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', 'gh').update('').digest('hex')}` };
    const query = '&order_id=999&status=refunded';
    const forged = await receive({ method: 'GET', headers: emptyBody, pipelineId: 15, query });
    const generic = await receive({ method: 'GET', headers: { 'X-Signature': createHmac('sha256', 'generic').update('').digest('hex') }, pipelineId: 16, query });
    const bare = await receive({ method: 'GET', headers: {}, pipelineId: 15, query });
    const landed = await receive({ method: 'GET', headers: {}, pipelineId: 17, query });
    const { processDeps, objects, rejections } = deps([github, hmac, open]);
    expect(await processIngestBatch([forged.record, generic.record, bare.record, landed.record], processDeps)).toMatchObject({ failedMessageIds: [], landed: 1, rejected: 3 });
    expect((await rowsOf(objects)).map((row) => [row.__kdd_request_id, row.__kdd_request_body])).toEqual([[landed.requestId, '{"order_id":"999","status":"refunded"}']]);
    expect(quarantined(objects).map((line) => [line.id, line.reason, line.method])).toEqual(
      expect.arrayContaining([
        [forged.requestId, 'unsigned_request', 'GET'],
        [generic.requestId, 'unsigned_request', 'GET'],
        [bare.requestId, 'unsigned_request', 'GET'],
      ]),
    );
    expect(Object.fromEntries(rejections.daily)).toEqual({ '15/2025-11-24': { unsigned_request: 2 }, '16/2025-11-24': { unsigned_request: 1 } });
  });

  it('when the secrets cannot be decrypted, the pipeline\'s requests are retried, never landed unverified; other pipelines land', async () => {
    const strict = await pipelineWith(10, { provider: 'github' }, ['x']);
    const open = await pipelineWith(11, undefined);
    const a = await receive({ body: Buffer.from('{"a":1}'), headers: await signedHeaders('github', '{"a":1}', { secret: 'x' }), pipelineId: 10 });
    const b = await receive({ body: Buffer.from('{"a":1}'), headers: {}, pipelineId: 11 });
    const wrongKey = cachedVerifiers(aesGcmSecretCipher(Buffer.alloc(32, 1).toString('base64'), 'pipeline'), 30, { nowMs: () => NOW_MS });
    const { processDeps, objects } = deps([strict, open], {}, wrongKey);
    expect(await processIngestBatch([a.record, b.record], processDeps)).toMatchObject({ failedMessageIds: [a.record.messageId], landed: 1, rejected: 0 });
    expect(quarantined(objects)).toEqual([]);
    // Without any verifier source, the same.
    const none = deps([strict, open]);
    none.processDeps.verifiers = undefined;
    expect(await processIngestBatch([a.record, b.record], none.processDeps)).toMatchObject({ failedMessageIds: [a.record.messageId], landed: 1 });
  });

  it('a ciphertext of another pipeline does not open: the context binds it to its pipeline', async () => {
    const other = await pipelineWith(12, { provider: 'github' }, ['x']);
    const moved: PipelineRecord = { ...other, id: 13 };
    const a = await receive({ body: Buffer.from('{"a":1}'), headers: await signedHeaders('github', '{"a":1}', { secret: 'x' }), pipelineId: 13 });
    const { processDeps } = deps([moved]);
    expect(await processIngestBatch([a.record], processDeps)).toMatchObject({ failedMessageIds: [a.record.messageId], landed: 0 });
  });

  it('the verifier cache decrypts once per pipeline and setting, and again when the setting changes', async () => {
    let decrypts = 0;
    const counting = { encrypt: cipher.encrypt, decrypt: async (text: string, id: string) => (decrypts++, cipher.decrypt(text, id)) };
    const source = cachedVerifiers(counting, 30, { nowMs: () => NOW_MS });
    const first = await pipelineWith(14, { provider: 'github' }, ['one']);
    await Promise.all([source.verifierOf(first), source.verifierOf(first), source.verifierOf(first)]);
    expect(decrypts).toBe(1);
    const rotated = await pipelineWith(14, { provider: 'github' }, ['one', 'two']);
    const verifier = await source.verifierOf(rotated);
    expect(decrypts).toBe(2);
    const headers = await signedHeaders('github', '{}', { secret: 'two' });
    expect(verifier!({ headers: { 'x-hub-signature-256': headers['X-Hub-Signature-256']! }, body: '{}', nowSeconds: 0 })).toEqual({ ok: true });
  });
});
