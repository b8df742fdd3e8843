// The management API's HTTP machinery on Hono: one declarative definition per route (method,
// path, request and response schemas in valibot, the error codes it can produce, the handler),
// from which both the request pipeline and the OpenAPI document (hono-openapi) are built.
//
// Every request goes auth → route (404 ROUTE_NOT_FOUND / 405 METHOD_NOT_ALLOWED with Allow) →
// size (the route's body limit) → query names (a parameter the route does not define is refused) →
// validation (path, query, body) → handler; every failure is a JSON error
// `{"error": CODE, "message": "..."}` and every answer carries `cache-control: no-store`.
import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from 'hono/tiny';
import { PatternRouter } from 'hono/router/pattern-router';
import { describeRoute, resolver, uniqueSymbol, type DescribeRouteOptions } from 'hono-openapi';
import * as v from 'valibot';
import { API_ERRORS, ApiError, MAX_REQUEST_BODY_BYTES, errorBodySchema, type ApiErrorCode } from './errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Headers of every answer: JSON, never cached (answers carry credentials' metadata and secrets shown once). */
export const RESPONSE_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } as const;

/** An HTTP request, already decoded from whatever carried it (API Gateway, node:http, a test). */
export interface ApiRequest {
  method: string;
  path: string;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  query: URLSearchParams;
  /** UTF-8 text; undefined when there was none. */
  body: string | undefined;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** The JSON text of the answer. */
  body: string;
}

type Schema = v.GenericSchema;
type OutputOf<S> = S extends Schema ? v.InferOutput<S> : undefined;

export interface SuccessResponse {
  description: string;
  schema: Schema;
}

/** A handler's answer: one of the route's documented statuses with a body of its schema. */
export type ReplyOf<R extends Record<number, SuccessResponse>> = {
  [K in keyof R & number]: { status: K; body: v.InferInput<R[K]['schema']>; headers?: Record<string, string> };
}[keyof R & number];

/** A handler's answer; the status stays a literal, so it is checked against the route's documented ones. */
export function reply<const S extends number, B>(status: S, body: B, headers?: Record<string, string>): { status: S; body: B; headers?: Record<string, string> } {
  return headers === undefined ? { status, body } : { status, body, headers };
}

export interface RouteContext<D, P, Q, B> {
  params: OutputOf<P>;
  query: OutputOf<Q>;
  body: OutputOf<B>;
  deps: D;
  /** The request as it arrived (headers: the caller's credential). */
  request: Request;
}

export interface RouteSpec<
  D,
  P extends Schema | undefined,
  Q extends Schema | undefined,
  B extends Schema | undefined,
  R extends Record<number, SuccessResponse>,
> {
  method: HttpMethod;
  /** OpenAPI form: `/v4/pipelines/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Path parameters (strings in). */
  params?: P;
  /**
   * Query parameters (strings in; a repeated name counts once, the last value): an object schema,
   * or a pipe starting with one. Any other name, on any route, is refused with INVALID_REQUEST.
   */
  query?: Q;
  /** The JSON body, which must be an object; without it the body is never parsed. */
  body?: B;
  /** Body size limit; default MAX_REQUEST_BODY_BYTES. */
  maxBodyBytes?: number;
  /** Answers without a credential (the published contract). */
  public?: boolean;
  /** The success answers, by status. */
  responses: R;
  /** Error codes the handler itself produces; those of auth, size and validation are added. */
  errors?: readonly ApiErrorCode[];
  handle(context: RouteContext<D, P, Q, B>): Promise<ReplyOf<R>>;
}

/** A route with its types erased, as the router and the document generator hold it. */
export interface Route<D> {
  method: HttpMethod;
  path: string;
  spec: RouteSpec<D, Schema | undefined, Schema | undefined, Schema | undefined, Record<number, SuccessResponse>>;
}

/**
 * `const route = routeFor<Deps>()`, then one call per route:
 * `route({ method: 'GET', path: '/v4/pipelines/{id}', params: IdParams, responses: {...}, handle: ... })`.
 */
