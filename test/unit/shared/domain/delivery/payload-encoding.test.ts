// The GET and form encodings of a payload: flattening into query parameters, bracket-keyed forms,
// GET URLs within their bound, and JSON parsed keeping every number's source text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyCollisionError, MAX_NESTING_DEPTH, PayloadEncodingError, UrlTooLongError, buildGetUrl, encodeBracketForm, flattenForQuery, parseJsonKeepingNumberText } from '../../../../../shared/domain/delivery/payload-encoding.ts';

// valmi's documented POST payload and the GET request line it becomes.
const VALMI_PAYLOAD = {
  _valmi_meta: { _valmi_row_num: 347, _valmi_sync_op: 'upsert' },
  my_first_name: 'Ryan',
  my_last_name: 'Salisbury',
  email: 'ryan.salisbury@sakilacustomer.org',
  active: 1,
  _message_id: 346,
  _sync_mode: 'upsert',
};
const VALMI_REQUEST_LINE =
  'GET /?_valmi_meta__valmi_row_num=347&_valmi_meta__valmi_sync_op=upsert&my_first_name=Ryan&my_last_name=Salisbury&email=ryan.salisbury%40sakilacustomer.org&active=1&_message_id=346&_sync_mode=upsert HTTP/1.1';

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('flattenForQuery', () => {
  it('reproduces the valmi GET example exactly', () => {
    const url = new URL(buildGetUrl('http://localhost:8080/', flattenForQuery(VALMI_PAYLOAD)));
    expect(`GET ${url.pathname}${url.search} HTTP/1.1`).toBe(VALMI_REQUEST_LINE);
  });

  it('joins nested keys with _ in document order', () => {
    expect(flattenForQuery({ a: { b: { c: 'x' }, d: 2 }, e: 'y' })).toEqual([
      ['a_b_c', 'x'],
      ['a_d', '2'],
      ['e', 'y'],
    ]);
  });

  it('puts array indexes in the path', () => {
    expect(flattenForQuery({ items: [{ id: 7 }, { id: 8, tags: ['x', 'y'] }] })).toEqual([
      ['items_0_id', '7'],
      ['items_1_id', '8'],
      ['items_1_tags_0', 'x'],
      ['items_1_tags_1', 'y'],
    ]);
    expect(flattenForQuery([{ id: 1 }, 'two'])).toEqual([
      ['0_id', '1'],
      ['1', 'two'],
    ]);
  });

  it('renders scalars as documented', () => {
    expect(flattenForQuery({ t: true, f: false, i: 42, neg: -0, d: 1.5, big: 1e21, small: 5e-7 })).toEqual([
      ['t', 'true'],
      ['f', 'false'],
      ['i', '42'],
      ['neg', '0'],
      ['d', '1.5'],
      ['big', '1e+21'],
      ['small', '5e-7'],
    ]);
  });

  it('keeps null, empty string, empty object and empty array as empty values and skips undefined', () => {
    expect(flattenForQuery({ n: null, s: '', o: {}, a: [], u: undefined, hole: [undefined] })).toEqual([
      ['n', ''],
      ['s', ''],
      ['o', ''],
      ['a', ''],
      ['hole_0', ''],
    ]);
    expect(flattenForQuery({})).toEqual([]);
  });

  it('keeps unicode as is and percent-encodes it as UTF-8 in the URL', () => {
    const pairs = flattenForQuery({ naïve: { ключ: '日本語 🎉' } });
    expect(pairs).toEqual([['naïve_ключ', '日本語 🎉']]);
    expect(buildGetUrl('https://h.example/', pairs)).toBe(
      'https://h.example/?na%C3%AFve_%D0%BA%D0%BB%D1%8E%D1%87=%E6%97%A5%E6%9C%AC%E8%AA%9E%20%F0%9F%8E%89',
    );
  });

  it('refuses key collisions with a typed error, whichever comes first', () => {
    for (const payload of [{ a_b: 1, a: { b: 2 } }, { a: { b: 2 }, a_b: 1 }]) {
      const error = catchError(() => flattenForQuery(payload));
      expect(error).toBeInstanceOf(KeyCollisionError);
      expect((error as KeyCollisionError).code).toBe('key_collision');
      expect((error as KeyCollisionError).key).toBe('a_b');
      expect((error as KeyCollisionError).paths.map((path) => path.join('/')).sort()).toEqual(['a/b', 'a_b']);
    }
    expect(() => flattenForQuery({ a_0: 'x', a: ['y'] })).toThrow(KeyCollisionError);
  });

  it('refuses what is not a JSON container or not JSON', () => {
    for (const bad of [5, 'text', null, true]) {
      expect((catchError(() => flattenForQuery(bad)) as PayloadEncodingError).code).toBe('not_a_container');
    }
    expect((catchError(() => flattenForQuery({ x: Number.NaN })) as PayloadEncodingError).code).toBe('not_json');
    expect((catchError(() => flattenForQuery({ x: Infinity })) as PayloadEncodingError).code).toBe('not_json');
    expect((catchError(() => flattenForQuery({ x: 1n })) as PayloadEncodingError).code).toBe('not_json');
    expect((catchError(() => flattenForQuery({ x: new Date(0) })) as PayloadEncodingError).code).toBe('not_json');
    expect((catchError(() => flattenForQuery({ x: '\ud800' })) as PayloadEncodingError).code).toBe('not_json');
    expect((catchError(() => flattenForQuery({ '\udc00': 1 })) as PayloadEncodingError).code).toBe('not_json');
  });

  it('refuses nesting deeper than the limit', () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : { k: nest(depth - 1) });
    expect(flattenForQuery(nest(MAX_NESTING_DEPTH))).toHaveLength(1);
    expect((catchError(() => flattenForQuery(nest(MAX_NESTING_DEPTH + 1))) as PayloadEncodingError).code).toBe('too_deep');
  });
});

