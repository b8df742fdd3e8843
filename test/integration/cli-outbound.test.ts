// `hooklake subscriptions ...` and `hooklake events ...` in-process against the api handler, with an
// in-memory store and SubscriptionService (the engine itself is tested through the local stack).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandlerWithDeps } from '../../functions/api/app.ts';
import { EVENT_CATALOGUE } from '../../shared/domain/delivery/events.ts';
import { runCli, serveApiHandler, type ServedApi } from '../support/cli-harness.ts';
import { fakeSubscriptionService, type FakeSubscriptionService } from '../support/fake-subscription-service.ts';
import { memoryManagementStore, type MemoryManagementStore } from '../../shared/adapters/memory/management-store.ts';

let api: ServedApi;
let store: MemoryManagementStore;
let outbound: FakeSubscriptionService;
let credential: string;
let dataDir: string;

const remote = () => ['--api', api.url, '--admin-token', credential];
const cli = (args: string[], env: Record<string, string | undefined> = {}) => runCli([...args, ...remote()], { cwd: dataDir, env });

beforeAll(async () => {
  store = memoryManagementStore();
  outbound = fakeSubscriptionService({ allowPrivate: true });
  credential = (await store.createAdmin({ name: 'cli', createdAt: new Date().toISOString() })).credential;
  api = await serveApiHandler(createApiHandlerWithDeps({ store, clock: { nowMs: () => Date.now() }, subscriptions: outbound }));
  dataDir = mkdtempSync(join(tmpdir(), 'hooklake-cli-outbound-'));
});

