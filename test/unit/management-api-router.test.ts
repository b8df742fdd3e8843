import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it, vi } from 'vitest';
import {
  API_ERRORS,
  ApiError,
  MAX_REQUEST_BODY_BYTES,
  describeIssues,
  handleApiRequest,
  matchRoute,
  parseJsonObject,
  routeFor,
  type ApiRequest,
} from '../../shared/api/router.ts';

const route = routeFor<{ seen: string[] }>();
const routes = [
  route('GET', '/v4/things', {}, async () => ({ status: 200, body: { things: [] } })),
  route('POST', '/v4/things', { body: v.strictObject({ name: v.string() }) }, async ({ body, deps }) => {
    deps.seen.push(body.name);
    return { status: 201, body };
  }),
  route('GET', '/v4/things/{id}', { params: v.object({ id: v.pipe(v.string(), v.regex(/^\d+$/, 'must be digits')) }) }, async ({ params }) => ({
    status: 200,
    body: { id: params.id },
  })),
  route('DELETE', '/v4/things/{id}', {}, async () => {
    throw new Error('database on fire: secret detail');
  }),
];

const request = (method: string, path: string, body?: string, headers: Record<string, string> = {}): ApiRequest => ({
  method,
  path,
  headers,
  query: new URLSearchParams(),
  body,
});

function pipeline(authenticated = true) {
  const logError = vi.fn();
  return {
    logError,
    api: { routes, deps: { seen: [] as string[] }, authenticate: async () => authenticated, logError },
  };
}

describe('matchRoute', () => {
  it('matches literal and parameter segments, ignoring trailing slashes', () => {
    const match = matchRoute(routes, 'get', '/v4/things/42/');
    expect(match.kind).toBe('route');
    if (match.kind === 'route') {
      expect(match.route.pattern).toBe('/v4/things/{id}');
      expect(match.params).toEqual({ id: '42' });
    }
  });

  it('decodes parameters', () => {
    const match = matchRoute(routes, 'GET', '/v4/things/a%20b');
    expect(match.kind === 'route' && match.params.id).toBe('a b');
  });

  it('tells a wrong method from an unknown path', () => {
    expect(matchRoute(routes, 'PUT', '/v4/things/1')).toEqual({ kind: 'no_method', allow: ['GET', 'DELETE'] });
    expect(matchRoute(routes, 'GET', '/v4/nothing')).toEqual({ kind: 'no_route' });
    expect(matchRoute(routes, 'GET', '/v4/things/1/more')).toEqual({ kind: 'no_route' });
  });
});

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

describe('handleApiRequest', () => {
  it('answers 401 before anything else, with WWW-Authenticate', async () => {
    const { api } = pipeline(false);
    const response = await handleApiRequest(request('GET', '/v4/nothing', '{bad'), api);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'UNAUTHORIZED' });
    expect(response.headers?.['www-authenticate']).toBe('Bearer');
  });

  it('routes, validates and calls the handler', async () => {
    const { api } = pipeline();
    const response = await handleApiRequest(request('POST', '/v4/things', '{"name":"x"}'), api);
    expect(response).toEqual({ status: 201, body: { name: 'x' } });
    expect(api.deps.seen).toEqual(['x']);
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
    const { api } = pipeline();
    const response = await handleApiRequest(request(method, path, body), api);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ error: code, message: expect.any(String) });
  });

  it('lists the allowed methods on 405', async () => {
    const { api } = pipeline();
    const response = await handleApiRequest(request('PUT', '/v4/things/1'), api);
    expect(response.headers).toEqual({ allow: 'GET, DELETE' });
  });

  it('refuses bodies over the limit with 413', async () => {
    const { api } = pipeline();
    const big = JSON.stringify({ name: 'x'.repeat(MAX_REQUEST_BODY_BYTES) });
    const response = await handleApiRequest(request('POST', '/v4/things', big), api);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
  });

  it('turns unexpected errors into a bare 500 and logs the detail without headers', async () => {
    const { api, logError } = pipeline();
    const response = await handleApiRequest(
      request('DELETE', '/v4/things/1', undefined, { authorization: 'Bearer hla_secret' }),
      api,
    );
    expect(response).toEqual({ status: 500, body: { error: 'INTERNAL', message: 'internal error' } });
    expect(JSON.stringify(response)).not.toContain('fire');
    expect(logError).toHaveBeenCalledOnce();
    const logged = JSON.stringify(logError.mock.calls[0]);
    expect(logged).toContain('database on fire');
    expect(logged).not.toContain('hla_secret');
  });

  it('maps ApiError codes to their statuses', () => {
    for (const [code, status] of Object.entries(API_ERRORS)) {
      expect(new ApiError(code as keyof typeof API_ERRORS, 'm').status).toBe(status);
    }
  });

  it('never answers 500 or throws for arbitrary client input', async () => {
    const { api, logError } = pipeline();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'get'),
        fc.oneof(
          fc.constantFrom('/v4/things', '/v4/things/1', '/v4/things/%E0%A4%A', '/', ''),
          fc
            .array(fc.oneof(fc.constantFrom('v4', 'things', '1', '%zz', '..', ''), fc.string()), { maxLength: 5 })
            .map((segments) => `/${segments.join('/')}`),
          fc.string(),
        ),
        fc.option(fc.oneof(fc.json(), fc.string()), { nil: undefined }),
        async (method, path, body) => {
          const response = await handleApiRequest(request(method, path, body), api);
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