describe('buildGetUrl', () => {
  it('appends to an existing query and drops the fragment', () => {
    expect(buildGetUrl('https://h.example/hook?token=abc#frag', [['a', '1']])).toBe('https://h.example/hook?token=abc&a=1');
    expect(buildGetUrl('https://h.example/hook?token=abc&', [['a', '1']])).toBe('https://h.example/hook?token=abc&a=1');
    expect(buildGetUrl('https://h.example/hook?', [['a', '1']])).toBe('https://h.example/hook?a=1');
    expect(buildGetUrl('https://h.example/hook', [['a', '1']])).toBe('https://h.example/hook?a=1');
    expect(buildGetUrl('https://h.example/hook?x=1', [])).toBe('https://h.example/hook?x=1');
  });

  it('encodes everything but unreserved characters', () => {
    expect(buildGetUrl('http://h/', [['k y', "a+b&c=d/e?f#g!'()*~._-"]])).toBe(
      'http://h/?k%20y=a%2Bb%26c%3Dd%2Fe%3Ff%23g%21%27%28%29%2A~._-',
    );
  });

  it('throws UrlTooLongError carrying length and limit instead of truncating', () => {
    const base = 'http://h/';
    const pairs: Array<[string, string]> = [['v', 'x'.repeat(100)]];
    const exact = `${base}?v=${'x'.repeat(100)}`.length;
    expect(buildGetUrl(base, pairs, { maxUrlLength: exact })).toHaveLength(exact);
    const error = catchError(() => buildGetUrl(base, pairs, { maxUrlLength: exact - 1 }));
    expect(error).toBeInstanceOf(UrlTooLongError);
    expect(error).toMatchObject({ code: 'url_too_long', length: exact, limit: exact - 1 });
  });

  it('defaults to an 8192-character limit', () => {
    const fits: Array<[string, string]> = [['v', 'x'.repeat(8192 - 'http://h/?v='.length)]];
    expect(buildGetUrl('http://h/', fits)).toHaveLength(8192);
    fits[0]![1] += 'x';
    expect(() => buildGetUrl('http://h/', fits)).toThrow(UrlTooLongError);
  });

  it('property: the URL is stable under re-parsing and its query decodes back to the pairs', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1 }), fc.jsonValue()), (payload) => {
        let pairs: Array<[string, string]>;
        try {
          pairs = flattenForQuery(payload);
        } catch (error) {
          if (error instanceof KeyCollisionError) return; // generated keys may contain `_`
          throw error;
        }
        const url = buildGetUrl('https://h.example/p?fixed=1', pairs, { maxUrlLength: 1_000_000 });
        expect(new URL(url).href).toBe(url);
        expect([...new URL(url).searchParams]).toEqual([['fixed', '1'], ...pairs]);
      }),
    );
  });
});

