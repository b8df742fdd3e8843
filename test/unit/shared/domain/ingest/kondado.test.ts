import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  errorReply,
  formatUnixTimestamp,
  interpretInbound,
  successReply,
  type InboundHttpRequest,
} from '../../../../../shared/domain/ingest/kondado.ts';

const KEY = 'd538b946-9d55-405a-9bd2-72d74b1cb8f5';
const TOKEN = 'oseutokenaqui123';
const LIMIT = 1_000_000;

const post = (query: string, body: string | undefined, contentType = 'application/json'): InboundHttpRequest => ({
  method: 'POST',
  rawQueryString: query,
  contentType,
  body: body === undefined ? undefined : Buffer.from(body),
});
const valid = `pipeline_id=835212&key=${KEY}&token=${TOKEN}`;
const errorOf = (request: InboundHttpRequest) => {
  const decision = interpretInbound(request, LIMIT);
  return decision.ok ? 'ok' : decision.error;
};

describe('Kondado replies', () => {
  it('success reply has exactly the documented shape', () => {
    const reply = successReply('rydjemeilmsqkqvjtfkc', 1577015690.3118637);
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toBe(
      '{"success":true,"data":{"__kdd_request_id":"rydjemeilmsqkqvjtfkc","__kdd_request_unix_timestamp":1577015690.3118637}}',
    );
  });

  it('a whole-second timestamp still prints as a float', () => {
    expect(formatUnixTimestamp(1577015690)).toBe('1577015690.0');
    expect(JSON.parse(successReply('a'.repeat(20), 1577015690).body).data.__kdd_request_unix_timestamp).toBe(1577015690);
  });

  it.each([
    'NO_PARAMETERS_PROVIDED',
    'MISSING_PARAMETER: pipeline_id',
    'INVALID_PARAMETER: token',
    'NO_BODY_PROVIDED',
    'INVALID_BODY',
  ] as const)('error %s is a 400 with success false', (code) => {
    expect(errorReply(code)).toEqual({ statusCode: 400, body: `{"success":false,"error":"${code}"}` });
  });

  it('queue trouble is a 503, not a client error', () => {
    expect(errorReply('SERVICE_UNAVAILABLE').statusCode).toBe(503);
  });
});