export function routeFor<D>() {
  return <
    P extends Schema | undefined = undefined,
    Q extends Schema | undefined = undefined,
    B extends Schema | undefined = undefined,
    const R extends Record<number, SuccessResponse> = Record<number, SuccessResponse>,
  >(
    spec: RouteSpec<D, P, Q, B, R>,
  ): Route<D> => ({ method: spec.method, path: spec.path, spec: spec as unknown as Route<D>['spec'] });
}

/** Every error code a route can answer with: the handler's, and those of auth, size and validation. */
export function routeErrorCodes(spec: Route<unknown>['spec']): ApiErrorCode[] {
  const codes = new Set<ApiErrorCode>();
  if (spec.public !== true) codes.add('UNAUTHORIZED');
  // Every route refuses query parameters it does not define.
  codes.add('INVALID_REQUEST');
  if (spec.body !== undefined) codes.add('INVALID_JSON');
  if (spec.method !== 'GET') codes.add('PAYLOAD_TOO_LARGE');
  for (const code of spec.errors ?? []) codes.add(code);
  codes.add('INTERNAL');
  return [...codes].sort((a, b) => API_ERRORS[a].status - API_ERRORS[b].status || a.localeCompare(b));
}

// ---- validation ----

/** One line per problem, e.g. `name is required`, `pipelines.0: must be a positive integer`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = v.getDotPath(issue);
      if (issue.type === 'strict_object' || issue.type === 'object') {
        if (issue.expected === 'never') return `unknown field ${issue.received}`;
        if (path !== null && issue.received === 'undefined') return `${path} is required`;
      }
      return path === null ? issue.message : `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses a JSON body that must be an object. */