describe('encodeBracketForm', () => {
  it('encodes the Kommo example with percent-encoded bracket keys', () => {
    expect(encodeBracketForm({ leads: { status: [{ id: 1 }] } })).toBe('leads%5Bstatus%5D%5B0%5D%5Bid%5D=1');
  });

  it('encodes a full Kommo stage-change payload', () => {
    const body = encodeBracketForm({
      leads: { status: [{ id: 25399013, old_pipeline_id: 123, pipeline_id: 321, old_status_id: 567, status_id: 765 }] },
      account: { id: 29085955, subdomain: 'kommo' },
    });
    expect(decodeURIComponent(body).split('&')).toEqual([
      'leads[status][0][id]=25399013',
      'leads[status][0][old_pipeline_id]=123',
      'leads[status][0][pipeline_id]=321',
      'leads[status][0][old_status_id]=567',
      'leads[status][0][status_id]=765',
      'account[id]=29085955',
      'account[subdomain]=kommo',
    ]);
    expect(new URLSearchParams(body).get('leads[status][0][status_id]')).toBe('765');
  });

  it('renders empty values, booleans and unicode as documented', () => {
    expect(encodeBracketForm({ o: {}, a: [], n: null, s: '', t: true, f: false, u: undefined })).toBe('o=&a=&n=&s=&t=true&f=false');
    expect(encodeBracketForm({ name: 'José 😀', list: ['ü'] })).toBe('name=Jos%C3%A9%20%F0%9F%98%80&list%5B0%5D=%C3%BC');
    expect(encodeBracketForm({})).toBe('');
    expect(encodeBracketForm([])).toBe('');
    expect(encodeBracketForm([{ id: 1 }])).toBe('0%5Bid%5D=1');
  });

  it('refuses colliding names and non-containers', () => {
    const error = catchError(() => encodeBracketForm({ 'a[b]': 1, a: { b: 2 } }));
    expect(error).toBeInstanceOf(KeyCollisionError);
    expect((error as KeyCollisionError).key).toBe('a[b]');
    expect((catchError(() => encodeBracketForm('x')) as PayloadEncodingError).code).toBe('not_a_container');
  });

  it('property: a qs-style bracket decoder gives back the structure with string leaves', () => {
    const key = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,6}$/);
    const leaf = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const { tree } = fc.letrec<{ tree: unknown; arr: unknown[]; obj: Record<string, unknown> }>((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, tie('arr'), tie('obj')),
      arr: fc.array(tie('tree'), { maxLength: 4 }),
      obj: fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
    }));
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 5 }), (payload) => {
        const expected = Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, expectedAfterForm(v)]));
        expect(decodeBracketForm(encodeBracketForm(payload))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('the test decoder itself notices a wrong structure', () => {
    // Guards the property above against a decoder that would accept anything.
    expect(decodeBracketForm('a%5B0%5D=1&a%5B1%5D=2&b%5Bc%5D=x')).toEqual({ a: ['1', '2'], b: { c: 'x' } });
    expect(decodeBracketForm('a%5B0%5D=1')).not.toEqual({ a: { 0: '1' } });
  });
});

