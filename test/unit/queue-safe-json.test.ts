// Queue-safe message text (shared/domain/queue-safe-json.ts): what every serializer puts on a
// queue is accepted by SQS and by fauxqs, parses back to exactly what was serialized, and the
// receiver's claim check is decided on that final text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/domain/credentials.ts';
import { parseIngestMessage, serializeIngestMessage, type IngestMessage } from '../../shared/domain/ingest/message.ts';
import {
  MalformedQueueMessageError,
  parseQueueMessage,
  serializeQueueMessage,
  deliveryJob,
  type EventMessage,
} from '../../shared/domain/delivery/queue-messages.ts';
import { isQueueSafe, queueSafeJson } from '../../shared/domain/queue-safe-json.ts';
import type { BodyRef } from '../../shared/domain/ingest/message.ts';
import { receiveWebhook, type ReceiveDeps } from '../../shared/services/ingest/receive.ts';

/** fauxqs's own check (no `u` flag: anything outside the BMP fails it). */
const FAUXQS_REFUSES = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/;
/** SQS's documented set, by code point. */
const SQS_REFUSES = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const acceptedByBoth = (text: string) => !FAUXQS_REFUSES.test(text) && !SQS_REFUSES.test(text);

describe('queueSafeJson', () => {
  it('escapes a non-BMP character as its surrogate pair escapes', () => {
    expect(queueSafeJson('{"a":"😀"}')).toBe('{"a":"\\ud83d\\ude00"}');
  });

  it('escapes U+FFFE, U+FFFF, a raw lone surrogate and C0 controls other than tab, LF and CR', () => {
    expect(queueSafeJson('["\uFFFE\uFFFF\uD800\u0001\u001F"]')).toBe('["\\ufffe\\uffff\\ud800\\u0001\\u001f"]');
  });

  it('leaves tab, LF, CR, ASCII and the rest of the BMP (U+2028, RTL, combining marks, U+FFFD) as they are', () => {
    const text = '{\t"a":\r\n"x \u2028\u2029 שלום مرحبا e\u0301 \uE000 \uFFFD"}';
    expect(queueSafeJson(text)).toBe(text);
  });

  it('gives text both SQS and fauxqs accept, that parses to the same value, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', maxDepth: 3 }), fc.string({ unit: 'binary' }), (value, text) => {
        for (const json of [JSON.stringify(value), JSON.stringify(text), `{"raw":"${text.replace(/["\\\u0000-\u001f]/g, '')}"}`]) {
          const safe = queueSafeJson(json);
          expect(acceptedByBoth(safe)).toBe(true);
          expect(isQueueSafe(safe)).toBe(true);
          expect(JSON.parse(safe)).toEqual(JSON.parse(json));
          expect(queueSafeJson(safe)).toBe(safe);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('isQueueSafe refuses exactly what fauxqs refuses', () => {
    for (const text of ['😀', '\uFFFE', '\uFFFF', '\u0000', '\uDC00']) expect(isQueueSafe(text)).toBe(false);
    for (const text of ['', 'plain', '\t\n\r', '\u2028', '\uFFFD', 'é']) expect(isQueueSafe(text)).toBe(true);
  });
});

const CORPUS: Record<string, string> = {
  emoji: '{"text":"ship it 🚀 👩‍👩‍👧 🇧🇷"}',
  noncharacters: '{"nc":"\uFFFE\uFFFF"}',
  separators: '{"ls":"a\u2028b\u2029c"}',
  loneSurrogateEscape: '{"lone":"\\ud800"}',
  nulEscape: '{"nul":"\\u0000"}',
  rightToLeft: '{"he":"שלום עולם","ar":"مرحبا بالعالم","rlo":"\u202Eabc"}',
  combining: '{"e":"e\u0301","zalgo":"Z\u0351\u0352\u0353a\u0300\u0301"}',
  astralScripts: '{"math":"𝔘𝔫𝔦𝔠𝔬𝔡𝔢","cjk":"𠀀𪜀"}',
  bareString: '"😀"',
};

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

describe('events-queue messages', () => {
  const event = (dataJson: string): EventMessage => ({
    v: 1,
    kind: 'event',
    event: { id: 'evt_1', type: 'order.paid', timestamp: 1577015690311, pipelineId: 7, dataJson },
  });

  it.each(Object.entries(CORPUS))('%s: an event is queue-safe and its data text comes back verbatim', (_name, body) => {
    const dataJson = `{"body":${body},"big":12345678901234567890123}`;
    const text = serializeQueueMessage(event(dataJson));
    expect(acceptedByBoth(text)).toBe(true);
    expect(parseQueueMessage(text)).toEqual(event(dataJson));
  });

  it('keeps delivery jobs queue-safe and intact', () => {
    const job = deliveryJob({ id: 'dlv_000000001' + 'a'.repeat(20), destinationId: 'sub_😀', eventId: 'evt_1', attemptCount: 2 }, 5);
    const text = serializeQueueMessage(job);
    expect(acceptedByBoth(text)).toBe(true);
    // On the wire the destination keeps the name messages in flight across a deploy carry.
    const { destinationId, ...rest } = job;
    expect(JSON.parse(text)).toEqual({ ...rest, subscriptionId: destinationId });
  });

  it('still reads the earlier shape, with data as a JSON value', () => {
    const legacy = '{"v":1,"kind":"event","event":{"id":"evt_1","type":"order.paid","timestamp":1,"data":{"a":[1,"😀"]}}}';
    expect(parseQueueMessage(legacy)).toEqual({ v: 1, kind: 'event', event: { id: 'evt_1', type: 'order.paid', timestamp: 1, dataJson: '{"a":[1,"😀"]}' } });
  });

  it.each([
    ['data text that is not JSON', '{"v":1,"kind":"event","event":{"id":"e","type":"t","timestamp":1,"dataJson":"{nope"}}'],
    ['no data', '{"v":1,"kind":"event","event":{"id":"e","type":"t","timestamp":1}}'],
    ['both shapes', '{"v":1,"kind":"event","event":{"id":"e","type":"t","timestamp":1,"dataJson":"1","data":1}}'],
    ['data text over the cap', `{"v":1,"kind":"event","event":{"id":"e","type":"t","timestamp":1,"dataJson":"\\"${'a'.repeat(256 * 1024)}\\""}}`],
  ])('refuses an event with %s as poison', (_name, text) => {
    expect(() => parseQueueMessage(text)).toThrow(MalformedQueueMessageError);
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
