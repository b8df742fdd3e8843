import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BracketDecodeError,
  DEFAULT_BRACKET_LIMITS,
  decodeBracketParams,
  decodeBracketParamsJson,
  decodeFormJson,
  rememberedBracketNames,
  SPLIT_CACHE_LIMIT,
  formPairList,
  formPairs,
  splitBracketName,
} from '../../../../../shared/domain/ingest/bracket-params.ts';
import { decodeBracketParams as referenceDecode, formPairs as referencePairs, splitBracketName as referenceSplit } from '../../../../support/bracket-params-reference.ts';

describe('splitBracketName', () => {
  it.each([
    ['a', ['a']],
    ['a[b][0]', ['a', 'b', '0']],
    ['a[]', ['a', '']],
    ['a[b', ['a[b']],
    ['[a]', ['[a]']],
    ['a[b]c', ['a[b]c']],
  ])('%s', (name, segments) => {
    expect(splitBracketName(name)).toEqual(segments);
  });
});

describe('decodeBracketParams', () => {
  it('nests objects and turns index keys into arrays', () => {
    expect(
      decodeBracketParams([
        ['leads[status][0][id]', '1'],
        ['leads[status][1][id]', '2'],
        ['leads[status][0][old_status_id]', '3'],
        ['account[id]', '9'],
      ]),
    ).toEqual({ leads: { status: [{ id: '1', old_status_id: '3' }, { id: '2' }] }, account: { id: '9' } });
  });

  it('[] appends and repeated names collect', () => {
    expect(decodeBracketParams([['tags[]', 'a'], ['tags[]', 'b'], ['x', '1'], ['x', '2']])).toEqual({
      tags: ['a', 'b'],
      x: ['1', '2'],
    });
  });

  it('sparse indices close up, as qs does', () => {
    expect(decodeBracketParams([['a[5]', 'x'], ['a[2]', 'y']])).toEqual({ a: ['y', 'x'] });
  });

  it('keeps unicode and empty values', () => {
    expect(decodeBracketParams([['名前', 'ブラッド'], ['empty', '']])).toEqual({ 名前: 'ブラッド', empty: '' });
  });

  it('__proto__ is plain data, never a prototype', () => {
    const decoded = decodeBracketParams([['__proto__[polluted]', 'yes']]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(decoded)).toBe('{"__proto__":{"polluted":"yes"}}');
  });

  it('refuses conflicts, too many parameters and too deep nesting', () => {
    expect(() => decodeBracketParams([['a', '1'], ['a[b]', '2']])).toThrow(BracketDecodeError);
    expect(() => decodeBracketParams([['a[b]', '2'], ['a', '1']])).toThrow(BracketDecodeError);
    expect(() =>
      decodeBracketParams(Array.from({ length: 11 }, (_, i): [string, string] => [`p${i}`, 'v']), {
        maxParameters: 10,
        maxDepth: 5,
        maxArrayIndex: 10,
      }),
    ).toThrow(/more than 10/);
    expect(() => decodeBracketParams([['a' + '[x]'.repeat(25), 'v']])).toThrow(/deeper/);
  });

  it('property: any flat list of simple names decodes to those values', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), { minLength: 1, maxLength: 20 }), fc.string(), (names, value) => {
        const decoded = decodeBracketParams(names.map((name): [string, string] => [name, value]));
        expect(Object.keys(decoded).sort()).toEqual([...names].sort());
        for (const name of names) expect(decoded[name]).toBe(value);
      }),
    );
  });
});

describe('formPairs', () => {
  it.each([
    'a=1&b=2',
    'a&a&&a=',
    '?a=1&?b=2',
    '&&',
    'x=%zz&y=%E2%9C%93&z=%FF+%20+',
    'a+b=c+d&%3D=%26',
    '=v&k==v=',
  ])('parses %j exactly as URLSearchParams does', (text) => {
    expect([...formPairs(text)]).toEqual([...new URLSearchParams(text)]);
  });

  it('property: the same pairs as URLSearchParams for any text', () => {
    const piece = fc.constantFrom('a', '=', '&', '+', '%', '%2', '%41', '%E2%9C%93', '%FF', '?', ' ', 'é', '😀', '\uFFFD');
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.array(piece).map((parts) => parts.join(''))), (text) => {
        expect([...formPairs(text)]).toEqual([...new URLSearchParams(text)]);
      }),
      { numRuns: 500 },
    );
  });

  it('a 6 MB flood of a&a&a… is refused after the limit + 1 pairs, in well under 100 ms', () => {
    const flood = 'a&'.repeat(3_000_000);
    let touched = 0;
    function* counted(pairs: Iterable<[string, string]>) {
      for (const pair of pairs) {
        touched++;
        yield pair;
      }
    }
    const started = performance.now();
    expect(() => decodeBracketParams(counted(formPairs(flood)))).toThrow(BracketDecodeError);
    const elapsedMs = performance.now() - started;
    expect(touched).toBe(DEFAULT_BRACKET_LIMITS.maxParameters + 1);
    expect(elapsedMs).toBeLessThan(100);
  });
});

