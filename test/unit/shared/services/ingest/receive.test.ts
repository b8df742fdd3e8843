import fc from 'fast-check';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { createReceiverHandler } from '../../../../../functions/receiver/app.ts';
import { sha256Hex } from '../../../../../shared/domain/credentials.ts';
import { parseIngestMessage } from '../../../../../shared/domain/ingest/message.ts';
import type { BodyRef } from '../../../../../shared/domain/ingest/message.ts';
import type { ClaimStore } from '../../../../../shared/ports/ingest.ts';
import type { ReceiveDeps } from '../../../../../shared/services/ingest/receive.ts';
import { MAX_BODY_BYTES } from '../../../../../shared/domain/ingest/event-limits.ts';

const KEY = 'd538b946-9d55-405a-9bd2-72d74b1cb8f5';
const TOKEN = 'Abc123def456GHI789jkl012';

// In-memory implementations of the ports (not SDK mocks): the SDK paths are covered by the
// integration tests against the emulators.
function fakeDeps(overrides: Partial<ReceiveDeps> = {}) {
  const sent: string[] = [];
  const claims = new Map<string, string>();
  const claimStore: ClaimStore = {
    put: async (ref: BodyRef, body: string) => void claims.set(ref.key, body),
    get: async (ref: BodyRef) => claims.get(ref.key)!,
  };
  const deps: ReceiveDeps = {
    queue: { send: async (text) => void sent.push(text) },
    claims: async () => claimStore,
    clock: { nowMs: () => 1_577_015_690_311.8637 },
    lakeBucket: 'lake',
    maxBodyBytes: 6_000_000,
    maxMessageBytes: 1_000_000,
    ...overrides,
  };
  return { deps, sent, claims };
}

/**
 * The event each front door builds (infra/local/gateway.ts, infra/local/function-url.ts): API
 * Gateway's `ANY /` route, or the receiver's function URL, whose route key and stage are
 * `$default`, whose account is `anonymous` (auth NONE), and whose requests carry every path.
 */
const FRONT_DOORS = {
  'API Gateway (ANY /)': (method: string) =>
    ({ routeKey: 'ANY /', requestContext: { http: { method, path: '/' }, routeKey: 'ANY /', stage: '$default', accountId: '123456789012' } }) as const,
  'function URL': (method: string) =>
    ({
      routeKey: '$default',
      requestContext: { http: { method, path: '/' }, routeKey: '$default', stage: '$default', accountId: 'anonymous', domainName: 'abc.lambda-url.us-east-1.on.aws', time: '07/Sep/2021:22:50:22 +0000' },
    }) as const,
};
type FrontDoorName = keyof typeof FRONT_DOORS;
let door: FrontDoorName = 'API Gateway (ANY /)';

function event(method: string, rawQueryString: string, body?: string, contentType = 'application/json'): APIGatewayProxyEventV2 {
  const shape = FRONT_DOORS[door](method);
  return {
    version: '2.0',
    routeKey: shape.routeKey,
    rawPath: '/',
    rawQueryString,
    headers: { 'content-type': contentType },
    requestContext: shape.requestContext as unknown as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body }),
  };
}

async function invoke(deps: ReceiveDeps, e: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return createReceiverHandler(deps)(e, {} as Context);
}

const valid = `pipeline_id=42&key=${KEY}&token=${TOKEN}`;

