// The published contract: the generated OpenAPI document is valid OpenAPI 3.1 (checked by an
// independent validator), covers every route with every status it can answer, is what
// GET /v4/openapi.json serves without a credential, and is committed as docs/openapi.json.
// The conformance checker the integration tests use is tested here against answers that are wrong.
import { readFileSync } from 'node:fs';
import { validate, compileErrors } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { API_ROUTES, managementApi } from '../../../../shared/api/app.ts';
import { openApiDocument } from '../../../../shared/api/openapi.ts';
import { routeErrorCodes } from '../../../../shared/api/router.ts';
import { API_ERRORS } from '../../../../shared/api/errors.ts';
import { DOCUMENT_FILE, openApiDocumentText } from '../../../../scripts/openapi.ts';
import { conformanceChecker } from '../../../support/openapi-conformance.ts';
import { fakeSubscriptionService } from '../../../support/fake-subscription-service.ts';
import { memoryManagementStore } from '../../../../shared/adapters/memory/management-store.ts';

type Operation = { operationId: string; security?: unknown[]; responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
const documentOf = async () => (await openApiDocument(API_ROUTES)) as unknown as { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 for @readme/openapi-parser', async () => {
    const document = structuredClone(await openApiDocument(API_ROUTES));
    const result = await validate(document as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
    expect((document as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('has one operation per route, each with its success statuses and every error status its codes need', async () => {
    const { paths } = await documentOf();
    const operations = Object.values(paths).flatMap((item) => Object.values(item));
    expect(operations).toHaveLength(API_ROUTES.length);
    for (const route of API_ROUTES) {
      const operation = paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      const statuses = new Set([...Object.keys(route.spec.responses), ...routeErrorCodes(route.spec).map((code) => String(API_ERRORS[code].status))]);
      expect(Object.keys(operation!.responses).sort()).toEqual([...statuses].sort());
      for (const response of Object.values(operation!.responses)) expect(response.content?.['application/json']?.schema).toBeDefined();
      expect(operation!.security === undefined ? 'credential' : 'public').toBe(route.spec.public === true ? 'public' : 'credential');
    }
  });

  it('is served by GET /v4/openapi.json without a credential, as generated', async () => {
    const api = managementApi({
      deps: { store: memoryManagementStore(), clock: { nowMs: () => 0 }, subscriptions: fakeSubscriptionService() },
      logError: () => undefined,
    });
    const response = await api({ method: 'GET', path: '/v4/openapi.json', headers: {}, query: new URLSearchParams(), body: undefined });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual(await openApiDocument(API_ROUTES));
    (await conformanceChecker()).check({ method: 'GET', path: '/v4/openapi.json', status: response.status, headers: response.headers, body: response.body });
    const other = await api({ method: 'POST', path: '/v4/openapi.json', headers: {}, query: new URLSearchParams(), body: '{}' });
    expect(other.status).toBe(401);
  });

  it('is committed as docs/openapi.json, up to date (npm run openapi regenerates it)', async () => {
    expect(readFileSync(DOCUMENT_FILE, 'utf8'), 'docs/openapi.json is stale: run npm run openapi').toBe(await openApiDocumentText());
  });
});

describe('the conformance checker', () => {
  const json = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  const pipeline = { pipeline_id: 1, name: 'shop', created_at: '2026-11-20T12:00:00.000Z' };
  const exchange = (method: string, path: string, status: number, body: unknown, headers: Record<string, string> = json) => ({
    method,
    path,
    status,
    headers,
    body: JSON.stringify(body),
  });

  it('passes answers the document promises', async () => {
    const checker = await conformanceChecker();
    checker.check(exchange('POST', '/v4/pipelines', 201, pipeline));
    checker.check(exchange('GET', '/v4/pipelines/7', 404, { error: 'NOT_FOUND', message: 'pipeline 7 does not exist' }));
    checker.check(exchange('GET', '/v4/nothing', 404, { error: 'ROUTE_NOT_FOUND', message: 'no route' }));
    checker.check(exchange('PUT', '/v4/tokens', 405, { error: 'METHOD_NOT_ALLOWED', message: 'no' }, { ...json, allow: 'POST, GET' }));
    checker.check(exchange('GET', '/v4/nothing', 401, { error: 'UNAUTHORIZED', message: 'no' }, { ...json, 'www-authenticate': 'Bearer' }));
    expect(checker.seen).toEqual(new Set(['POST /v4/pipelines 201', 'GET /v4/pipelines/{id} 404', '404 ROUTE_NOT_FOUND', '405 METHOD_NOT_ALLOWED', '401 UNAUTHORIZED']));
  });

  it.each([
    ['a field the schema does not have', exchange('POST', '/v4/pipelines', 201, { ...pipeline, secret: 'x' }), /must NOT have additional properties/],
    ['a field of the wrong type', exchange('POST', '/v4/pipelines', 201, { ...pipeline, pipeline_id: '1' }), /must be integer/],
    ['a missing field', exchange('GET', '/v4/tokens', 200, { tokens: [{ key: 'k' }] }), /must have required property/],
    ['a time that is not date-time', exchange('POST', '/v4/pipelines', 201, { ...pipeline, created_at: 'yesterday' }), /must match format "date-time"/],
    ['a status the operation does not document', exchange('POST', '/v4/pipelines', 200, pipeline), /documents .* not 200/],
    ['an error code the operation does not produce', exchange('GET', '/v4/pipelines', 409, { error: 'CONFLICT', message: 'x' }), /not 409/],
    ['an error code of another status', exchange('GET', '/v4/pipelines/1', 404, { error: 'ROUTE_NOT_FOUND', message: 'x' }), /must be equal to one of the allowed values/],
    ['a 405 whose Allow differs from the document', exchange('PUT', '/v4/tokens', 405, { error: 'METHOD_NOT_ALLOWED', message: 'x' }, { ...json, allow: 'GET' }), /Allow is/],
    ['a 401 without WWW-Authenticate', exchange('GET', '/v4/pipelines', 401, { error: 'UNAUTHORIZED', message: 'x' }), /WWW-Authenticate/],
    ['an unknown path answered 200', exchange('GET', '/v4/nothing', 200, {}), /only 404/],
    ['an answer that may be cached', exchange('GET', '/v4/pipelines', 200, { pipelines: [] }, { 'content-type': 'application/json' }), /no-store/],
  ])('fails %s', async (_what, wrong, message) => {
    const checker = await conformanceChecker();
    expect(() => checker.check(wrong)).toThrow(message);
  });
});