describe('parseJsonKeepingNumberText: the nesting bound is counted before parsing', () => {
  const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const tooDeep = expect.objectContaining({ code: 'too_deep', message: `the payload nests deeper than ${MAX_NESTING_DEPTH} levels` });

  it('takes exactly MAX_NESTING_DEPTH levels of arrays or objects, and refuses one more', () => {
    expect(() => parseJsonKeepingNumberText(arrays(MAX_NESTING_DEPTH))).not.toThrow();
    expect(() => parseJsonKeepingNumberText(objects(MAX_NESTING_DEPTH))).not.toThrow();
    expect(() => parseJsonKeepingNumberText(arrays(MAX_NESTING_DEPTH + 1))).toThrow(tooDeep);
    expect(() => parseJsonKeepingNumberText(objects(MAX_NESTING_DEPTH + 1))).toThrow(tooDeep);
  });

  it('counts depth, not brackets: wide shallow arrays and objects pass whatever their size', () => {
    const wideArray = `[${Array.from({ length: 200 }, () => '[]').join(',')}]`;
    const wideObject = `{${Array.from({ length: 200 }, (_, i) => `"k${i}":{}`).join(',')}}`;
    const mixed = `[${Array.from({ length: 200 }, () => '{"a":[1]}').join(',')}]`;
    expect((parseJsonKeepingNumberText(wideArray) as unknown[]).length).toBe(200);
    expect(Object.keys(parseJsonKeepingNumberText(wideObject) as object)).toHaveLength(200);
    expect((parseJsonKeepingNumberText(mixed) as unknown[]).length).toBe(200);
  });

  it('counts the brackets after a string, whatever the string holds', () => {
    for (const text of ['', 'a', 'ab', 'abc', '\\', '"', 'x\\"', '\\\\', '[{', '}]', 'é😀']) {
      const json = `{"s":${JSON.stringify(text)},"deep":${arrays(MAX_NESTING_DEPTH + 1)}}`;
      expect(() => parseJsonKeepingNumberText(json), json.slice(0, 30)).toThrow(tooDeep);
    }
  });

  it('does not count brackets inside a string, after escaped quotes and backslashes included', () => {
    for (const text of ['['.repeat(100), `"${'['.repeat(100)}`, `\\${'{'.repeat(100)}`, `\\"${'['.repeat(100)}`]) {
      expect(parseJsonKeepingNumberText(`{"s":${JSON.stringify(text)}}`)).toEqual({ s: text });
    }
  });
});

describe('errors say what was refused and where', () => {
  it('name their class, so a log line tells them apart', () => {
    expect(catchError(() => flattenForQuery({ a_b: 1, a: { b: 2 } }))).toMatchObject({ name: 'KeyCollisionError' });
    expect(catchError(() => buildGetUrl('https://h.example/', [['a', 'x'.repeat(100)]], { maxUrlLength: 50 }))).toMatchObject({ name: 'UrlTooLongError' });
    expect(catchError(() => flattenForQuery(5))).toMatchObject({ name: 'PayloadEncodingError' });
  });

  it('a collision names the parameter and both JSON paths', () => {
    expect(catchError(() => flattenForQuery({ a_b: 1, a: { b: 2 } }))).toMatchObject({
      message: `parameter 'a_b' would come from both ["a_b"] and ["a","b"]`,
    });
  });

  it('a long URL gives its length and the limit', () => {
    const error = catchError(() => buildGetUrl('https://h.example/', [['a', 'x'.repeat(100)]], { maxUrlLength: 50 }));
    const length = 'https://h.example/?a='.length + 100;
    expect(error).toMatchObject({ message: `the delivery URL would be ${length} characters, more than the limit of 50`, length, limit: 50 });
  });

  it.each([
    [null, 'null'],
    [undefined, 'a undefined'],
    [5, 'a number'],
    ['text', 'a string'],
    [true, 'a boolean'],
    [new Date(0), 'a Date object'],
    [new Map(), 'a Map object'],
    [Object.create(Object.create(null) as object) as object, 'a non-plain object'],
  ])('a top level that is not a container (%s) is described as %s', (value, described) => {
    expect(catchError(() => flattenForQuery(value))).toMatchObject({
      code: 'not_a_container',
      message: `the payload must be a JSON object or array, not ${described}`,
    });
  });

  it('a number kept as its source text is described as a number', () => {
    expect(catchError(() => encodeBracketForm(parseJsonKeepingNumberText('12')))).toMatchObject({
      code: 'not_a_container',
      message: 'the payload must be a JSON object or array, not a number',
    });
  });

  it('a value JSON cannot carry names its path', () => {
    expect(catchError(() => flattenForQuery({ x: { y: [Number.NaN] } }))).toMatchObject({ code: 'not_json', message: '["x","y","0"] is NaN, which JSON cannot carry' });
    expect(catchError(() => flattenForQuery({ x: 1n }))).toMatchObject({ code: 'not_json', message: '["x"] is a bigint, not a JSON value' });
    expect(catchError(() => flattenForQuery({ x: () => 1 }))).toMatchObject({ code: 'not_json', message: '["x"] is a function, not a JSON value' });
    expect(catchError(() => flattenForQuery({ x: new Date(0) }))).toMatchObject({ code: 'not_json', message: '["x"] is a Date object, not a JSON value' });
    expect(catchError(() => flattenForQuery({ x: '\ud800' }))).toMatchObject({ code: 'not_json', message: '["x"] holds a lone UTF-16 surrogate' });
    expect(catchError(() => flattenForQuery({ '\udc00': 1 }))).toMatchObject({ code: 'not_json', message: 'the top level holds a lone UTF-16 surrogate' });
  });

  it('nesting past the bound in a value (not parsed from text) is refused while walking it', () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);
    expect(catchError(() => encodeBracketForm(nest(MAX_NESTING_DEPTH + 2)))).toMatchObject({
      code: 'too_deep',
      message: `the payload nests deeper than ${MAX_NESTING_DEPTH} levels`,
    });
  });
});