afterAll(async () => {
  await api?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function createSubscription(extra: string[] = []): Promise<{ id: string; secret: string } & Record<string, any>> {
  const run = await cli(['subscriptions', 'create', '--url', 'http://127.0.0.1:9999/hook', '--events', 'webhook_received', '--json', ...extra]);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return run.json;
}

describe('hooklake subscriptions', () => {
  it('create --json prints the subscription with its id and secret', async () => {
    const pipeline = await store.createPipeline({ name: 'orders', createdAt: new Date().toISOString() });
    const run = await cli([
      'subscriptions',
      'create',
      '--url',
      'https://hooks.example.com/in',
      '--events',
      'webhook_received, batch_landed',
      '--method',
      'post',
      '--format',
      'form',
      '--pipeline',
      String(pipeline.id),
      '--description',
      'CRM',
      '--header',
      'Authorization: Bearer abc:def',
      '--header',
      'X-Team: data',
      '--disabled',
      '--json',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.json).toEqual({
      id: expect.stringMatching(/^sub_/),
      secret: expect.stringMatching(/^whsec_/),
      webhookUrl: 'https://hooks.example.com/in',
      webhookHttpMethod: 'POST',
      events: ['webhook_received', 'batch_landed'],
      pipelineId: pipeline.id,
      description: 'CRM',
      headers: { Authorization: '***', 'X-Team': '***' },
      format: 'form',
      enabled: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(outbound.secrets.get(run.json.id)).toBe(run.json.secret);
    // The values went to the API as given.
    const [created] = outbound.calls.filter((call) => call.method === 'createSubscription').map((call) => call.args[0]);
    expect(created).toMatchObject({ headers: { Authorization: 'Bearer abc:def', 'X-Team': 'data' } });
  });

  it('create prints the secret once with a verification hint; list and get never show it', async () => {
    const run = await cli(['subscriptions', 'create', '--url', 'http://127.0.0.1:9999/x', '--events', 'batch_landed', '--method', 'GET']);
    expect(run.code).toBe(0);
    const id = /^id\s+(sub_\w+)$/m.exec(run.stdout)?.[1];
    const secret = /^secret\s+(whsec_\S+)$/m.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    expect(outbound.secrets.get(id!)).toBe(secret);
    expect(run.stdout).toMatch(/^method\s+GET$/m);
    expect(run.stdout).toMatch(/^format\s+query parameters$/m);
    expect(run.stdout).toContain('shown only once');
    expect(run.stdout).toContain('webhook-signature');
    expect(run.stdout).toContain('standardwebhooks');
    expect(run.stdout).toContain(`hooklake subscriptions test ${id}`);

    const list = await cli(['subscriptions', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+METHOD\s+URL\s+EVENTS\s+PIPELINE\s+ENABLED$/);
    expect(list.stdout).toContain(id);
    const listJson = await cli(['subscriptions', 'list', '--json']);
    expect(listJson.json.map((s: { id: string }) => s.id)).toContain(id);
    const got = await cli(['subscriptions', 'get', id!]);
    expect(got.stdout).toMatch(new RegExp(`^id\\s+${id}$`, 'm'));
    for (const output of [list.stdout, listJson.stdout, got.stdout]) expect(output).not.toContain(secret);
  });

  it('shows header names but never their values, in human output or JSON', async () => {
    const { id } = await createSubscription(['--header', 'Authorization: Bearer s3cret']);
    const got = await cli(['subscriptions', 'get', id]);
    expect(got.stdout).toMatch(/^headers\s+Authorization$/m);
    expect(got.stdout).not.toContain('s3cret');
    const json = await cli(['subscriptions', 'get', id, '--json']);
    expect(json.json.headers).toEqual({ Authorization: '***' });
    expect(json.stdout).not.toContain('s3cret');
  });

  it('enable, disable and delete', async () => {
    const { id } = await createSubscription();
    const disabled = await cli(['subscriptions', 'disable', id]);
    expect(disabled).toMatchObject({ code: 0, stdout: `Disabled subscription ${id} (http://127.0.0.1:9999/hook)\n` });
    expect(outbound.subscriptions.get(id)?.enabled).toBe(false);
    const enabled = await cli(['subscriptions', 'enable', id, '--json']);
    expect(enabled.json).toMatchObject({ id, enabled: true });
    const deleted = await cli(['subscriptions', 'delete', id]);
    expect(deleted).toMatchObject({ code: 0, stdout: `Deleted subscription ${id} (http://127.0.0.1:9999/hook)\n` });
    const again = await cli(['subscriptions', 'delete', id]);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toBe(`error: subscription ${id} does not exist (NOT_FOUND, HTTP 404)\n`);
  });

  it('test reports the answer and exits 1 when the endpoint fails', async () => {
    const { id } = await createSubscription();
    outbound.testResult = { ok: true, statusCode: 204, latencyMs: 31 };
    const passed = await cli(['subscriptions', 'test', id]);
    expect(passed).toMatchObject({ code: 0, stdout: 'OK: HTTP 204 in 31 ms\n', stderr: '' });

    outbound.testResult = { ok: false, statusCode: 500, latencyMs: 12, errorClass: 'http_status', responseSnippet: 'oops' };
    const failed = await cli(['subscriptions', 'test', id]);
    expect(failed).toMatchObject({ code: 1, stdout: 'FAILED: HTTP 500 in 12 ms (http_status)\nresponse: oops\n' });
    expect(failed.stderr).toBe(`error: the connection test of ${id} failed\n`);

    outbound.testResult = { ok: false, latencyMs: 5000, errorClass: 'timeout' };
    const json = await cli(['subscriptions', 'test', id, '--json']);
    expect(json).toMatchObject({
      code: 1,
      json: { ok: false, statusCode: null, latencyMs: 5000, errorClass: 'timeout', responseSnippet: null },
    });
    outbound.testResult = { ok: true, statusCode: 200, latencyMs: 12 };
  });

  it('deliveries shows the log as a table and passes the filters', async () => {
    const { id } = await createSubscription();
    const empty = await cli(['subscriptions', 'deliveries', id]);
    expect(empty).toMatchObject({ code: 0, stdout: `No deliveries for ${id} yet\n` });

    const failed = outbound.addDelivery(id, {
      eventType: 'webhook_received',
      status: 'failed',
      createdAt: '2026-11-20T10:00:00.000Z',
      attempts: [1, 2, 3, 4, 5].map((number) => ({
        number,
        at: '2026-11-20T10:00:00.000Z',
        statusCode: 503,
        latencyMs: 20,
        ok: false,
        errorClass: 'http_status',
      })),
    });
    outbound.addDelivery(id, {
      eventType: 'batch_landed',
      status: 'succeeded',
      createdAt: '2026-11-20T11:00:00.000Z',
      attempts: [{ number: 1, at: '2026-11-20T11:00:00.000Z', statusCode: 200, latencyMs: 9, ok: true }],
    });
    const all = await cli(['subscriptions', 'deliveries', id]);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TIME\s+EVENT\s+STATUS\s+ATTEMPTS\s+LAST_CODE\s+LAST_ERROR$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^dlv_\w+\s+2026-11-20T11:00:00.000Z\s+batch_landed\s+succeeded\s+1\s+200$/);
    expect(lines[2]).toMatch(new RegExp(`^${failed.id}\\s+2026-11-20T10:00:00.000Z\\s+webhook_received\\s+failed\\s+5\\s+503\\s+http_status$`));

    outbound.calls.length = 0;
    const filtered = await cli([
      'subscriptions',
      'deliveries',
      id,
      '--status',
      'failed',
      '--since',
      '2026-11-20',
      '--until',
      '2026-11-20T12:00:00+01:00',
      '--limit',
      '5',
      '--json',
    ]);
    expect(filtered.code).toBe(0);
    expect(filtered.json.map((d: { id: string }) => d.id)).toEqual([failed.id]);
    expect(outbound.calls.find((c) => c.method === 'listDeliveries')?.args[1]).toEqual({
      status: 'failed',
      from: '2026-11-20T00:00:00.000Z',
      to: '2026-11-20T11:00:00.000Z',
      limit: 5,
    });
    const none = await cli(['subscriptions', 'deliveries', id, '--status', 'pending']);
    expect(none.stdout).toBe(`No deliveries of ${id} match these filters\n`);
  });

  it('redeliver one delivery, or the failed ones of a range', async () => {
    const { id } = await createSubscription();
    const createdAt = new Date(Date.now() - 3_600_000).toISOString();
    const failed = outbound.addDelivery(id, { eventType: 'webhook_received', status: 'failed', createdAt });
    outbound.addDelivery(id, { eventType: 'webhook_received', status: 'failed', createdAt });

    const one = await cli(['subscriptions', 'redeliver', id, failed.id]);
    expect(one).toMatchObject({ code: 0, stdout: `Queued delivery ${failed.id} (webhook_received) again; webhook-id ${failed.webhookId}\n` });

    const range = await cli(['subscriptions', 'redeliver', id, '--since', '2h', '--json']);
    expect(range).toMatchObject({ code: 0, json: { queued: 1, from: expect.any(String), to: expect.any(String) } });
    const human = await cli(['subscriptions', 'redeliver', id, '--since', '2h', '--until', '1m']);
    expect(human.stdout).toMatch(new RegExp(`^Queued 0 failed deliveries of ${id} created \\S+ to \\S+\\n$`));

    const missing = await cli(['subscriptions', 'redeliver', id, 'dlv_nope']);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toMatch(/\(NOT_FOUND, HTTP 404\)\n$/);
  });
});

describe('hooklake events', () => {
  it('lists the catalogue, as text and JSON', async () => {
    const text = await cli(['events']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^TYPE\s+SUBSCRIBABLE\s+DESCRIPTION$/);
    for (const { type } of EVENT_CATALOGUE) expect(text.stdout).toContain(type);
    expect(text.stdout).toMatch(/^ping\s+no\s+/m);
    expect(text.stdout).toContain('hooklake events publish');
    const json = await cli(['events', '--json']);
    expect(json.json.map((e: { type: string }) => e.type)).toEqual(EVENT_CATALOGUE.map((e) => e.type));
    expect(json.json[0]).toMatchObject({ description: expect.any(String), subscribable: true, example: { type: 'webhook_received' } });
    expect((await cli(['events', 'list', '--json'])).json).toEqual(json.json);
  });

  it('publish sends a custom event', async () => {
    const run = await cli(['events', 'publish', 'orders.paid', '--data', '{"orderId":7}', '--pipeline', '3']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Published orders\.paid event evt_\w+ at \S+Z\n$/);
    expect(outbound.published.at(-1)).toMatchObject({ event: { type: 'orders.paid' }, data: { orderId: 7 }, pipelineId: 3 });

    writeFileSync(join(dataDir, 'event.json'), JSON.stringify({ list: [1, 2] }));
    const fromFile = await cli(['events', 'publish', 'orders.shipped', '--data', '@event.json', '--json']);
    expect(fromFile).toMatchObject({ code: 0, json: { id: expect.any(String), type: 'orders.shipped', timestamp: expect.any(String) } });
    expect(outbound.published.at(-1)?.data).toEqual({ list: [1, 2] });

    const builtIn = await cli(['events', 'publish', 'webhook_received', '--data', '{}']);
    expect(builtIn).toMatchObject({ code: 1, stdout: '' });
    expect(builtIn.stderr).toMatch(/built-in event.*\(INVALID_EVENT_TYPE, HTTP 400\)\n$/);
    const noFile = await cli(['events', 'publish', 'x', '--data', '@missing.json']);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/^error: cannot read .*missing\.json/);
  });
});

describe('errors', () => {
  it('exits 1 with one line for API errors', async () => {
    const badUrl = await cli(['subscriptions', 'create', '--url', 'ftp://example.com', '--events', 'webhook_received']);
    expect(badUrl).toMatchObject({ code: 1, stdout: '' });
    expect(badUrl.stderr).toMatch(/^error: webhookUrl refused: .*\(INVALID_TARGET, HTTP 400\)\n$/);
    const ping = await cli(['subscriptions', 'create', '--url', 'https://example.com', '--events', 'ping']);
    expect(ping.stderr).toMatch(/\(INVALID_EVENT_TYPE, HTTP 400\)\n$/);
    const header = await cli(['subscriptions', 'create', '--url', 'https://example.com', '--events', 'x', '--header', 'Host: evil']);
    expect(header.stderr).toMatch(/Host is set by Hooklake.*\(INVALID_REQUEST, HTTP 400\)\n$/);
    const unknown = await cli(['subscriptions', 'get', 'sub_doesnotexist']);
    expect(unknown).toMatchObject({ code: 1, stderr: 'error: subscription sub_doesnotexist does not exist (NOT_FOUND, HTTP 404)\n' });
  });

  it('exits 2 for usage errors', async () => {
    for (const args of [
      ['subscriptions', 'create', '--events', 'a'],
      ['subscriptions', 'create', '--url', 'https://example.com'],
      ['subscriptions', 'create', '--url', 'https://example.com', '--events', ','],
      ['subscriptions', 'create', '--url', 'https://example.com', '--events', 'a', '--method', 'PUT'],
      ['subscriptions', 'create', '--url', 'https://example.com', '--events', 'a', '--format', 'xml'],
      ['subscriptions', 'create', '--url', 'https://example.com', '--events', 'a', '--method', 'GET', '--format', 'form'],
      ['subscriptions', 'create', '--url', 'https://example.com', '--events', 'a', '--header', 'no-colon'],
      ['subscriptions', 'create', '--url', 'https://example.com', '--events', 'a', '--header', 'X-A: 1', '--header', 'x-a: 2'],
      ['subscriptions', 'create', '--url', 'https://example.com', '--events', 'a', '--pipeline', 'x'],
      ['subscriptions', 'get', 'not-an-id'],
      ['subscriptions', 'delete'],
      ['subscriptions', 'deliveries', 'sub_abcdefgh', '--status', 'lost'],
      ['subscriptions', 'deliveries', 'sub_abcdefgh', '--since', 'yesterday'],
      ['subscriptions', 'deliveries', 'sub_abcdefgh', '--since', '2026-02-30'],
      ['subscriptions', 'redeliver', 'sub_abcdefgh'],
      ['subscriptions', 'redeliver', 'sub_abcdefgh', 'dlv_1', '--since', '1h'],
      ['subscriptions', 'frobnicate'],
      ['events', 'publish', 'x'],
      ['events', 'publish', 'x', '--data', '{not json'],
    ]) {
      const run = await cli(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/error|Usage/);
    }
    expect((await runCli(['subscriptions', '--help'], { cwd: dataDir })).code).toBe(0);
    expect((await runCli(['events', '--help'], { cwd: dataDir })).code).toBe(0);
  });
});