describe('the faster decoder against the former one (test/support/bracket-params-reference.ts)', () => {
  const outcome = (decode: typeof decodeBracketParams, pairs: [string, string][]) => {
    try {
      return { json: JSON.stringify(decode(pairs)) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  // Names built from the pieces that matter: bracket segments, index-like and not, empty, stray brackets.
  const segment = fc.oneof(
    fc.constantFrom('', '0', '1', '2', '10', '01', '-1', '999999999', '1000000000', '4294967294', '4294967295', '12345678901', 'a', 'b', '__proto__', 'constructor', ' ', '名'),
    fc.nat({ max: 1200 }).map(String),
    fc.string({ maxLength: 4 }),
  );
  const name = fc.oneof(
    fc.tuple(segment, fc.array(segment, { maxLength: 4 })).map(([head, rest]) => head + rest.map((part) => `[${part}]`).join('')),
    fc.tuple(segment, fc.constantFrom('[', ']', '[]]', '[a', 'a]', '][', '[[a]]')).map(([head, tail]) => head + tail),
    fc.string({ maxLength: 12 }),
  );
  const pairs = fc.array(fc.tuple(name, fc.oneof(fc.constant(''), fc.string({ maxLength: 6 }))), { maxLength: 25 });

  it('gives the same JSON text, key order included, and the same refusals', () => {
    fc.assert(
      fc.property(pairs, (list) => {
        const expected = outcome(referenceDecode, list);
        expect(outcome(decodeBracketParams, list)).toEqual(expected);
        // The text written straight from the tree is the one JSON.stringify gave.
        if ('json' in expected) expect(decodeBracketParamsJson(list)).toBe(expected.json);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads form text into the same pairs: percent escapes valid, stray or not UTF-8, plus signs, = and &', () => {
    const piece = fc.oneof(
      fc.constantFrom('%', '%2', '%20', '%3D', '%26', '%2B', '+', '=', '&', '?', '%E2%9C%93', '%E2%9C', '%FF', '%C3%A9', '%ED%A0%80', '%F0%9F%98%80', '%5B', '%5D', 'a', 'é', '😀'),
      fc.string({ maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }).map((parts) => parts.join('')), (text) => {
        expect([...formPairs(text)]).toEqual([...referencePairs(text)]);
        expect(formPairList(text)).toEqual([...referencePairs(text)]);
        // The form decoder reads the same pairs straight from the text.
        const fromText = (() => { try { return decodeFormJson(text); } catch (error) { return (error as Error).message; } })();
        const fromPairsOfText = (() => { try { return JSON.stringify(referenceDecode([...referencePairs(text)])); } catch (error) { return (error as Error).message; } })();
        expect(fromText).toBe(fromPairsOfText);
      }),
      { numRuns: 5000 },
    );
  });

  it('remembers at most SPLIT_CACHE_LIMIT names, however many a sender invents', () => {
    for (let i = 0; i < SPLIT_CACHE_LIMIT + 50; i++) decodeBracketParamsJson([[`invented${i}[a][b]`, 'v']]);
    expect(rememberedBracketNames()).toBe(SPLIT_CACHE_LIMIT);
    // Keys are written as JSON.stringify writes them.
    expect(decodeBracketParamsJson([['k[invented3"\u2028]', 'x']])).toBe(`{"k":{${JSON.stringify('invented3"\u2028')}:"x"}}`);
    expect(decodeBracketParamsJson([[`k[invented${SPLIT_CACHE_LIMIT + 10}"]`, 'x']])).toBe(`{"k":{${JSON.stringify(`invented${SPLIT_CACHE_LIMIT + 10}"`)}:"x"}}`);
    // A remembered name still decodes afresh each time.
    expect(decodeBracketParamsJson([['invented1[a][b]', 'x']])).toBe('{"invented1":{"a":{"b":"x"}}}');
  });

  it('splits names the same way', () => {
    fc.assert(
      fc.property(name, (text) => {
        expect(splitBracketName(text)).toEqual(referenceSplit(text));
      }),
      { numRuns: 5000 },
    );
  });
});
