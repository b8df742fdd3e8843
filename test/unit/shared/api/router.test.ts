import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it, vi } from 'vitest';
import { API_ERRORS, ApiError, MAX_REQUEST_BODY_BYTES } from '../../../../shared/api/errors.ts';
import {
  buildApp,
  describeIssues,
  handleRequest,
  parseJsonObject,
  queryParameterNames,
  reply,
  routeErrorCodes,
  routeFor,
  urlPath,
  type ApiRequest,
} from '../../../../shared/api/router.ts';

const route = routeFor<{ seen: string[] }>();
const routes = [
  route({
    method: 'GET',
    path: '/v4/things',
    operationId: 'listThings',
    summary: 'things',
    tags: ['Things'],
    responses: { 200: { description: 'things', schema: v.object({ things: v.array(v.string()) }) } },
    handle: async () => reply(200, { things: [] }),
  }),
  route({
    method: 'POST',
    path: '/v4/things',
    operationId: 'createThing',
    summary: 'create',
    tags: ['Things'],
    body: v.strictObject({ name: v.string() }),
    responses: { 201: { description: 'made', schema: v.object({ name: v.string() }) } },
    handle: async ({ body, deps }) => {
      deps.seen.push(body.name);
      return reply(201, body);
    },
  }),
  route({
    method: 'GET',
    path: '/v4/things/{id}',
    operationId: 'getThing',
    summary: 'one',
    tags: ['Things'],
    params: v.object({ id: v.pipe(v.string(), v.regex(/^\d+$/, 'must be digits')) }),
    query: v.strictObject({ mode: v.optional(v.picklist(['a', 'b'])) }),
    responses: { 200: { description: 'one', schema: v.object({ id: v.string(), mode: v.nullable(v.string()) }) } },
    handle: async ({ params, query }) => reply(200, { id: params.id, mode: query.mode ?? null }),
  }),
  route({
    method: 'DELETE',
    path: '/v4/things/{id}',
    operationId: 'deleteThing',
    summary: 'delete',
    tags: ['Things'],
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'gone', schema: v.object({}) } },
    handle: async () => {
      throw new Error('database on fire: secret detail');
    },
  }),
  route({
    method: 'GET',
    path: '/v4/open',
    operationId: 'open',
    summary: 'public',
    tags: ['Things'],
    public: true,
    responses: { 200: { description: 'open', schema: v.object({ open: v.boolean() }) } },
    handle: async () => reply(200, { open: true }),
  }),
];

const request = (method: string, path: string, body?: string, headers: Record<string, string> = {}, query = ''): ApiRequest => ({
  method,
  path,
  headers,
  query: new URLSearchParams(query),
  body,
});

function setup(authenticated = true) {
  const logError = vi.fn();
  const deps = { seen: [] as string[] };
  const authenticate = vi.fn(async () => authenticated);
  const app = buildApp({ routes, deps, authenticate, logError });
  const call = async (...args: Parameters<typeof request>) => {
    const response = await handleRequest(app, request(...args));
    return { status: response.status, headers: response.headers, body: JSON.parse(response.body) as Record<string, unknown> };
  };
  return { call, deps, logError, authenticate };
}

describe('parseJsonObject', () => {
  it('accepts objects only', () => {
    expect(parseJsonObject('{"a":1}')).toEqual({ a: 1 });
    for (const body of [undefined, '', '  ', '[]', 'null', '1', '"x"']) {
      expect(() => parseJsonObject(body)).toThrow(expect.objectContaining({ code: 'INVALID_JSON' }));
    }
    expect(() => parseJsonObject('{nope')).toThrow('not valid JSON');
  });
});

describe('describeIssues', () => {
  it('names missing and unknown fields plainly', () => {
    const schema = v.strictObject({ name: v.string('must be a string') });
    const issues = (input: unknown) => {
      const result = v.safeParse(schema, input);
      return result.success ? '' : describeIssues(result.issues);
    };
    expect(issues({})).toBe('name is required');
    expect(issues({ name: 'a', extra: 1 })).toBe('unknown field "extra"');
    expect(issues({ name: 3 })).toBe('name: must be a string');
  });
});

