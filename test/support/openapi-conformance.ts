// Checks that an answer of the management API is one the OpenAPI document promises: the operation
// matched by method and path lists the status, and the body validates (ajv, JSON Schema 2020-12)
// against that status's schema; an unknown path must be 404 ROUTE_NOT_FOUND, a known path with
// another method 405 METHOD_NOT_ALLOWED with an Allow header naming the document's methods, and
// any request may be refused 401 UNAUTHORIZED first. Every answer is JSON and `no-store`.
// Integration tests pass every /v4/ answer through it, so the document cannot drift from the code.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { API_ROUTES } from '../../shared/api/app.ts';
import { openApiDocument, type OpenApiDocument } from '../../shared/api/openapi.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export interface Exchange {
  method: string;
  /** Path, with or without the query string. */
  path: string;
  status: number;
  headers: Headers | Record<string, string | number | boolean | undefined>;
  /** The answer's text. */
  body: string;
}

export interface ConformanceChecker {
  /** Throws, saying what does not conform, unless the answer is one the document promises. */
  check(exchange: Exchange): void;
  /** Operations seen so far, as `METHOD /path/{template}` (or the special answers). */
  seen: Set<string>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
const SPECIAL = { unauthorized: '401 UNAUTHORIZED', routeNotFound: '404 ROUTE_NOT_FOUND', methodNotAllowed: '405 METHOD_NOT_ALLOWED' };

interface PathTemplate {
  template: string;
  pattern: RegExp;
  literalSegments: number;
  methods: string[];
}

const pointer = (...parts: string[]) => `#/${parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

function headerOf(headers: Exchange['headers'], name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return found?.[1] === undefined ? undefined : String(found[1]);
}

/** A checker over `document` (default: the document the code generates). */
export async function conformanceChecker(document?: OpenApiDocument): Promise<ConformanceChecker> {
  const doc = (document ?? (await openApiDocument(API_ROUTES))) as unknown as {
    paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }>>;
    components?: { responses?: Record<string, unknown> };
  };
  // The document's own keywords (openapi, info, paths, example) are not JSON Schema: not strict.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(doc as object, 'openapi.json');
  const validators = new Map<string, ValidateFunction>();
  const validatorAt = (ref: string) => {
    let validate = validators.get(ref);
    if (validate === undefined) {
      validate = ajv.getSchema(`openapi.json${ref}`);
      if (validate === undefined) throw new Error(`the document has no schema at ${ref}`);
      validators.set(ref, validate);
    }
    return validate;
  };

  const templates: PathTemplate[] = Object.entries(doc.paths)
    .map(([template, item]) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
      literalSegments: template.split('/').filter((segment) => segment !== '' && !segment.startsWith('{')).length,
      methods: METHODS.filter((method) => item[method] !== undefined),
    }))
    // A literal segment beats a parameter where both match.
    .sort((a, b) => b.literalSegments - a.literalSegments);

  const seen = new Set<string>();

  function validateBody(ref: string, body: unknown, what: string): void {
    const validate = validatorAt(ref);
    if (!validate(body)) {
      throw new Error(`${what}: the body does not match ${ref}: ${ajv.errorsText(validate.errors, { separator: '; ' })}\nbody: ${JSON.stringify(body).slice(0, 500)}`);
    }
  }

  return {
    seen,
    check(exchange) {
      const method = exchange.method.toLowerCase();
      const path = (exchange.path.split('?')[0] ?? '').replace(/\/+$/, '') || '/';
      const what = `${exchange.method.toUpperCase()} ${exchange.path} → ${exchange.status}`;
      const contentType = headerOf(exchange.headers, 'content-type') ?? '';
      if (!/^application\/json\b/.test(contentType)) throw new Error(`${what}: content-type is ${JSON.stringify(contentType)}, not JSON`);
      if (headerOf(exchange.headers, 'cache-control') !== 'no-store') throw new Error(`${what}: cache-control is not no-store`);
      let body: unknown;
      try {
        body = JSON.parse(exchange.body);
      } catch {
        throw new Error(`${what}: the body is not JSON: ${exchange.body.slice(0, 200)}`);
      }
      const template = templates.find((candidate) => candidate.pattern.test(path));
      const operation = template === undefined ? undefined : doc.paths[template.template]![method];
      const isPublic = operation?.security !== undefined && operation.security.length === 0;

      if (exchange.status === 401 && !isPublic) {
        if (headerOf(exchange.headers, 'www-authenticate') !== 'Bearer') throw new Error(`${what}: 401 without WWW-Authenticate: Bearer`);
        validateBody(pointer('components', 'schemas', 'ErrorUnauthorized'), body, what);
        seen.add(operation === undefined ? SPECIAL.unauthorized : `${method.toUpperCase()} ${template!.template} 401`);
        return;
      }
      if (template === undefined) {
        if (exchange.status !== 404) throw new Error(`${what}: no path of the document matches ${path}, so only 404 ROUTE_NOT_FOUND (or 401) may answer`);
        validateBody(pointer('components', 'responses', 'RouteNotFound', 'content', 'application/json', 'schema'), body, what);
        seen.add(SPECIAL.routeNotFound);
        return;
      }
      if (operation === undefined) {
        if (exchange.status !== 405) throw new Error(`${what}: ${template.template} has no ${method.toUpperCase()}, so only 405 METHOD_NOT_ALLOWED (or 401) may answer`);
        validateBody(pointer('components', 'responses', 'MethodNotAllowed', 'content', 'application/json', 'schema'), body, what);
        const allow = (headerOf(exchange.headers, 'allow') ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
        if ([...allow].sort().join() !== [...template.methods].sort().join()) {
          throw new Error(`${what}: Allow is ${JSON.stringify(allow)}, the document has ${JSON.stringify(template.methods)} for ${template.template}`);
        }
        seen.add(SPECIAL.methodNotAllowed);
        return;
      }
      const response = operation.responses[String(exchange.status)];
      if (response === undefined) {
        throw new Error(`${what}: ${method.toUpperCase()} ${template.template} documents ${Object.keys(operation.responses).join(', ')}, not ${exchange.status}\nbody: ${exchange.body.slice(0, 300)}`);
      }
      if (response.content?.['application/json'] === undefined) throw new Error(`${what}: the document has no JSON body for this answer`);
      validateBody(pointer('paths', template.template, method, 'responses', String(exchange.status), 'content', 'application/json', 'schema'), body, what);
      seen.add(`${method.toUpperCase()} ${template.template} ${exchange.status}`);
    },
  };
}

let shared: Promise<ConformanceChecker> | undefined;

/** One checker per test process, over the generated document. */
export function sharedConformanceChecker(): Promise<ConformanceChecker> {
  shared ??= conformanceChecker();
  return shared;
}