describe('interpretInbound: parameters', () => {
  it('accepts a valid request and keeps the JSON body byte for byte', () => {
    const body = '{ "b": 1,\n "a": [1.50, "é"] }';
    expect(interpretInbound(post(valid, body), LIMIT)).toEqual({
      ok: true,
      request: { method: 'POST', pipelineId: 835212, key: KEY, token: TOKEN, format: 'json', body, query: {} },
    });
  });

  it('parameter order does not matter and the key is lower-cased', () => {
    const decision = interpretInbound(post(`token=${TOKEN}&key=${KEY.toUpperCase()}&pipeline_id=7`, '{}'), LIMIT);
    expect(decision).toMatchObject({ ok: true, request: { pipelineId: 7, key: KEY } });
  });

  it('no parameters at all', () => {
    expect(errorOf(post('', '{}'))).toBe('NO_PARAMETERS_PROVIDED');
  });

  it.each([
    [`key=${KEY}&token=${TOKEN}`, 'MISSING_PARAMETER: pipeline_id'],
    [`pipeline_id=1&token=${TOKEN}`, 'MISSING_PARAMETER: key'],
    [`pipeline_id=1&key=${KEY}`, 'MISSING_PARAMETER: token'],
    [`pipeline_id=&key=${KEY}&token=${TOKEN}`, 'MISSING_PARAMETER: pipeline_id'],
    ['foo=bar', 'MISSING_PARAMETER: pipeline_id'],
    // missing beats invalid: the URL is incomplete before it is wrong
    [`pipeline_id=abc&key=${KEY}`, 'MISSING_PARAMETER: token'],
  ])('%s → %s', (query, expected) => {
    expect(errorOf(post(query, '{}'))).toBe(expected);
  });

  it.each([
    ['pipeline_id=0', 'INVALID_PARAMETER: pipeline_id'],
    ['pipeline_id=-3', 'INVALID_PARAMETER: pipeline_id'],
    ['pipeline_id=1.5', 'INVALID_PARAMETER: pipeline_id'],
    ['pipeline_id=12abc', 'INVALID_PARAMETER: pipeline_id'],
    ['pipeline_id=0012', 'INVALID_PARAMETER: pipeline_id'],
    ['pipeline_id=9999999999999999', 'INVALID_PARAMETER: pipeline_id'],
    ['pipeline_id=1&pipeline_id=2', 'INVALID_PARAMETER: pipeline_id'],
  ])('%s → %s', (pipeline, expected) => {
    expect(errorOf(post(`${pipeline}&key=${KEY}&token=${TOKEN}`, '{}'))).toBe(expected);
  });

  it('the same value repeated is not ambiguous', () => {
    expect(errorOf(post(`pipeline_id=2&pipeline_id=2&key=${KEY}&token=${TOKEN}`, '{}'))).toBe('ok');
  });

  it.each(['d538b9469d55405a9bd272d74b1cb8f5', 'not-a-uuid', `${KEY}x`, TOKEN])('key %s is invalid', (key) => {
    expect(errorOf(post(`pipeline_id=1&key=${encodeURIComponent(key)}&token=${TOKEN}`, '{}'))).toBe('INVALID_PARAMETER: key');
  });

  it.each([KEY, 'abc def', 'abc_123', 'tökén', 'a'.repeat(257)])('token %s is invalid', (token) => {
    expect(errorOf(post(`pipeline_id=1&key=${KEY}&token=${encodeURIComponent(token)}`, '{}'))).toBe(
      'INVALID_PARAMETER: token',
    );
  });

  it('swapped key and token (the mistake Kondado warns about) is caught on the key', () => {
    expect(errorOf(post(`pipeline_id=1&key=${TOKEN}&token=${KEY}`, '{}'))).toBe('INVALID_PARAMETER: key');
  });
});

