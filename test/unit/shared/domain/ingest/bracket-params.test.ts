import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BracketDecodeError,
  DEFAULT_BRACKET_LIMITS,
  decodeBracketParams,
  formPairs,
  splitBracketName,
} from '../../../../../shared/domain/ingest/bracket-params.ts';

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