export function parseJsonObject(body: string | undefined): Record<string, unknown> {
  if (body === undefined || body.trim() === '') {
    throw new ApiError('INVALID_JSON', 'the request body must be a JSON object');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ApiError('INVALID_JSON', 'the request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError('INVALID_JSON', 'the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

const documented = new WeakMap<object, Record<string, unknown>>();

/**
 * How a schema that JSON Schema cannot express (`v.custom`) appears in the document; its checks
 * still run. Returns the schema.
 */
export function documentAs<S extends Schema>(schema: S, jsonSchema: Record<string, unknown>): S {
  // A pipe is converted item by item: the override belongs to its first schema.
  documented.set('pipe' in schema ? (schema.pipe as readonly object[])[0]! : schema, jsonSchema);
  return schema;
}

const overrideSchema = ({ valibotSchema, jsonSchema }: { valibotSchema: object; jsonSchema: Record<string, unknown> }) => {
  const replacement = documented.get(valibotSchema);
  return replacement === undefined ? undefined : { ...replacement, ...jsonSchema, ...replacement };
};

/** Request schemas are documented as the caller writes them: up to the first transformation. */
const REQUEST_SCHEMA_OPTIONS = { options: { typeMode: 'input', target: 'draft-2020-12', overrideSchema } } as const;
const RESPONSE_SCHEMA_OPTIONS = { options: { typeMode: 'output', target: 'draft-2020-12', overrideSchema } } as const;

type Target = 'param' | 'query' | 'json';
const TARGET_NAMES: Record<Target, string> = { param: 'path', query: 'query', json: 'request body' };

/**
 * Validates one part of the request with `schema` (the old router's semantics: a body is parsed as
 * JSON whatever its content type, and must be an object) and hands the output to the handler via
 * `c.req.valid(target)`. Registered with hono-openapi like its own validator, so the document's
 * parameters and request body come from the very schema that validates them.
 */
function validation(target: Target, schema: Schema): MiddlewareHandler {
  const middleware: MiddlewareHandler = async (c, next) => {
    const input =
      target === 'param'
        ? c.req.param()
        : target === 'query'
          ? Object.fromEntries(new URL(c.req.url).searchParams)
          : parseJsonObject(await c.req.text());
    const result = v.safeParse(schema, input);
    if (!result.success) throw new ApiError('INVALID_REQUEST', `invalid ${TARGET_NAMES[target]}: ${describeIssues(result.issues)}`);
    c.req.addValidatedData(target, result.output as never);
    await next();
  };
  return Object.assign(middleware, { [uniqueSymbol]: { target, ...resolver(schema, REQUEST_SCHEMA_OPTIONS) } });
}

/** The query parameter names a route's query schema defines (none without one). */
export function queryParameterNames(schema: Schema | undefined): ReadonlySet<string> {
  if (schema === undefined) return new Set();
  let object: object = schema;
  while (!('entries' in object) && 'pipe' in object) object = (object.pipe as readonly object[])[0]!;
  if (!('entries' in object)) throw new Error('a route\'s query schema must be an object schema (or a pipe starting with one)');
  return new Set(Object.keys(object.entries as Record<string, unknown>));
}

const MAX_NAME_IN_MESSAGE = 64;

/**
 * Refuses a query parameter the route does not define, whatever its schema does with unknown
 * keys: a parameter that means nothing here is a mistake or a path cut short at a `?` (a DELETE
 * of `/pipelines/4?/verification` must not delete pipeline 4), never something to ignore.
 */
function definedQueryOnly(route: { method: HttpMethod; path: string }, allowed: ReadonlySet<string>): MiddlewareHandler {
  const takes = allowed.size === 0 ? 'takes no query parameters' : `takes only ${[...allowed].join(', ')}`;
  return async (c, next) => {
    for (const name of new URL(c.req.url).searchParams.keys()) {
      if (allowed.has(name)) continue;
      const shown = name.length > MAX_NAME_IN_MESSAGE ? `${name.slice(0, MAX_NAME_IN_MESSAGE)}…` : name;
      throw new ApiError('INVALID_REQUEST', `invalid query: unknown parameter ${JSON.stringify(shown)} (${route.method} ${route.path} ${takes})`);
    }
    await next();
  };
}

function sizeLimit(maxBodyBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const body = await c.req.text();
    if (Buffer.byteLength(body, 'utf8') > maxBodyBytes) throw new ApiError('PAYLOAD_TOO_LARGE', `the request body exceeds ${maxBodyBytes} bytes`);
    await next();
  };
}

// ---- the document side of a route ----

export const jsonContent = (schema: Schema) => ({ 'application/json': { schema: resolver(schema, RESPONSE_SCHEMA_OPTIONS) } });

export function errorResponses(codes: readonly ApiErrorCode[]): NonNullable<DescribeRouteOptions['responses']> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of codes) byStatus.set(API_ERRORS[code].status, [...(byStatus.get(API_ERRORS[code].status) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, statusCodes]) => [
      String(status),
      {
        description: statusCodes.map((code) => `\`${code}\`: ${API_ERRORS[code].description}`).join(' '),
        ...(status === 401 ? { headers: { 'WWW-Authenticate': { description: '`Bearer`', schema: { type: 'string' } } } } : {}),
        content: jsonContent(errorBodySchema(statusCodes)),
      },
    ]),
  );
}

function describe(spec: Route<unknown>['spec']): DescribeRouteOptions {
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    tags: spec.tags,
    ...(spec.public === true ? { security: [] } : {}),
    responses: {
      ...Object.fromEntries(
        Object.entries(spec.responses).map(([status, response]) => [status, { description: response.description, content: jsonContent(response.schema) }]),
      ),
      ...errorResponses(routeErrorCodes(spec)),
    },
  };
}

// ---- the app ----

export function jsonReply(c: Context, status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(body), status as 200, { ...RESPONSE_HEADERS, ...headers });
}

function errorReply(c: Context, error: ApiError): Response {
  return jsonReply(c, error.status, { error: error.code, message: error.message }, error.headers);
}

export interface ApiOptions<D> {
  routes: readonly Route<D>[];
  deps: D;
  /** True when the request carries a valid credential. Runs before anything but a public route. */
  authenticate(request: Request): Promise<boolean>;
  /** Where unexpected errors go (never with the request's headers). */
  logError(message: string, detail: Record<string, unknown>): void;
}

const toHonoPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** The Hono app of `routes`: public routes first, then auth, then the rest. */
export function buildApp<D>(options: ApiOptions<D>): Hono {
  // Trailing slashes do not matter (strict: false); PatternRouter is the smallest of Hono's routers.
  const app = new Hono({ strict: false });
  const methodsOf = new PatternRouter<HttpMethod>();
  const register = (route: Route<D>) => {
    const { spec } = route;
    const path = toHonoPath(route.path);
    methodsOf.add('ALL', path, route.method);
    const chain: MiddlewareHandler[] = [describeRoute(describe(spec))];
    if (route.method !== 'GET') chain.push(sizeLimit(spec.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES));
    chain.push(definedQueryOnly(route, queryParameterNames(spec.query)));
    if (spec.params !== undefined) chain.push(validation('param', spec.params));
    if (spec.query !== undefined) chain.push(validation('query', spec.query));
    if (spec.body !== undefined) chain.push(validation('json', spec.body));
    app.on(route.method, [path], ...chain, async (c) => {
      const valid = c.req.valid.bind(c.req) as (target: Target) => unknown;
      const reply = await spec.handle({
        params: (spec.params === undefined ? undefined : valid('param')) as never,
        query: (spec.query === undefined ? undefined : valid('query')) as never,
        body: (spec.body === undefined ? undefined : valid('json')) as never,
        deps: options.deps,
        request: c.req.raw,
      });
      return jsonReply(c, reply.status, reply.body, reply.headers);
    });
  };

  for (const route of options.routes.filter((r) => r.spec.public === true)) register(route);
  app.use('*', async (c, next) => {
    if (!(await options.authenticate(c.req.raw))) {
      throw new ApiError('UNAUTHORIZED', 'a valid admin credential is required: Authorization: Bearer hla_...', { 'www-authenticate': 'Bearer' });
    }
    await next();
  });
  for (const route of options.routes.filter((r) => r.spec.public !== true)) register(route);

  app.notFound((c) => {
    const [matches] = methodsOf.match('ALL', c.req.path);
    const allow = [...new Set(matches.map(([method]) => method))];
    const method = c.req.method.toUpperCase();
    if (allow.length === 0) return errorReply(c, new ApiError('ROUTE_NOT_FOUND', `no route for ${method} ${c.req.path}`));
    return errorReply(c, new ApiError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${c.req.path}`, { allow: allow.join(', ') }));
  });
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorReply(c, error);
    options.logError('unexpected error in the management API', {
      method: c.req.method,
      path: c.req.path,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return jsonReply(c, 500, { error: 'INTERNAL', message: 'internal error' });
  });
  return app;
}

// ---- requests in, answers out ----

const URL_BASE = 'https://management.hooklake.invalid';

/**
 * The path as a URL path that routes like the old router's segments: a leading slash, empty
 * segments dropped, and every character URL parsing would reinterpret (`?`, `#`, `\`, controls,
 * a `%` that starts no escape) percent-encoded, so it can neither leave the path nor change it.
 */
export function urlPath(path: string): string {
  const segments = path.split('/').filter((segment) => segment !== '');
  const encoded = segments
    .join('/')
    .replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, (ch) =>
      [...Buffer.from(ch, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    );
  return `/${encoded}`;
}

/** Runs one decoded request through the app. */
export async function handleRequest(app: Hono, request: ApiRequest): Promise<ApiResponse> {
  const method = request.method.toUpperCase();
  const query = request.query.toString();
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    try {
      headers.set(name, value);
    } catch {
      // A name or value the Fetch API refuses (non-Latin-1, control characters): never one we read.
    }
  }
  const hasBody = request.body !== undefined && method !== 'GET' && method !== 'HEAD';
  const response = await app.fetch(
    new Request(`${URL_BASE}${urlPath(request.path)}${query === '' ? '' : `?${query}`}`, {
      method,
      headers,
      ...(hasBody ? { body: request.body } : {}),
    }),
  );
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}