/** What a form receiver can see: leaves as strings, null and empty containers as "". */
function expectedAfterForm(value: unknown): unknown {
  if (value === null) return '';
  if (Array.isArray(value)) return value.length === 0 ? '' : value.map(expectedAfterForm);
  if (typeof value === 'object') {
    const entries = Object.entries(value as object);
    return entries.length === 0 ? '' : Object.fromEntries(entries.map(([k, v]) => [k, expectedAfterForm(v)]));
  }
  return String(value);
}

/** A minimal qs-style decoder: `a[b][0]=x` → {a:{b:["x"]}}; numeric segments make arrays. */
function decodeBracketForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  if (body === '') return root;
  for (const part of body.split('&')) {
    const eq = part.indexOf('=');
    const name = decodeURIComponent(part.slice(0, eq));
    const value = decodeURIComponent(part.slice(eq + 1));
    const match = /^([^[]+)((?:\[[^\]]*\])*)$/.exec(name);
    if (match === null) throw new Error(`bad name ${name}`);
    const segments = [match[1]!, ...[...match[2]!.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!)];
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const container = node as Record<string, unknown>;
      if (i === segments.length - 1) {
        if (Object.hasOwn(container, segment)) throw new Error(`duplicate ${name}`);
        container[segment] = value;
      } else {
        if (!Object.hasOwn(container, segment)) container[segment] = /^\d+$/.test(segments[i + 1]!) ? [] : {};
        node = container[segment] as Record<string, unknown> | unknown[];
      }
    }
  }
  return root;
}

describe('parseJsonKeepingNumberText', () => {
  it('keeps every number as written, for both encodings', () => {
    const value = parseJsonKeepingNumberText('{"a":[1.0,-0,1E400,0.1e-2,12345678901234567890123],"b":{"c":987}}');
    expect(flattenForQuery(value)).toEqual([
      ['a_0', '1.0'],
      ['a_1', '-0'],
      ['a_2', '1E400'],
      ['a_3', '0.1e-2'],
      ['a_4', '12345678901234567890123'],
      ['b_c', '987'],
    ]);
    expect(decodeURIComponent(encodeBracketForm(value))).toBe('a[0]=1.0&a[1]=-0&a[2]=1E400&a[3]=0.1e-2&a[4]=12345678901234567890123&b[c]=987');
  });

  it('refuses a bare number at the top level as it refuses any scalar', () => {
    expect(() => flattenForQuery(parseJsonKeepingNumberText('12'))).toThrow(PayloadEncodingError);
  });

  it('refuses deep nesting before parsing, as too_deep (brackets inside strings do not count)', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => parseJsonKeepingNumberText(deep)).toThrow(expect.objectContaining({ code: 'too_deep' }));
    expect(parseJsonKeepingNumberText(`{"s":"${'['.repeat(1000)}\\""}`)).toEqual({ s: `${'['.repeat(1000)}"` });
  });
});
