// Queue-safe message text: what every serializer puts on a queue is accepted by SQS and by fauxqs
// and parses back to exactly what was serialized.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedByBoth } from '../../../support/queue-text.ts';
import { isQueueSafe, queueSafeJson } from '../../../../shared/domain/queue-safe-json.ts';

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