describe('interpretInbound: bodies', () => {
  it.each([undefined, '', '   \n'])('POST body %j → NO_BODY_PROVIDED', (body) => {
    expect(errorOf(post(valid, body))).toBe('NO_BODY_PROVIDED');
  });

  it.each(['{"a":', 'hello', "{'a':1}", '<xml/>'])('non-JSON body %s → INVALID_BODY', (body) => {
    expect(errorOf(post(valid, body))).toBe('INVALID_BODY');
  });

  it('invalid UTF-8 → INVALID_BODY', () => {
    expect(errorOf({ ...post(valid, undefined), body: new Uint8Array([0x22, 0xff, 0x22]) })).toBe('INVALID_BODY');
  });

  it('a leading byte order mark is kept as sent: JSON with one is INVALID_BODY; a form keeps it in its raw text, the bytes its sender signed', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(errorOf({ ...post(valid, undefined), body: Buffer.concat([bom, Buffer.from('{"a":1}')]) })).toBe('INVALID_BODY');
    const form = interpretInbound({ ...post(valid, undefined, 'application/x-www-form-urlencoded'), body: Buffer.concat([bom, Buffer.from('a=1')]) }, LIMIT);
    expect(form).toMatchObject({ ok: true, request: { format: 'form', raw: '\uFEFFa=1', body: '{"\uFEFFa":"1"}' } });
  });

  it('a body over the limit → PAYLOAD_TOO_LARGE', () => {
    expect(interpretInbound(post(valid, JSON.stringify('x'.repeat(100))), 50)).toEqual({
      ok: false,
      error: 'PAYLOAD_TOO_LARGE',
    });
  });

  it('any JSON value is accepted, whatever the content type says', () => {
    for (const body of ['[1,2]', '"text"', '42', 'null']) {
      expect(errorOf(post(valid, body, 'text/plain'))).toBe('ok');
    }
  });

  it('Kommo form posts become the equivalent nested JSON', () => {
    const form = 'leads%5Bstatus%5D%5B0%5D%5Bid%5D=25399013&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=142&leads[status][0][pipeline_id]=3104455';
    const decision = interpretInbound(post(valid, form, 'application/x-www-form-urlencoded; charset=UTF-8'), LIMIT);
    expect(decision.ok && decision.request.format).toBe('form');
    expect(decision.ok && JSON.parse(decision.request.body)).toEqual({
      leads: { status: [{ id: '25399013', status_id: '142', pipeline_id: '3104455' }] },
    });
  });

  it('JSON sent with the form content type (curl -d) is kept as JSON', () => {
    const body = '{"order_id":42,"tags":["a=b"]}';
    const decision = interpretInbound(post(valid, body, 'application/x-www-form-urlencoded'), LIMIT);
    expect(decision).toMatchObject({ ok: true, request: { format: 'json', body } });
  });

  it('a real form that merely starts with a brace is still decoded as a form', () => {
    const decision = interpretInbound(post(valid, '{weird=1&b=2', 'application/x-www-form-urlencoded'), LIMIT);
    expect(decision.ok && decision.request.format).toBe('form');
    expect(decision.ok && JSON.parse(decision.request.body)).toEqual({ '{weird': '1', b: '2' });
  });

  it('a whitespace-only form body has no body', () => {
    expect(errorOf(post(valid, '  ', 'application/x-www-form-urlencoded'))).toBe('NO_BODY_PROVIDED');
  });

  it('a conflicting form is INVALID_BODY, not half-stored', () => {
    expect(errorOf(post(valid, 'a=1&a[b]=2', 'application/x-www-form-urlencoded'))).toBe('INVALID_BODY');
  });

  it('a 6 MB form flood (a&a&a…) is INVALID_BODY at a cost near decoding its text once', () => {
    // Materialising every pair took ~100× the decode (~2 s against ~20 ms); stopping at the
    // parameter limit costs a few decodes. Best of three of each, so a busy machine slows both.
    const request = post(valid, 'a&'.repeat(2_999_000), 'application/x-www-form-urlencoded');
    expect((request.body as Uint8Array).byteLength).toBeGreaterThan(5_990_000);
    const bestOfThree = (work: () => unknown) => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        work();
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    expect(interpretInbound(request, 6_000_000)).toEqual({ ok: false, error: 'INVALID_BODY' });
    const floodMs = bestOfThree(() => interpretInbound(request, 6_000_000));
    const decodeMs = bestOfThree(() => new TextDecoder().decode(request.body as Uint8Array));
    expect(floodMs).toBeLessThan(Math.max(25 * decodeMs, 50));
  });

  it('a form of exactly 1,000 parameters is stored; 1,001 is INVALID_BODY', () => {
    const form = (count: number) => Array.from({ length: count }, (_, i) => `p${i}=v`).join('&');
    const decision = interpretInbound(post(valid, form(1000), 'application/x-www-form-urlencoded'), LIMIT);
    expect(decision.ok && Object.keys(JSON.parse(decision.request.body))).toHaveLength(1000);
    expect(errorOf(post(valid, form(1001), 'application/x-www-form-urlencoded'))).toBe('INVALID_BODY');
  });

  it('GET: more than 1,000 data parameters is INVALID_BODY, even with the token after them', () => {
    const data = Array.from({ length: 1001 }, (_, i) => `p${i}=v`).join('&');
    expect(errorOf({ method: 'GET', rawQueryString: `pipeline_id=835212&key=${KEY}&${data}&token=${TOKEN}` })).toBe('INVALID_BODY');
    expect(errorOf({ method: 'GET', rawQueryString: `pipeline_id=835212&key=${KEY}&${data}` })).toBe('MISSING_PARAMETER: token');
  });

  it('Kudosity GET: the extra query parameters become the stored JSON object', () => {
    const query =
      `${valid}&type=add&list_id=6945740&mobile=61438333061&firstname=Brad&datetime_entry=2022-11-30%2022%3A53%3A19` +
      '&email=braddown%40gmail.com&dob=18%2F12';
    const decision = interpretInbound({ method: 'GET', rawQueryString: query }, LIMIT);
    expect(decision.ok && decision.request.format).toBe('query');
    expect(decision.ok && JSON.parse(decision.request.body)).toEqual({
      type: 'add',
      list_id: '6945740',
      mobile: '61438333061',
      firstname: 'Brad',
      datetime_entry: '2022-11-30 22:53:19',
      email: 'braddown@gmail.com',
      dob: '18/12',
    });
  });

  it('GET with only the three parameters has no body', () => {
    expect(errorOf({ method: 'GET', rawQueryString: valid })).toBe('NO_BODY_PROVIDED');
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s → METHOD_NOT_ALLOWED', (method) => {
    expect(errorOf({ ...post(valid, '{}'), method })).toBe('METHOD_NOT_ALLOWED');
  });
});

