// A small JSON-over-HTTP router for the management API: route table, request validation
// (valibot), the error codes and their statuses. Pure: no AWS, no I/O but what `deps` does.
import * as v from 'valibot';

/** Every error the API answers with: `{"error": CODE, "message": "..."}`. */
export const API_ERRORS = {
  /** The body is not JSON (or not a JSON object). */
  INVALID_JSON: 400,
  /** Well-formed JSON, but a field, path parameter or query is wrong. */
  INVALID_REQUEST: 400,
  /** No `Authorization: Bearer <admin credential>`, or not a valid one. */
  UNAUTHORIZED: 401,
  /** The addressed resource (pipeline, token, ...) does not exist. */
  NOT_FOUND: 404,
  /** No route has this path. */
  ROUTE_NOT_FOUND: 404,
  /** The path exists, the method does not (see the `Allow` header). */
  METHOD_NOT_ALLOWED: 405,
  /** A webhook URL refused: not http(s), credentials in it, or a private/loopback/metadata address. */
  INVALID_TARGET: 400,
  /** An event type that is malformed, reserved, or not allowed here (e.g. subscribing to `ping`). */
  INVALID_EVENT_TYPE: 400,
  /** The request names resources that do not exist (e.g. a token scoped to an unknown pipeline). */
  UNKNOWN_PIPELINE: 409,
  /** The request conflicts with the current state. */
  CONFLICT: 409,
  /** The body is larger than MAX_REQUEST_BODY_BYTES (or the route's own limit). */
  PAYLOAD_TOO_LARGE: 413,
  /** A fault on our side; the detail is logged, not returned. */
  INTERNAL: 500,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** Management requests are small; anything larger is refused before parsing. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(code: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = API_ERRORS[code];
    this.headers = headers;
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** An HTTP request, already decoded from whatever carried it (API Gateway, node:http). */
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
  headers?: Record<string, string>;
  /** Serialized as JSON; undefined means no body. */
  body?: unknown;
}

type Output<S> = S extends v.GenericSchema ? v.InferOutput<S> : undefined;

export interface RouteSpec {
  /** Validates the `{name}` parameters of the pattern (strings in). */
  params?: v.GenericSchema;
  /** Validates the JSON body; without it the body is ignored. */
  body?: v.GenericSchema;
  /** Validates the query string (as a plain object of strings). */
  query?: v.GenericSchema;
  /** Body size limit of this route; default MAX_REQUEST_BODY_BYTES. */
  maxBodyBytes?: number;
}

export interface RouteContext<D, S extends RouteSpec> {
  params: Output<S['params']>;
  body: Output<S['body']>;
  query: Output<S['query']>;
  request: ApiRequest;
  deps: D;
}

export interface Route<D> {
  method: HttpMethod;
  pattern: string;
  /** Literal segments as strings, parameters as `{ param: name }`. */
  segments: ReadonlyArray<string | { param: string }>;
  spec: RouteSpec;
  handle(context: RouteContext<D, RouteSpec>): Promise<ApiResponse>;
}

/**
 * `const route = routeFor<Deps>()`, then one line per route:
 * `route('GET', '/v4/pipelines/{id}', { params: IdParams }, ({ params, deps }) => ...)`.
 */
export function routeFor<D>() {
  return <const S extends RouteSpec>(
    method: HttpMethod,
    pattern: string,
    spec: S,
    handle: (context: RouteContext<D, S>) => Promise<ApiResponse>,
  ): Route<D> => ({
    method,
    pattern,
    segments: splitPath(pattern).map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment)?.[1];
      return param === undefined ? segment : { param };
    }),
    spec,
    handle: handle as Route<D>['handle'],
  });
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

export type RouteMatch<D> =
  | { kind: 'route'; route: Route<D>; params: Record<string, string> }
  | { kind: 'no_route' }
  | { kind: 'no_method'; allow: HttpMethod[] };