describe.each(Object.keys(FRONT_DOORS) as FrontDoorName[])('through %s', (frontDoor) => {
  beforeEach(() => {
    door = frontDoor;
  });

  describe('receiver handler', () => {
    it('answers 200 with a 20-letter id and a sub-second timestamp, and enqueues without the token', async () => {
      const { deps, sent } = fakeDeps();
      const result = await invoke(deps, event('POST', valid, '{"order":1}'));
      expect(result.statusCode).toBe(200);
      expect(result.headers?.['content-type']).toBe('application/json');
      const reply = JSON.parse(result.body!);
      expect(reply.success).toBe(true);
      expect(reply.data.__kdd_request_id).toMatch(/^[a-z]{20}$/);
      expect(reply.data.__kdd_request_unix_timestamp).toBe(1577015690.3118637);
      expect(sent).toHaveLength(1);
      expect(sent[0]).not.toContain(TOKEN);
      const message = parseIngestMessage(sent[0]!);
      expect(message).toMatchObject({ id: reply.data.__kdd_request_id, pipelineId: 42, key: KEY, body: '{"order":1}' });
      expect(message.tokenSha256).toBe(sha256Hex(TOKEN));
    });

    it('request ids differ between requests', async () => {
      const { deps } = fakeDeps();
      const ids = new Set<string>();
      for (let i = 0; i < 50; i++) ids.add(JSON.parse((await invoke(deps, event('POST', valid, '{}'))).body!).data.__kdd_request_id);
      expect(ids.size).toBe(50);
    });

    it('decodes base64 bodies', async () => {
      const { deps, sent } = fakeDeps();
      const e = { ...event('POST', valid, Buffer.from('{"é":1}').toString('base64')), isBase64Encoded: true };
      expect((await invoke(deps, e)).statusCode).toBe(200);
      expect(parseIngestMessage(sent[0]!).body).toBe('{"é":1}');
    });

    it('puts a body too large for SQS in the claim store and sends a pointer', async () => {
      const { deps, sent, claims } = fakeDeps({ maxMessageBytes: 2048 });
      const body = JSON.stringify({ blob: 'x'.repeat(5000) });
      expect((await invoke(deps, event('POST', valid, body))).statusCode).toBe(200);
      const message = parseIngestMessage(sent[0]!);
      expect(message.body).toBeUndefined();
      expect(message.bodyRef?.key).toMatch(/^claims\/2019-12-22\/[a-z]{20}\.json$/);
      expect(claims.get(message.bodyRef!.key)).toBe(body);
      expect(Buffer.byteLength(sent[0]!)).toBeLessThan(2048);
    });

    it('enqueues the method, the headers with credentials redacted (Authorization, cookies) and the query data parameters', async () => {
      const { deps, sent } = fakeDeps();
      const e = event('POST', `${valid}&source=github`, '{"zen":"Keep it logically awesome."}');
      e.headers = {
        'content-type': 'application/json',
        authorization: 'Bearer sk_live_abc',
        'x-github-event': 'ping',
        'x-hub-signature-256': 'sha256=0f2e',
        'x-shopify-access-token': 'shpat_123',
      };
      e.cookies = ['session=s3cr3t'];
      expect((await invoke(deps, e)).statusCode).toBe(200);
      const message = parseIngestMessage(sent[0]!);
      expect(message.method).toBe('POST');
      expect(message.headers).toEqual({
        'content-type': 'application/json',
        authorization: '[redacted]',
        'x-github-event': 'ping',
        'x-hub-signature-256': 'sha256=0f2e',
        'x-shopify-access-token': '[redacted]',
        cookie: '[redacted]',
      });
      expect(message.query).toEqual({ source: 'github' });
      for (const secret of ['sk_live_abc', 'shpat_123', 's3cr3t', TOKEN]) expect(sent[0]).not.toContain(secret);
    });

    it('a form post carries the text as received in raw; a JSON post carries none', async () => {
      const { deps, sent } = fakeDeps();
      const form = 'leads%5Bstatus%5D%5B0%5D%5Bid%5D=1&text=a+b';
      expect((await invoke(deps, event('POST', valid, form, 'application/x-www-form-urlencoded'))).statusCode).toBe(200);
      expect(parseIngestMessage(sent[0]!)).toMatchObject({ format: 'form', body: '{"leads":{"status":[{"id":"1"}]},"text":"a b"}', raw: form });
      expect((await invoke(deps, event('POST', valid, '{"a":1}'))).statusCode).toBe(200);
      expect(parseIngestMessage(sent[1]!).raw).toBeUndefined();
    });

    it('a form too large for SQS sends body and raw text to the claim store, each whole, and points at both', async () => {
      const { deps, sent, claims } = fakeDeps({ maxMessageBytes: 2048 });
      const form = `blob=${'%E2%9C%93'.repeat(300)}&n=1`;
      expect((await invoke(deps, event('POST', valid, form, 'application/x-www-form-urlencoded'))).statusCode).toBe(200);
      const message = parseIngestMessage(sent[0]!);
      expect(message.body).toBeUndefined();
      expect(message.raw).toBeUndefined();
      expect(message.bodyRef?.key).toMatch(/^claims\/2019-12-22\/[a-z]{20}\.json$/);
      expect(message.rawRef?.key).toBe(message.bodyRef!.key.replace(/\.json$/, '.raw'));
      expect(claims.get(message.bodyRef!.key)).toBe(JSON.stringify({ blob: '✓'.repeat(300), n: '1' }));
      expect(claims.get(message.rawRef!.key)).toBe(form);
      expect(message.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' });
    });

    it('a failing queue is a 503 SERVICE_UNAVAILABLE, never a stack trace', async () => {
      const { deps } = fakeDeps({ queue: { send: async () => Promise.reject(new Error('connection refused')) } });
      const result = await invoke(deps, event('POST', valid, '{}'));
      expect(result.statusCode).toBe(503);
      expect(result.body).toBe('{"success":false,"error":"SERVICE_UNAVAILABLE"}');
    });

    it('client errors never reach the queue', async () => {
      const { deps, sent } = fakeDeps();
      const result = await invoke(deps, event('POST', `pipeline_id=1&key=${KEY}`, '{}'));
      expect(result).toMatchObject({ statusCode: 400, body: '{"success":false,"error":"MISSING_PARAMETER: token"}' });
      expect(sent).toHaveLength(0);
    });
  });

  const DOCUMENTED_ERRORS = new Set([
    'NO_PARAMETERS_PROVIDED',
    'MISSING_PARAMETER: pipeline_id',
    'MISSING_PARAMETER: key',
    'MISSING_PARAMETER: token',
    'INVALID_PARAMETER: pipeline_id',
    'INVALID_PARAMETER: key',
    'INVALID_PARAMETER: token',
    'NO_BODY_PROVIDED',
    'INVALID_BODY',
    'PAYLOAD_TOO_LARGE',
    'METHOD_NOT_ALLOWED',
  ]);

  function assertDocumentedReply(result: APIGatewayProxyStructuredResultV2): void {
    const reply = JSON.parse(result.body!);
    if (result.statusCode === 200) {
      expect(Object.keys(reply)).toEqual(['success', 'data']);
      expect(reply.success).toBe(true);
      expect(reply.data.__kdd_request_id).toMatch(/^[a-z]{20}$/);
      expect(typeof reply.data.__kdd_request_unix_timestamp).toBe('number');
    } else {
      expect(result.statusCode).toBe(400);
      expect(Object.keys(reply)).toEqual(['success', 'error']);
      expect(reply.success).toBe(false);
      expect(DOCUMENTED_ERRORS.has(reply.error)).toBe(true);
    }
  }

  describe('receiver properties', () => {
    const paramName = fc.oneof(fc.constantFrom('pipeline_id', 'key', 'token'), fc.string({ maxLength: 12 }));
    const paramValue = fc.oneof(
      fc.constantFrom(KEY, TOKEN, '42', '0', '-1', '', KEY.toUpperCase()),
      fc.string({ maxLength: 40 }),
      fc.uuid(),
      fc.stringMatching(/^[A-Za-z0-9]{1,50}$/),
    );
    const query = fc.oneof(
      fc.array(fc.tuple(paramName, paramValue), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString()),
      fc.string({ maxLength: 80 }),
    );
    const body = fc.option(
      fc.oneof(fc.json(), fc.string({ maxLength: 200 }), fc.jsonValue().map((value) => JSON.stringify(value)), fc.constant('')),
      { nil: undefined },
    );
    const method = fc.constantFrom('GET', 'POST', 'post', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH');
    const contentType = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', '', 'multipart/form-data');

    it('never answers 5xx nor anything outside the documented replies', async () => {
      const { deps } = fakeDeps();
      await fc.assert(
        fc.asyncProperty(method, query, body, contentType, fc.boolean(), async (m, q, b, ct, base64) => {
          const e = event(m, q, b === undefined ? undefined : base64 ? Buffer.from(b).toString('base64') : b, ct);
          e.isBase64Encoded = base64 && b !== undefined;
          assertDocumentedReply(await invoke(deps, e));
        }),
        { numRuns: 2000 },
      );
    });

    it('credential header values never reach the queue nor the log, whether the queue takes the message or fails', async () => {
      const written: string[] = [];
      const { stdout, stderr } = process;
      const originals = { out: stdout.write, err: stderr.write, level: process.env.HOOKLAKE_LOG_LEVEL };
      const capture = (chunk: unknown) => {
        written.push(String(chunk));
        return true;
      };
      stdout.write = capture as typeof stdout.write;
      stderr.write = capture as typeof stderr.write;
      delete process.env.HOOKLAKE_LOG_LEVEL;
      try {
        let failNext = false;
        const { deps, sent } = fakeDeps({
          queue: {
            send: async (text) => {
              if (failNext) throw new Error(`queue refused ${text.length} bytes`);
              sent.push(text);
            },
          },
        });
        const credentialName = fc.oneof(
          fc.constantFrom('Authorization', 'proxy-authorization', 'X-Api-Key', 'x-auth-token', 'X-Amz-Security-Token', 'set-cookie'),
          fc.constantFrom('token', 'secret', 'password', 'api-key', 'apikey', 'session').map((part) => `x-my-${part}-header`),
          fc.constantFrom('key', 'token', 'secret', 'password').map((part) => `x-my-${part}`),
        );
        await fc.assert(
          fc.asyncProperty(fc.dictionary(credentialName, fc.uuid().map((uuid) => `SECRET-${uuid}`), { minKeys: 1 }), fc.boolean(), async (credentials, fail) => {
            failNext = fail;
            const e = event('POST', valid, '{}');
            e.headers = { ...e.headers, 'x-github-event': 'push', ...credentials };
            e.cookies = ['sid=SECRET-cookie'];
            const result = await invoke(deps, e);
            expect(result.statusCode).toBe(fail ? 503 : 200);
          }),
          { numRuns: 200 },
        );
        expect(sent.length).toBeGreaterThan(0);
        expect(written.some((line) => line.includes('enqueue failed'))).toBe(true);
        expect([...sent, ...written].filter((text) => text.includes('SECRET-'))).toEqual([]);
      } finally {
        stdout.write = originals.out;
        stderr.write = originals.err;
        if (originals.level !== undefined) process.env.HOOKLAKE_LOG_LEVEL = originals.level;
      }
    });

    it('every request with valid parameters and a JSON body is accepted and enqueued intact', async () => {
      const { deps, sent } = fakeDeps();
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 40 }), fc.uuid(), fc.stringMatching(/^[A-Za-z0-9]{1,64}$/), fc.json(), async (pipelineId, key, token, json) => {
          sent.length = 0;
          const q = `pipeline_id=${pipelineId}&key=${key}&token=${token}`;
          const result = await invoke(deps, event('POST', q, json));
          expect(result.statusCode).toBe(200);
          expect(parseIngestMessage(sent[0]!).body).toBe(json);
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('receiver body limits, by how the event carries the body', () => {
    const tooLarge = { success: false, error: 'PAYLOAD_TOO_LARGE' };
    /** A JSON body of exactly n bytes. */
    const jsonOf = (n: number) => `{"a":"${'x'.repeat(n - 8)}"}`;

    it(`accepts a JSON body of ${MAX_BODY_BYTES.text} bytes carried as text and refuses one byte more with PAYLOAD_TOO_LARGE`, async () => {
      const { deps } = fakeDeps();
      expect((await invoke(deps, event('POST', valid, jsonOf(MAX_BODY_BYTES.text)))).statusCode).toBe(200);
      const over = await invoke(deps, event('POST', valid, jsonOf(MAX_BODY_BYTES.text + 1)));
      expect([over.statusCode, JSON.parse(over.body!)]).toEqual([400, tooLarge]);
    });

    it(`accepts a body of ${MAX_BODY_BYTES.base64} bytes carried base64-encoded (a form, or no text content type) and refuses one byte more`, async () => {
      const { deps } = fakeDeps();
      const base64 = (text: string, contentType: string) => ({ ...event('POST', valid, Buffer.from(text).toString('base64'), contentType), isBase64Encoded: true });
      expect((await invoke(deps, base64(jsonOf(MAX_BODY_BYTES.base64), 'application/octet-stream'))).statusCode).toBe(200);
      const over = await invoke(deps, base64(jsonOf(MAX_BODY_BYTES.base64 + 1), 'application/octet-stream'));
      expect([over.statusCode, JSON.parse(over.body!)]).toEqual([400, tooLarge]);
      const form = (n: number) => `a=${'x'.repeat(n - 2)}`;
      expect((await invoke(deps, base64(form(MAX_BODY_BYTES.base64), 'application/x-www-form-urlencoded'))).statusCode).toBe(400); // its JSON is larger
      expect((await invoke(deps, base64(form(MAX_BODY_BYTES.base64 - 10), 'application/x-www-form-urlencoded'))).statusCode).toBe(200);
      const formOver = await invoke(deps, base64(form(MAX_BODY_BYTES.base64 + 1), 'application/x-www-form-urlencoded'));
      expect([formOver.statusCode, JSON.parse(formOver.body!)]).toEqual([400, tooLarge]);
    });

    it('keeps a lower configured limit (HOOKLAKE_MAX_BODY_BYTES) for either encoding', async () => {
      const { deps } = fakeDeps({ maxBodyBytes: 1000 });
      expect((await invoke(deps, event('POST', valid, jsonOf(1000)))).statusCode).toBe(200);
      expect((await invoke(deps, event('POST', valid, jsonOf(1001)))).statusCode).toBe(400);
    });
  });

  it('answers a path other than / as API Gateway answers a route it does not have, without queueing (a function URL sends every path)', async () => {
    const { deps, sent } = fakeDeps();
    for (const rawPath of ['/v4/pipelines', '/favicon.ico', '//', '/?']) {
      const result = await invoke(deps, { ...event('POST', valid, '{}'), rawPath });
      expect([result.statusCode, result.body]).toEqual([404, '{"message":"Not Found"}']);
    }
    expect(sent).toHaveLength(0);
  });
});
