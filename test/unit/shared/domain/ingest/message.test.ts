// The ingest queue's message (receiver → processor): its shape, the claim check of large bodies,
// the body as received, and its final text: queue-safe for SQS and fauxqs, parsed back to exactly
// what was serialized, the claim check decided on that text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedByBoth, CORPUS } from '../../../../support/queue-text.ts';
import { sha256Hex } from '../../../../../shared/domain/credentials.ts';
import {
  claimKey,
  framedHeaderSchemaAccepts,
  ingestMessageSchemaAccepts,
  isFramedHeader,
  isIngestMessage,
  MalformedMessageError,
  parseIngestMessage,   rawClaimKey,
  receivedBodyText,
  serializeIngestMessage,
  type IngestMessage,
  type BodyRef,
} from '../../../../../shared/domain/ingest/message.ts';
import { formatUnixTimestamp } from '../../../../../shared/domain/ingest/kondado.ts';
import { receiveWebhook, type ReceiveDeps } from '../../../../../shared/services/ingest/receive.ts';

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

  it('round-trips, keeping the float timestamp; the body follows a JSON header line as it was sent (version 2)', () => {
    const text = serializeIngestMessage(message);
    const header = `{"v":2,"ts":1577015690.3118637,"id":"rydjemeilmsqkqvjtfkc","pipelineId":835212,"key":"${message.key}","tokenSha256":"${message.tokenSha256}","format":"json","bodyLength":${message.body!.length}}`;
    expect(text).toBe(`${header}\n${message.body}`);
    expect(parseIngestMessage(text)).toEqual({ ...message, v: 2 });
  });

  it("ts is the reply's text (a whole second still has its .0); a number Kondado's text cannot hold plainly is JSON's", () => {
    expect(serializeIngestMessage({ ...message, ts: 1764000000 })).toContain(`"ts":${formatUnixTimestamp(1764000000)},`);
    expect(formatUnixTimestamp(1764000000)).toBe('1764000000.0');
    for (const ts of [0, 1e-7, 5e-7, 0.000001, 1e21, 2.5e21, 1577015690.3118637]) {
      const text = serializeIngestMessage({ ...message, ts });
      expect(text.startsWith('{"v":2,')).toBe(true);
      expect(parseIngestMessage(text).ts).toBe(ts);
    }
  });

  it('a body with newlines, returns and lines that look like headers stays as it was sent', () => {
    const body = '{\r\n  "a": 1\n}\n{"v":2,"ts":1,"bodyLength":0}\n';
    const parsed = parseIngestMessage(serializeIngestMessage({ ...captured, body, raw: 'x=1\n&y=2' }));
    expect(parsed.body).toBe(body);
    expect(parsed.raw).toBe('x=1\n&y=2');
  });

  it('a newline in a captured value stays escaped in the header line: the first newline ends it', () => {
    const text = serializeIngestMessage({ ...captured, query: { note: 'a\nb' }, headers: { 'x-note': 'c\rd' } });
    expect(text.indexOf('\n')).toBe(text.length - captured.body!.length - 1);
    expect(parseIngestMessage(text)).toMatchObject({ query: { note: 'a\nb' }, headers: { 'x-note': 'c\rd' }, body: captured.body, raw: captured.raw });
  });

  it('a body a queue would refuse as it is travels as one escaped JSON text (version 1)', () => {
    for (const body of ['{"e":"😀"}', '{"e":"\uFFFE"}', '"\uFFFF"']) {
      const text = serializeIngestMessage({ ...captured, body });
      expect(text.startsWith('{"v":1,')).toBe(true);
      expect(acceptedByBoth(text)).toBe(true);
      expect(parseIngestMessage(text)).toMatchObject({ v: 1, body, raw: captured.raw });
    }
  });

  it("a form's raw text travels in the header line, escaped as any captured value (any characters)", () => {
    for (const raw of ['e=😀', 'e=\u0001', 'e=\uFFFE&f=\n']) {
      const text = serializeIngestMessage({ ...captured, raw });
      expect(text.startsWith('{"v":2,')).toBe(true);
      expect(acceptedByBoth(text)).toBe(true);
      expect(parseIngestMessage(text)).toMatchObject({ v: 2, body: captured.body, raw });
    }
  });

  it('refuses malformed messages as poison', () => {
    const framed = serializeIngestMessage(message);
    for (const text of [
      'nope',
      '{}',
      serializeIngestMessage({ ...message, id: 'SHOUT' }),
      JSON.stringify({ ...message, body: undefined }),
      framed.replace('\n', ' '),
      framed.slice(0, -1),
      `${framed}x`,
      framed.replace(/"bodyLength":\d+/, '"bodyLength":-1'),
      framed.replace(/"bodyLength":\d+/, '"bodyLength":1.5'),
      framed.replace(/"bodyLength":\d+/, '"bodyLength":"20"'),
      framed.replace('{"v":2,', '{"v":2,"x":'),
    ]) {
      expect(() => parseIngestMessage(text), text).toThrow(MalformedMessageError);
    }
    // What the dead-letter queue's reader is told.
    expect(() => parseIngestMessage(framed.slice(0, -1))).toThrow(`bodyLength is ${message.body!.length}, but ${message.body!.length - 1} characters follow the header`);
    expect(() => parseIngestMessage(framed.replace('\n', ' '))).toThrow('version 2 message without the newline that ends its header');
  });

  it("a version 2 header's other keys are not the message's", () => {
    const text = serializeIngestMessage(message).replace('{"v":2,', '{"v":2,"bodyRef":{"bucket":"b","key":"claims/x"},"rawRef":{"bucket":"b","key":"claims/y"},"body":"b",');
    const parsed = parseIngestMessage(text);
    expect(parsed).toEqual({ ...message, v: 2 });
    expect(Object.keys(parsed)).not.toContain('bodyRef');
    expect(Object.keys(parsed)).not.toContain('rawRef');
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
    const framed = serializeIngestMessage(captured);
    const newline = framed.indexOf('\n');
    expect(Object.keys(JSON.parse(framed.slice(0, newline)))).toEqual(['v', 'ts', 'id', 'pipelineId', 'key', 'tokenSha256', 'format', 'method', 'headers', 'query', 'raw', 'bodyLength']);
    expect(framed.slice(newline + 1)).toBe('{"a":"1 2"}');
    // The same request with a body that cannot travel verbatim: all JSON.
    const json = serializeIngestMessage({ ...captured, body: '{"a":"1 2","e":"😀"}' });
    expect(Object.keys(JSON.parse(json))).toEqual(['v', 'id', 'ts', 'pipelineId', 'key', 'tokenSha256', 'format', 'method', 'headers', 'query', 'body', 'raw']);
    for (const text of [framed, json]) {
      const parsed = parseIngestMessage(text);
      expect(JSON.stringify(parsed.headers)).toBe('{"x-github-event":"push","authorization":"[redacted]","__proto__":"p"}');
      expect(parsed.query).toEqual({ source: 'shop', tag: ['a', 'b'] });
      expect(receivedBodyText(parsed.format, { body: parsed.body!, raw: parsed.raw })).toMatch(/^a=1\+2/);
    }
  });

  it('a claim-checked message carries bodyRef and rawRef instead of body and raw, as all JSON', () => {
    const bodyRef = { bucket: 'b', key: claimKey(message.id, message.ts) };
    const rawRef = { bucket: 'b', key: rawClaimKey(message.id, message.ts) };
    expect(rawRef.key).toBe('claims/2019-12-22/rydjemeilmsqkqvjtfkc.raw');
    const text = serializeIngestMessage({ ...captured, body: undefined, raw: undefined, bodyRef, rawRef });
    expect(text.startsWith('{"v":1,')).toBe(true);
    const parsed = parseIngestMessage(text);
    expect(parsed).toMatchObject({ bodyRef, rawRef });
    expect(parsed.body).toBeUndefined();
    expect(parsed.raw).toBeUndefined();
  });

  it('refuses headers or query that are not objects of strings, and raw together with rawRef', () => {
    const base = { ...captured } as Record<string, unknown>;
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

describe('ingest messages on the queue', () => {
  const base: IngestMessage = {
    v: 1,
    id: 'rydjemeilmsqkqvjtfkc',
    ts: 1577015690.3118637,
    pipelineId: 835212,
    key: 'd538b946-9d55-405a-9bd2-72d74b1cb8f5',
    tokenSha256: sha256Hex('t'),
    format: 'json',
  };

  it.each(Object.entries(CORPUS))('%s: serialized text is accepted by SQS and fauxqs and parses back to the same body', (_name, body) => {
    const text = serializeIngestMessage({ ...base, body });
    expect(acceptedByBoth(text)).toBe(true);
    expect(parseIngestMessage(text).body).toBe(body);
  });
});

describe('claim check on the final text', () => {
  const KEY = 'd538b946-9d55-405a-9bd2-72d74b1cb8f5';
  const TOKEN = 'Abc123def456GHI789jkl012';
  const MAX = 4096;

  function deps() {
    const sent: string[] = [];
    const claims = new Map<string, string>();
    const value: ReceiveDeps = {
      queue: { send: async (text) => void sent.push(text) },
      claims: async () => ({ put: async (ref: BodyRef, body: string) => void claims.set(ref.key, body), get: async () => '' }),
      clock: { nowMs: () => 1_577_015_690_311.8637 },
      lakeBucket: 'lake',
      maxBodyBytes: 6_000_000,
      maxMessageBytes: MAX,
    };
    return { deps: value, sent, claims };
  }

  /** A JSON-string body `"aaa…😀"` with `padding` a's: the emoji's 12-byte escape ends 4 bytes before the message does. */
  const body = (padding: number) => `"${'a'.repeat(padding)}😀"`;
  const post = (d: ReceiveDeps, text: string) =>
    receiveWebhook({ method: 'POST', rawQueryString: `pipeline_id=42&key=${KEY}&token=${TOKEN}`, contentType: 'application/json', body: Buffer.from(text) }, d);
  /** Bytes of the final message for a body, measured once with no padding (ids are always 20 letters). */
  const finalBytes = (padding: number) =>
    Buffer.byteLength(
      serializeIngestMessage({
        v: 1,
        id: 'a'.repeat(20),
        ts: 1577015690.3118637,
        pipelineId: 42,
        key: KEY,
        tokenSha256: sha256Hex(TOKEN),
        format: 'json',
        // What the receiver captures of a request with no headers and no data parameters.
        method: 'POST',
        headers: {},
        query: {},
        body: body(0),
      }),
    ) + padding;

  it('claims a message whose 4-byte character straddles the limit once escaped, though its raw UTF-8 would fit', async () => {
    const padding = MAX - finalBytes(0) + 8; // escape at [MAX-8, MAX+4): final text MAX+8 bytes, raw UTF-8 exactly MAX
    expect(finalBytes(padding)).toBe(MAX + 8);
    const { deps: d, sent, claims } = deps();
    expect((await post(d, body(padding))).statusCode).toBe(200);
    const message = parseIngestMessage(sent[0]!);
    expect(message.body).toBeUndefined();
    expect(claims.get(message.bodyRef!.key)).toBe(body(padding));
  });

  it('sends a message of exactly the limit inline, escaped', async () => {
    const padding = MAX - finalBytes(0);
    const { deps: d, sent, claims } = deps();
    expect((await post(d, body(padding))).statusCode).toBe(200);
    expect(claims.size).toBe(0);
    expect(Buffer.byteLength(sent[0]!)).toBe(MAX);
    expect(sent[0]).toContain('\\ud83d\\ude00');
    expect(parseIngestMessage(sent[0]!).body).toBe(body(padding));
  });
});

describe('the in-place check agrees with the schema', () => {
  const ref = fc.record({ bucket: fc.string(), key: fc.oneof(fc.constant('claims/2026-12-07/a.json'), fc.string()) });
  const valid = fc.record(
    {
      v: fc.constant(1),
      id: fc.stringMatching(/^[a-z]{20}$/),
      ts: fc.double({ min: 0, max: 4e9, noNaN: true }),
      pipelineId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      key: fc.uuid(),
      tokenSha256: fc.stringMatching(/^[0-9a-f]{64}$/),
      format: fc.constantFrom('json', 'form', 'query'),
      method: fc.stringMatching(/^[A-Z]{1,16}$/),
      headers: fc.dictionary(fc.string(), fc.string()),
      query: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string()))),
      body: fc.string(),
      raw: fc.string(),
    },
    { requiredKeys: ['v', 'id', 'ts', 'pipelineId', 'key', 'tokenSha256', 'format', 'body'] },
  );
  // Any field replaced by a value of another kind, or removed; refs added; both halves of a pair.
  const strange = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -2, max: 2 }),
    fc.double(),
    fc.string(),
    fc.constant('claims/x'),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.array(fc.oneof(fc.string(), fc.integer()))), { maxKeys: 2 }),
    ref,
  );
  const FIELDS = ['v', 'id', 'ts', 'pipelineId', 'key', 'tokenSha256', 'format', 'method', 'headers', 'query', 'body', 'bodyRef', 'raw', 'rawRef', 'extra'];
  const mutated = fc
    .tuple(valid, fc.array(fc.tuple(fc.constantFrom(...FIELDS), strange), { maxLength: 3 }))
    .map(([message, changes]) => {
      const copy: Record<string, unknown> = { ...message };
      for (const [field, value] of changes) {
        if (value === undefined) delete copy[field];
        else copy[field] = value;
      }
      // As the queue carries it: JSON text parsed back.
      return JSON.parse(JSON.stringify(copy)) as unknown;
    });

  it('accepts and refuses exactly what the schema does', () => {
    fc.assert(
      fc.property(fc.oneof(valid, mutated, strange), (value) => {
        expect(isIngestMessage(value)).toBe(ingestMessageSchemaAccepts(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('both refuse each near miss of a valid message, field by field, and accept the message itself', () => {
    const base = {
      v: 1,
      id: 'rydjemeilmsqkqvjtfkc',
      ts: 1577015690.5,
      pipelineId: 7,
      key: 'd538b946-9d55-405a-9bd2-72d74b1cb8f5',
      tokenSha256: 'a'.repeat(64),
      format: 'form',
      method: 'POST',
      body: '{}',
    };
    const claimed = { ...base, body: undefined, bodyRef: { bucket: 'b', key: 'claims/2026-12-07/x.json' } };
    for (const valid of [base, claimed, { ...base, rawRef: claimed.bodyRef }, { ...base, method: 'A'.repeat(16) }]) {
      expect([isIngestMessage(valid), ingestMessageSchemaAccepts(valid)]).toEqual([true, true]);
    }
    const nearMisses: Record<string, unknown>[] = [
      { ...base, v: 2 },
      { ...base, id: `${base.id}x` },
      { ...base, id: `x${base.id}` },
      { ...base, id: base.id.slice(1) },
      { ...base, id: 12345 },
      // A one-element list reads as its element's text to a regular expression: not a string all the same.
      { ...base, id: [base.id] },
      { ...base, key: [base.key] },
      { ...base, tokenSha256: ['a'.repeat(64)] },
      { ...base, method: ['POST'] },
      { ...base, ts: -0.5 },
      { ...base, ts: Number.POSITIVE_INFINITY },
      { ...base, ts: '1577015690' },
      { ...base, pipelineId: 0 },
      { ...base, pipelineId: 1.5 },
      { ...base, pipelineId: 2 ** 53 },
      { ...base, key: `${base.key}0` },
      { ...base, key: `0${base.key}` },
      { ...base, key: base.key.toUpperCase() },
      { ...base, tokenSha256: 'a'.repeat(65) },
      { ...base, tokenSha256: `x${'a'.repeat(64)}` },
      { ...base, tokenSha256: 'A'.repeat(64) },
      { ...base, format: 'xml' },
      { ...base, method: 'post' },
      { ...base, method: 'A'.repeat(17) },
      { ...base, method: '' },
      { ...base, method: 'POST ' },
      { ...base, headers: { a: 1 } },
      { ...base, query: { a: [1] } },
      { ...base, body: 1 },
      { ...base, raw: 1 },
      { ...base, body: undefined },
      { ...claimed, body: '{}' },
      { ...claimed, bodyRef: { bucket: 'b', key: 'x/claims/y.json' } },
      { ...claimed, bodyRef: { bucket: 1, key: 'claims/y.json' } },
      { ...claimed, bodyRef: { bucket: 'b' } },
      { ...claimed, bodyRef: 'claims/y.json' },
      { ...base, rawRef: { bucket: 'b', key: 'elsewhere/y.raw' } },
      { ...base, raw: 'a=1', rawRef: claimed.bodyRef },
    ];
    for (const miss of nearMisses) {
      expect([isIngestMessage(miss), ingestMessageSchemaAccepts(miss)], JSON.stringify(miss)).toEqual([false, false]);
    }
    // What a refusal says, for whoever reads the dead-letter queue.
    for (const [miss, says] of [
      [{ ...base, headers: { a: 1 } }, 'headers must be an object of strings'],
      [{ ...base, query: { a: [1] } }, 'query must be an object of strings or lists of strings'],
      [{ ...base, body: undefined }, 'needs body or bodyRef'],
      [{ ...base, raw: 'a=1', rawRef: claimed.bodyRef }, 'raw and rawRef exclude each other'],
    ] as const) {
      expect(() => parseIngestMessage(JSON.stringify(miss))).toThrow(expect.objectContaining({ name: 'MalformedMessageError', message: expect.stringContaining(says) }));
    }
    // A message with no body at all is written with an empty one.
    expect(serializeIngestMessage({ ...(base as IngestMessage), body: undefined })).toMatch(/"bodyLength":0\}\n$/);
    expect(parseIngestMessage(serializeIngestMessage({ ...(base as IngestMessage), body: undefined })).body).toBe('');
    // The serializer writes raw only where no rawRef stands for it (and then as JSON: a header line has no rawRef).
    const written = JSON.parse(serializeIngestMessage({ ...(base as IngestMessage), raw: 'a=1', rawRef: claimed.bodyRef })) as Record<string, unknown>;
    expect(written.raw).toBeUndefined();
    expect(written.rawRef).toEqual(claimed.bodyRef);
    expect(parseIngestMessage(JSON.stringify(written))).toMatchObject({ body: '{}', rawRef: claimed.bodyRef });
    // With a rawRef the body travels in version 1 too, empty when there is none.
    expect(parseIngestMessage(serializeIngestMessage({ ...(base as IngestMessage), body: undefined, rawRef: claimed.bodyRef }))).toMatchObject({ v: 1, body: '' });
  });

  it('both accept the valid messages the generator makes (the property is not all refusals)', () => {
    fc.assert(fc.property(valid, (value) => isIngestMessage(JSON.parse(JSON.stringify(value)))));
  });
});

describe("the in-place check of a version 2 header agrees with the schema", () => {
  const valid = fc.record(
    {
      v: fc.constant(2),
      id: fc.stringMatching(/^[a-z]{20}$/),
      ts: fc.double({ min: 0, max: 4e9, noNaN: true }),
      pipelineId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      key: fc.uuid(),
      tokenSha256: fc.stringMatching(/^[0-9a-f]{64}$/),
      format: fc.constantFrom('json', 'form', 'query'),
      method: fc.stringMatching(/^[A-Z]{1,16}$/),
      headers: fc.dictionary(fc.string(), fc.string()),
      query: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string()))),
      raw: fc.string(),
      bodyLength: fc.nat(),
    },
    { requiredKeys: ['v', 'id', 'ts', 'pipelineId', 'key', 'tokenSha256', 'format', 'bodyLength'] },
  );
  const strange = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), fc.integer({ min: -2, max: 2 }), fc.double(), fc.string(), fc.array(fc.string(), { maxLength: 2 }));
  const FIELDS = ['v', 'id', 'ts', 'pipelineId', 'key', 'tokenSha256', 'format', 'method', 'headers', 'query', 'raw', 'bodyLength', 'extra'];
  const mutated = fc.tuple(valid, fc.array(fc.tuple(fc.constantFrom(...FIELDS), strange), { maxLength: 3 })).map(([header, changes]) => {
    const copy: Record<string, unknown> = { ...header };
    for (const [field, value] of changes) {
      if (value === undefined) delete copy[field];
      else copy[field] = value;
    }
    return JSON.parse(JSON.stringify(copy)) as unknown;
  });

  it('accepts and refuses exactly what the schema does', () => {
    fc.assert(
      fc.property(fc.oneof(valid, mutated, strange), (value) => {
        expect(isFramedHeader(value)).toBe(framedHeaderSchemaAccepts(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('both refuse each near miss of a valid header and accept the header itself', () => {
    const base = { v: 2, ts: 1577015690.5, id: 'rydjemeilmsqkqvjtfkc', pipelineId: 7, key: 'd538b946-9d55-405a-9bd2-72d74b1cb8f5', tokenSha256: 'a'.repeat(64), format: 'form', raw: 'a=1', bodyLength: 2 };
    expect([isFramedHeader(base), framedHeaderSchemaAccepts(base)]).toEqual([true, true]);
    for (const miss of [
      { ...base, v: 1 },
      { ...base, bodyLength: undefined },
      { ...base, bodyLength: -1 },
      { ...base, bodyLength: 0.5 },
      { ...base, bodyLength: 2 ** 53 },
      { ...base, raw: 1 },
      { ...base, raw: ['a=1'] },
      { ...base, id: 'SHOUT' },
      { ...base, format: 'xml' },
      { ...base, headers: { a: 1 } },
    ]) {
      expect([isFramedHeader(miss), framedHeaderSchemaAccepts(miss)], JSON.stringify(miss)).toEqual([false, false]);
    }
  });

  it('any message round-trips, through version 2 when its body can travel verbatim (bodies: JSON text of any characters)', () => {
    const message = fc.record({
      id: fc.stringMatching(/^[a-z]{20}$/),
      ts: fc.double({ min: 1e-6, max: 4e9, noNaN: true }),
      pipelineId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      key: fc.uuid(),
      tokenSha256: fc.stringMatching(/^[0-9a-f]{64}$/),
      format: fc.constantFrom('json' as const, 'form' as const, 'query' as const),
      headers: fc.dictionary(fc.string(), fc.string({ unit: 'binary' })),
      body: fc.jsonValue({ stringUnit: 'binary' }).map((value) => JSON.stringify(value)),
      raw: fc.option(fc.string({ unit: 'binary' }), { nil: undefined }),
    });
    fc.assert(
      fc.property(message, (fields) => {
        const sent: IngestMessage = { v: 1, ...fields };
        const text = serializeIngestMessage(sent);
        expect(acceptedByBoth(text)).toBe(true);
        const parsed = parseIngestMessage(text);
        expect(parsed).toEqual({ ...sent, v: parsed.v, raw: fields.raw });
        expect(parsed.v).toBe(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/.test(fields.body) ? 1 : 2);
      }),
      { numRuns: 1000 },
    );
  });
});