describe('interpretInbound: a body given as the text the event carried', () => {
  const asText = (request: InboundHttpRequest, text: string): InboundHttpRequest => ({ ...request, body: text });

  it('is decided exactly as its UTF-8 bytes would be, lone surrogates, BOM and limits included', () => {
    const contentType = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain');
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
      fc.string({ unit: 'binary', maxLength: 10 }).map((inner) => `{"a":"${inner.replace(/["\\\u0000-\u001f]/g, '')}"}`),
      fc.constantFrom('\ufeff{"a":1}', '{"a":"\ud800"}', '{"a":"\udc00x"}', 'a=\ud83d&b=1', '  ', ''),
    );
    fc.assert(
      fc.property(text, contentType, fc.integer({ min: 0, max: 60 }), (body, type, limit) => {
        const request = post(valid, body, type);
        expect(interpretInbound(asText(request, body), limit)).toEqual(interpretInbound(request, limit));
      }),
      { numRuns: 3000 },
    );
  });

  it('counts its UTF-8 bytes against the limit, not its UTF-16 length', () => {
    const body = `{"a":"${'é'.repeat(10)}"}`; // 18 characters, 28 bytes
    expect(interpretInbound({ ...post(valid, body), body }, 27)).toEqual({ ok: false, error: 'PAYLOAD_TOO_LARGE' });
    expect(interpretInbound({ ...post(valid, body), body }, 28).ok).toBe(true);
  });
});

describe('interpretInbound: what is captured besides the body', () => {
  it('a form post keeps the text as received in raw, beside the decoded body', () => {
    const form = 'leads%5Bstatus%5D%5B0%5D%5Bid%5D=25399013&note=caf%C3%A9+%26+more&empty=';
    const decision = interpretInbound(post(valid, form, 'application/x-www-form-urlencoded'), LIMIT);
    expect(decision).toMatchObject({ ok: true, request: { method: 'POST', format: 'form', raw: form } });
    expect(decision.ok && JSON.parse(decision.request.body)).toEqual({ leads: { status: [{ id: '25399013' }] }, note: 'café & more', empty: '' });
  });

  it('JSON, a form-labelled JSON body and GET have no raw: the stored body is the received text, or there is none', () => {
    for (const request of [
      post(valid, '{"a":1}'),
      post(valid, '{"a":1}', 'application/x-www-form-urlencoded'),
      { method: 'GET', rawQueryString: `${valid}&a=1` },
    ]) {
      const decision = interpretInbound(request, LIMIT);
      expect(decision.ok).toBe(true);
      expect(decision.ok && decision.request.raw).toBeUndefined();
    }
  });

  it('the query capture holds the data parameters, decoded, repeats as lists; never pipeline_id, key or token', () => {
    const query = `source=shop&token=${TOKEN}&tag=a&pipeline_id=835212&tag=b%20c&key=${KEY}&x%5By%5D=1`;
    const decision = interpretInbound(post(query, '{}'), LIMIT);
    expect(decision.ok && decision.request.query).toEqual({ source: 'shop', tag: ['a', 'b c'], 'x[y]': '1' });
    expect(decision.ok && JSON.stringify(decision.request.query)).not.toContain(TOKEN);
  });

  it('GET: method GET, and the data parameters in the query capture as well as the body', () => {
    const decision = interpretInbound({ method: 'get', rawQueryString: `${valid}&type=add&mobile=61438333061` }, LIMIT);
    expect(decision).toMatchObject({ ok: true, request: { method: 'GET', format: 'query', query: { type: 'add', mobile: '61438333061' } } });
  });
});