describe('urlPath', () => {
  it('keeps paths as segments: a leading slash, empty segments dropped, nothing that leaves the path', () => {
    expect(urlPath('/v4/things/42/')).toBe('/v4/things/42');
    expect(urlPath('v4//things')).toBe('/v4/things');
    expect(urlPath('/v4/a?b#c')).toBe('/v4/a%3Fb%23c');
    expect(urlPath('/v4/a\\b')).toBe('/v4/a%5Cb');
    expect(urlPath('/v4/a b\n')).toBe('/v4/a%20b%0A');
    expect(urlPath('/v4/%zz/%41')).toBe('/v4/%25zz/%41');
    expect(urlPath('/v4/é/\ud800')).toBe('/v4/%C3%A9/%EF%BF%BD');
  });
});

describe('the request pipeline', () => {
  it('answers 401 before anything else, with WWW-Authenticate, even on unknown paths', async () => {
    const { call } = setup(false);
    for (const [method, path] of [
      ['GET', '/v4/nothing'],
      ['POST', '/v4/things'],
      ['PUT', '/v4/things/1'],
    ] as const) {
      const response = await call(method, path, '{bad');
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: 'UNAUTHORIZED' });
      expect(response.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('serves a public route without authenticating, and only its own method', async () => {
    const { call, authenticate } = setup(false);
    expect(await call('GET', '/v4/open')).toMatchObject({ status: 200, body: { open: true } });
    expect(authenticate).not.toHaveBeenCalled();
    expect((await call('POST', '/v4/open')).status).toBe(401);
  });

  it('routes, validates and calls the handler; every answer is JSON and never cached', async () => {
    const { call, deps } = setup();
    const response = await call('POST', '/v4/things', '{"name":"x"}');
    expect(response).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: { name: 'x' },
    });
    expect(deps.seen).toEqual(['x']);
    expect((await call('GET', '/v4/things/42/', undefined, {}, 'mode=b')).body).toEqual({ id: '42', mode: 'b' });
    expect((await call('GET', '/v4/things/%34%32')).body).toEqual({ id: '42', mode: null });
  });

  it.each([
    ['GET', '/v4/nothing', undefined, 404, 'ROUTE_NOT_FOUND'],
    ['PATCH', '/v4/things', undefined, 405, 'METHOD_NOT_ALLOWED'],
    ['POST', '/v4/things', '{"name":', 400, 'INVALID_JSON'],
    ['POST', '/v4/things', undefined, 400, 'INVALID_JSON'],
    ['POST', '/v4/things', '{"name":1}', 400, 'INVALID_REQUEST'],
    ['POST', '/v4/things', '{"name":"a","x":1}', 400, 'INVALID_REQUEST'],
    ['GET', '/v4/things/abc', undefined, 400, 'INVALID_REQUEST'],
  ])('%s %s %s → %i %s', async (method, path, body, status, code) => {
    const { call } = setup();
    const response = await call(method, path, body);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ error: code, message: expect.any(String) });
  });

  it('refuses an unknown query parameter', async () => {
    const { call } = setup();
    expect(await call('GET', '/v4/things/1', undefined, {}, 'other=1')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
  });

  it('refuses, on every route, a query parameter the route does not define, before its handler runs', async () => {
    const { call, deps, logError } = setup();
    // A DELETE defines none: `/things/1?/verification` (a path cut at a `?`) must not reach the delete.
    const cut = await call('DELETE', '/v4/things/1', undefined, {}, '/verification');
    expect(cut).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(cut.body.message).toBe('invalid query: unknown parameter "/verification" (DELETE /v4/things/{id} takes no query parameters)');
    expect(await call('POST', '/v4/things', '{"name":"x"}', {}, 'dry_run=1')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await call('GET', '/v4/things', undefined, {}, 'limit=5')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    // Public routes too (they run before authentication).
    expect(await call('GET', '/v4/open', undefined, {}, 'x')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    const partly = await call('GET', '/v4/things/1', undefined, {}, `mode=a&${'n'.repeat(500)}=1`);
    expect(partly.body.message).toBe(`invalid query: unknown parameter "${'n'.repeat(64)}…" (GET /v4/things/{id} takes only mode)`);
    expect(deps.seen).toEqual([]);
    expect(logError).not.toHaveBeenCalled();
    // Defined ones pass, and an empty query is no parameter.
    expect(await call('GET', '/v4/things/1', undefined, {}, 'mode=a')).toMatchObject({ status: 200, body: { id: '1', mode: 'a' } });
    expect(await call('GET', '/v4/open', undefined, {}, '')).toMatchObject({ status: 200 });
  });

  it('keeps a `?` inside a path segment in the segment: the path is never cut short', async () => {
    const { call, logError } = setup();
    // As a gateway that hands over a decoded path would: `1?` is the segment, `/verification` follows it.
    expect(await call('DELETE', '/v4/things/1?/verification')).toMatchObject({ status: 404, body: { error: 'ROUTE_NOT_FOUND' } });
    expect(await call('GET', '/v4/things/1%3F')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await call('GET', '/v4/things/1?')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(logError).not.toHaveBeenCalled();
  });

  it('lists the allowed methods on 405', async () => {
    const { call } = setup();
    const response = await call('PUT', '/v4/things/1');
    expect(response.headers.allow).toBe('GET, DELETE');
  });

  it('refuses bodies over the limit with 413 before parsing them', async () => {
    const { call } = setup();
    const big = JSON.stringify({ name: 'x'.repeat(MAX_REQUEST_BODY_BYTES) });
    expect(await call('POST', '/v4/things', big)).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    expect(await call('POST', '/v4/things', `{${'x'.repeat(MAX_REQUEST_BODY_BYTES)}`)).toMatchObject({ status: 413 });
  });

  it('turns unexpected errors into a bare 500 and logs the detail without headers', async () => {
    const { call, logError } = setup();
    const response = await call('DELETE', '/v4/things/1', undefined, { authorization: 'Bearer hla_secret' });
    expect(response).toMatchObject({ status: 500, body: { error: 'INTERNAL', message: 'internal error' } });
    expect(JSON.stringify(response)).not.toContain('fire');
    expect(logError).toHaveBeenCalledOnce();
    const logged = JSON.stringify(logError.mock.calls[0]);
    expect(logged).toContain('database on fire');
    expect(logged).not.toContain('hla_secret');
  });

  it('maps ApiError codes to their statuses', () => {
    for (const [code, { status }] of Object.entries(API_ERRORS)) {
      expect(new ApiError(code as keyof typeof API_ERRORS, 'm').status).toBe(status);
    }
  });

  it('lists every error a route can answer with: auth, validation, size, its own, INTERNAL', () => {
    const [list, create, get, remove, open] = routes.map((r) => routeErrorCodes(r.spec));
    // INVALID_REQUEST everywhere: every route refuses query parameters it does not define.
    expect(list).toEqual(['INVALID_REQUEST', 'UNAUTHORIZED', 'INTERNAL']);
    expect(create).toEqual(['INVALID_JSON', 'INVALID_REQUEST', 'UNAUTHORIZED', 'PAYLOAD_TOO_LARGE', 'INTERNAL']);
    expect(get).toEqual(['INVALID_REQUEST', 'UNAUTHORIZED', 'INTERNAL']);
    expect(remove).toEqual(['INVALID_REQUEST', 'UNAUTHORIZED', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'INTERNAL']);
    expect(open).toEqual(['INVALID_REQUEST', 'INTERNAL']);
  });

  it('reads the names a query schema defines: an object, or a pipe starting with one', () => {
    expect([...queryParameterNames(undefined)]).toEqual([]);
    expect([...queryParameterNames(v.strictObject({ a: v.optional(v.string()), b: v.optional(v.string()) }))]).toEqual(['a', 'b']);
    expect([...queryParameterNames(v.pipe(v.object({ c: v.string() }), v.check(() => true)))]).toEqual(['c']);
    expect(() => queryParameterNames(v.record(v.string(), v.string()))).toThrow('object schema');
  });

  it('never answers 500 or throws for arbitrary client input', async () => {
    const { call, logError } = setup();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'get'),
        fc.oneof(
          fc.constantFrom('/v4/things', '/v4/things/1', '/v4/things/%E0%A4%A', '/', '', '//v4/things', '/v4/../v4/things'),
          fc
            .array(fc.oneof(fc.constantFrom('v4', 'things', '1', '%zz', '..', ''), fc.string()), { maxLength: 5 })
            .map((segments) => `/${segments.join('/')}`),
          fc.string(),
        ),
        fc.option(fc.oneof(fc.json(), fc.string()), { nil: undefined }),
        fc.string(),
        async (method, path, body, query) => {
          const response = await call(method, path, body, {}, query);
          if (method === 'DELETE' && response.status === 500) return; // the route that throws on purpose
          expect(response.status).toBeLessThan(500);
          expect(response.body).toBeTypeOf('object');
        },
      ),
      { numRuns: 500 },
    );
    expect(logError.mock.calls.every((call) => JSON.stringify(call).includes('database on fire'))).toBe(true);
  });
});