/** Finds the route for a method and path; trailing slashes and empty segments are ignored. */
export function matchRoute<D>(routes: readonly Route<D>[], method: string, path: string): RouteMatch<D> {
  const segments = splitPath(path);
  const allow: HttpMethod[] = [];
  for (const route of routes) {
    const params = matchSegments(route.segments, segments);
    if (params === undefined) continue;
    if (route.method === method.toUpperCase()) return { kind: 'route', route, params };
    if (!allow.includes(route.method)) allow.push(route.method);
  }
  return allow.length === 0 ? { kind: 'no_route' } : { kind: 'no_method', allow };
}

function matchSegments(
  pattern: Route<unknown>['segments'],
  segments: string[],
): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, expected] of pattern.entries()) {
    const actual = segments[index]!;
    if (typeof expected === 'string') {
      if (expected !== actual) return undefined;
    } else {
      let decoded: string;
      try {
        decoded = decodeURIComponent(actual);
      } catch {
        decoded = actual;
      }
      params[expected.param] = decoded;
    }
  }
  return params;
}

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

function validate<S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (!result.success) throw new ApiError('INVALID_REQUEST', `invalid ${what}: ${describeIssues(result.issues)}`);
  return result.output;
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

export function errorResponse(error: ApiError): ApiResponse {
  return {
    status: error.status,
    headers: error.headers,
    body: { error: error.code, message: error.message },
  };
}

export interface ApiPipeline<D> {
  routes: readonly Route<D>[];
  deps: D;
  /** True when the request carries a valid credential. Runs before anything else. */
  authenticate(request: ApiRequest): Promise<boolean>;
  /** Where unexpected errors go (never with the request's headers). */
  logError(message: string, detail: Record<string, unknown>): void;
}

/** Auth → route → size (the route's limit) → validation → handler; every failure becomes a JSON error response. */
export async function handleApiRequest<D>(request: ApiRequest, api: ApiPipeline<D>): Promise<ApiResponse> {
  try {
    if (!(await api.authenticate(request))) {
      throw new ApiError('UNAUTHORIZED', 'a valid admin credential is required: Authorization: Bearer hla_...', {
        'www-authenticate': 'Bearer',
      });
    }
    const match = matchRoute(api.routes, request.method, request.path);
    const maxBodyBytes = (match.kind === 'route' ? match.route.spec.maxBodyBytes : undefined) ?? MAX_REQUEST_BODY_BYTES;
    if (request.body !== undefined && Buffer.byteLength(request.body, 'utf8') > maxBodyBytes) {
      throw new ApiError('PAYLOAD_TOO_LARGE', `the request body exceeds ${maxBodyBytes} bytes`);
    }
    if (match.kind === 'no_route') {
      throw new ApiError('ROUTE_NOT_FOUND', `no route for ${request.method.toUpperCase()} ${request.path}`);
    }
    if (match.kind === 'no_method') {
      throw new ApiError('METHOD_NOT_ALLOWED', `${request.method.toUpperCase()} is not allowed on ${request.path}`, {
        allow: match.allow.join(', '),
      });
    }
    const { route } = match;
    const context: RouteContext<D, RouteSpec> = {
      params: (route.spec.params === undefined
        ? undefined
        : validate(route.spec.params, match.params, 'path')) as never,
      query: (route.spec.query === undefined
        ? undefined
        : validate(route.spec.query, Object.fromEntries(request.query), 'query')) as never,
      body: (route.spec.body === undefined
        ? undefined
        : validate(route.spec.body, parseJsonObject(request.body), 'request body')) as never,
      request,
      deps: api.deps,
    };
    return await route.handle(context);
  } catch (error) {
    if (error instanceof ApiError) return errorResponse(error);
    api.logError('unexpected error in the management API', {
      method: request.method,
      path: request.path,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return { status: 500, body: { error: 'INTERNAL', message: 'internal error' } };
  }
}
