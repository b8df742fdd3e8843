// Every error the management API answers with: `{"error": CODE, "message": "..."}`, its status
// and what it means (the OpenAPI document lists, per operation, the codes it can produce).
import * as v from 'valibot';

export const API_ERRORS = {
  INVALID_JSON: { status: 400, description: 'The body is not JSON, or not a JSON object.' },
  INVALID_REQUEST: {
    status: 400,
    description: 'Well-formed JSON, but a field, path parameter, query parameter or cursor is wrong; or a query parameter the operation does not define (an operation without query parameters refuses any).',
  },
  INVALID_TARGET: {
    status: 400,
    description: 'A webhook URL refused: not http(s), credentials in it, or an address the SSRF rules refuse (private, loopback, link-local, metadata).',
  },
  INVALID_EVENT_TYPE: { status: 400, description: 'An event type that is malformed, reserved, or not allowed here (e.g. subscribing to `ping`).' },
  UNAUTHORIZED: { status: 401, description: 'No `Authorization: Bearer <admin credential>`, or not a valid, unrevoked one.' },
  NOT_FOUND: { status: 404, description: 'The addressed resource (pipeline, token, admin, subscription, delivery, sync, run) does not exist.' },
  ROUTE_NOT_FOUND: { status: 404, description: 'No route has this path.' },
  METHOD_NOT_ALLOWED: { status: 405, description: 'The path exists, the method does not (see the `Allow` header).' },
  UNKNOWN_PIPELINE: { status: 409, description: 'The request names a pipeline that does not exist (a token scope, a subscription filter).' },
  CONFLICT: {
    status: 409,
    description:
      'The request conflicts with the current state: a subscription or sync changed by another request since it was read, revoking the credential that makes the call, or running a sync that is disabled or has a run in progress.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    description: 'The body exceeds the route\'s limit (64 KiB; 128 KiB for POST /v4/syncs; 260 KiB for POST /v4/events), or event data exceeds 256 KiB of JSON.',
  },
  CONNECTION_TEST_FAILED: {
    status: 422,
    description: 'The endpoint did not answer the signed `ping` with a 2xx in time; the message shows its answer (status, start of the body). Fix it, or skip the test.',
  },
  INTERNAL: { status: 500, description: 'A fault on our side; the detail is logged, never returned.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export const API_ERROR_CODES = Object.keys(API_ERRORS) as ApiErrorCode[];

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
    this.status = API_ERRORS[code].status;
    this.headers = headers;
  }
}

/** NOT_FOUND of an addressed resource: `pipeline 7 does not exist`. */
export function notFound(what: string, id: string | number): ApiError {
  return new ApiError('NOT_FOUND', `${what} ${id} does not exist`);
}

const pascal = (code: string) => code.toLowerCase().replace(/(^|_)([a-z])/g, (_, _sep: string, letter: string) => letter.toUpperCase());

/** The body of every error answer, `error` being one of `codes`; named after them in the document (`ErrorNotFoundOrConflict`). */
export function errorBodySchema(codes: readonly ApiErrorCode[]) {
  return v.pipe(
    v.strictObject({
      error: v.pipe(v.picklist(codes), v.description('What went wrong, as a stable code.')),
      message: v.pipe(v.string(), v.description('The same in words, for a human; never parse it.')),
    }),
    v.metadata({ ref: `Error${codes.map(pascal).join('Or')}` }),
  );
}

export type ErrorBody = { error: ApiErrorCode; message: string };
