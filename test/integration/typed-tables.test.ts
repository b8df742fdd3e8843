// Typed tables over the local stack, as a user meets them: webhooks in, a refresh (on demand, and
// the stack's own schedule), then `select` on pipeline_<N>'s typed columns, the schema through the
// API and the CLI. Real payloads: the GitHub examples corpus, a Kommo form, a Kudosity GET, and a
// Stripe event in its documented shape (no corpus of Stripe events ships in node_modules).
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineSchemaJson } from '../../shared/api/schema.ts';
import { runCli } from '../support/cli-harness.ts';
import { startReceiver } from '../support/receiver.ts';
import { eventually, postJson, startTestStack, type TestStack } from '../support/stack.ts';

const githubExamples = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];

let stack: TestStack;
let key: string;
let token: string;
let cliDir: string;

beforeAll(async () => {
  stack = await startTestStack({ schemaRefreshIntervalMs: 0 });
  ({ key, token } = await stack.createToken());
  cliDir = mkdtempSync(join(tmpdir(), 'hooklake-typed-cli-'));
  const { info } = stack;
  writeFileSync(join(cliDir, 'stack.json'), JSON.stringify({ apiUrl: info.apiUrl, adminToken: info.adminToken, region: info.region, endpoints: info.endpoints, resources: info.resources }));
}, 60_000);

afterAll(async () => {
  await stack?.dispose();
  rmSync(cliDir, { recursive: true, force: true });
});

/** Sends bodies to a pipeline and waits until the lake holds them all. */
async function land(pipelineId: number, requests: { body?: string; contentType?: string; query?: string; method?: string }[]): Promise<void> {
  const before = await count(pipelineId);
  for (const request of requests) {
    const url = stack.webhookUrl(pipelineId, key, token, request.query ?? '');
    const response = await fetch(url, {
      method: request.method ?? 'POST',
      ...(request.body === undefined ? {} : { body: request.body, headers: { 'content-type': request.contentType ?? 'application/json' } }),
    });
    expect(response.status).toBe(200);
  }
  await eventually(async () => ((await count(pipelineId)) >= before + requests.length ? true : undefined), 20_000, 'rows to land');
}

async function count(pipelineId: number): Promise<number> {
  const [row] = await stack.query(`select count(*) as n from webhooks where pipeline_id = ${pipelineId}`);
  return Number(row!.n);
}

async function refresh(pipelineId: number): Promise<PipelineSchemaJson> {
  const { status, body } = await stack.admin<PipelineSchemaJson>('POST', `/v4/pipelines/${pipelineId}/schema/refresh`);
  expect(status).toBe(200);
  return body;
}

const typesOf = (schema: PipelineSchemaJson) => Object.fromEntries(schema.columns.map((column) => [column.name, column.type]));

describe('typed tables: pipeline_<N> from what arrives', () => {
  it('nested objects, numbers, booleans, timestamps; a field that changes type widens; a field that appears later is added; sums work', async () => {
    const pipeline = await stack.createPipeline('orders');
    const empty = await stack.admin<PipelineSchemaJson>('GET', `/v4/pipelines/${pipeline}/schema`);
    expect(empty).toMatchObject({ status: 200, body: { pipeline_id: pipeline, view: `pipeline_${pipeline}`, version: 0, columns: [], refreshed_at: null } });

    await land(pipeline, [
      { body: JSON.stringify({ order: { id: 1001, total: 19.9, paid: true, placed_at: '2026-11-20T10:15:00Z' }, customer: { email: 'ana@example.com', address: { city: 'Recife' } }, ref: 7, items: [{ sku: 'A' }] }) },
      { body: JSON.stringify({ order: { id: 1002, total: 5, paid: false, placed_at: '2026-11-20T11:00:00.500+02:00' }, customer: { email: 'bo@example.com', address: { city: 'Porto' } }, ref: 8 }) },
    ]);
    const first = await refresh(pipeline);
    expect(typesOf(first)).toEqual({ order_id: 'bigint', order_total: 'double', order_paid: 'boolean', order_placed_at: 'timestamp', customer_email: 'varchar', customer_address_city: 'varchar', ref: 'bigint', items: 'json' });
    expect(first.version).toBe(1);
    expect(first.rows_sampled).toBe(2);
    const total = first.columns.find((column) => column.name === 'order_total')!;
    expect(total).toMatchObject({ share: 1, rows: 2, example: '5', path: ['order', 'total'] });
    expect(Date.parse(total.first_seen)).toBeLessThanOrEqual(Date.parse(total.last_seen));

    const typed = await stack.query(`select order_id, order_total, order_paid, order_placed_at, customer_address_city, items from pipeline_${pipeline} order by order_id`);
    expect(typed).toEqual([
      { order_id: 1001, order_total: 19.9, order_paid: true, order_placed_at: '2026-11-20 10:15:00', customer_address_city: 'Recife', items: '[{"sku":"A"}]' },
      { order_id: 1002, order_total: 5, order_paid: false, order_placed_at: '2026-11-20 09:00:00.5', customer_address_city: 'Porto', items: null },
    ]);
    expect(await stack.query(`select sum(order_total) as total, sum(order_id) as ids, count(*) filter (where order_paid) as paid from pipeline_${pipeline}`)).toEqual([{ total: 24.9, ids: 2003, paid: 1 }]);

    // Later: `ref` arrives as text, `coupon` appears for the first time.
    await land(pipeline, [{ body: JSON.stringify({ order: { id: 1003, total: 1.1, paid: true, placed_at: '2026-11-21T08:00:00Z' }, ref: 'R-9', coupon: 'WELCOME' }) }]);
    const second = await refresh(pipeline);
    expect(typesOf(second)).toMatchObject({ ref: 'varchar', coupon: 'varchar', order_id: 'bigint' });
    expect(second.version).toBe(2);
    expect(second.columns.map((column) => column.name).slice(0, 8)).toEqual(first.columns.map((column) => column.name));
    expect(second.columns.find((column) => column.name === 'customer_email')).toMatchObject({ rows: 2, share: 0.6667 });
    const after = await stack.query(`select order_id, ref, coupon from pipeline_${pipeline} order by order_id`);
    expect(after).toEqual([
      { order_id: 1001, ref: '7', coupon: null },
      { order_id: 1002, ref: '8', coupon: null },
      { order_id: 1003, ref: 'R-9', coupon: 'WELCOME' },
    ]);
    expect(await stack.query(`select sum(order_total) as total from pipeline_${pipeline}`)).toEqual([{ total: 26 }]);

    // Nothing new: a refresh changes nothing.
    expect((await refresh(pipeline)).version).toBe(2);
  });

  it("a sync's query reads pipeline_<N>: typed values go out as JSON numbers and booleans; a view never sampled fails the run naming it", async () => {
    const pipeline = await stack.createPipeline('sync-source');
    await land(pipeline, [
      { body: JSON.stringify({ order: { id: 1, total: 10.5, paid: true }, customer: { email: 'ana@example.com' } }) },
      { body: JSON.stringify({ order: { id: 2, total: 3, paid: false }, customer: { email: 'bo@example.com' } }) },
    ]);
    await refresh(pipeline);
    const receiver = await startReceiver();
    try {
      const { sync } = await stack.syncs.createSync({
        name: 'typed-orders',
        // Any case, quoted or not: DuckDB's names are case-insensitive.
        sql: `select order_id, order_total, order_paid, customer_email from "PIPELINE_${pipeline}" order by order_id`,
        primaryKey: 'order_id',
        mode: 'upsert',
        webhookUrl: `${receiver.url}/orders`,
      });
      const run = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 20_000 });
      expect(run).toMatchObject({ status: 'succeeded', rows: 2, delivered: 2 });
      const rows = receiver
        .at('/orders')
        .filter((request) => !request.body.includes('"ping"'))
        .map((request) => JSON.parse(request.body) as Record<string, unknown>)
        .map(({ _valmi_meta: _meta, _message_id: _id, _sync_mode: _mode, ...row }) => row)
        .sort((a, b) => Number(a.order_id) - Number(b.order_id));
      expect(rows).toEqual([
        { order_id: 1, order_total: 10.5, order_paid: true, customer_email: 'ana@example.com' },
        { order_id: 2, order_total: 3, order_paid: false, customer_email: 'bo@example.com' },
      ]);

      const unsampled = await stack.createPipeline('never-sampled');
      const { sync: failing } = await stack.syncs.createSync({
        name: 'unsampled',
        sql: `select 1 as id from pipeline_${unsampled}`,
        primaryKey: 'id',
        mode: 'upsert',
        webhookUrl: `${receiver.url}/unsampled`,
      });
      const failed = await stack.syncs.runSync(failing.id, { wait: true, timeoutMs: 20_000 });
      expect(failed.status).toBe('failed');
      expect(JSON.stringify(failed)).toContain(`pipeline_${unsampled}`);
    } finally {
      await receiver.close();
    }
  });

  it('a Kommo form and a Kudosity GET are typed from their text', async () => {
    const kommo = await stack.createPipeline('kommo');
    await land(kommo, [
      {
        body: 'leads%5Bstatus%5D%5B0%5D%5Bid%5D=25399013&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=142&account%5Bid%5D=29085955&account%5Bsubdomain%5D=kommo',
        contentType: 'application/x-www-form-urlencoded',
      },
    ]);
    expect(typesOf(await refresh(kommo))).toEqual({ leads_status: 'json', account_id: 'bigint', account_subdomain: 'varchar' });
    expect(await stack.query(`select account_id + 1 as next, leads_status from pipeline_${kommo}`)).toEqual([{ next: 29085956, leads_status: '[{"id":"25399013","status_id":"142"}]' }]);

    const kudosity = await stack.createPipeline('kudosity');
    await land(kudosity, [
      {
        method: 'GET',
        query: '&type=add&list_id=6945740&mobile=61438333061&firstname=Brad&lastname=Down&datetime_entry=2022-11-30%2022%3A53%3A19&gender=M&email=braddown%40gmail.com&dob=18%2F12&active=Y&user_id=54911&rate=10',
      },
    ]);
    expect(typesOf(await refresh(kudosity))).toEqual({
      type: 'varchar', list_id: 'bigint', mobile: 'bigint', firstname: 'varchar', lastname: 'varchar', datetime_entry: 'timestamp',
      gender: 'varchar', email: 'varchar', dob: 'varchar', active: 'varchar', user_id: 'bigint', rate: 'bigint',
    });
    expect(await stack.query(`select datetime_entry, rate * 2 as double_rate, dob from pipeline_${kudosity}`)).toEqual([{ datetime_entry: '2022-11-30 22:53:19', double_rate: 20, dob: '18/12' }]);
  });

  it('GitHub examples and a Stripe event come out with sensible columns', async () => {
    const github = await stack.createPipeline('github');
    const push = githubExamples.find((definition) => definition.name === 'push')!.examples;
    await land(github, push.map((example) => ({ body: JSON.stringify(example) })));
    const schema = await refresh(github);
    expect(typesOf(schema)).toMatchObject({ ref: 'varchar', forced: 'boolean', commits: 'json', repository_id: 'bigint', repository_full_name: 'varchar', head_commit_timestamp: 'timestamp', sender_login: 'varchar' });
    const rows = await stack.query(`select count(*) as pushes, count(distinct repository_id) as repos, max(head_commit_timestamp) is not null as dated from pipeline_${github}`);
    expect(rows).toEqual([{ pushes: push.length, repos: expect.any(Number), dated: true }]);

    const stripe = await stack.createPipeline('stripe');
    const event = (id: string, amount: number, created: number) => ({
      id,
      object: 'event',
      api_version: '2024-06-20',
      created,
      data: { object: { id: `pi_${id}`, object: 'payment_intent', amount, amount_received: amount, currency: 'usd', customer: 'cus_Na6dX7aXxi11N4', livemode: false, metadata: { order_id: '6735' }, status: 'succeeded', client_secret: 'pi_secret_do_not_show' } },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'payment_intent.succeeded',
    });
    await land(stripe, [{ body: JSON.stringify(event('evt_1', 2000, 1_763_000_000)) }, { body: JSON.stringify(event('evt_2', 1500, 1_763_000_100)) }]);
    const stripeSchema = await refresh(stripe);
    expect(typesOf(stripeSchema)).toMatchObject({ id: 'varchar', created: 'bigint', data_object_amount: 'bigint', data_object_metadata_order_id: 'varchar', livemode: 'boolean', type: 'varchar' });
    expect(stripeSchema.columns.find((column) => column.name === 'data_object_client_secret')!.example).toBe('[redacted]');
    expect(await stack.query(`select sum(data_object_amount) as cents from pipeline_${stripe}`)).toEqual([{ cents: 3500 }]);
  });

  it('hooklake pipelines schema N shows the columns; --refresh samples now; --json is the API answer; hooklake query has the view', async () => {
    const pipeline = await stack.createPipeline('cli');
    await land(pipeline, [{ body: JSON.stringify({ amount: 12.5, at: '2026-11-20T10:00:00Z', api_token: 'tok_live_1' }) }]);
    const before = await runCli(['pipelines', 'schema', String(pipeline), '--json'], { cwd: cliDir });
    expect(before).toMatchObject({ code: 0, json: { version: 0, columns: [] } });
    const human = await runCli(['pipelines', 'schema', String(pipeline), '--refresh'], { cwd: cliDir });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`View pipeline_${pipeline}: 3 typed columns, 1 row sampled`);
    expect(human.stdout).toMatch(/amount\s+double\s+100%\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\S+ \S+\s+12\.5/);
    expect(human.stdout).toContain('[redacted]');
    expect(human.stdout).not.toContain('tok_live_1');
    const json = await runCli(['pipelines', 'schema', String(pipeline), '--json'], { cwd: cliDir });
    expect(json.json).toEqual((await stack.admin('GET', `/v4/pipelines/${pipeline}/schema`)).body);
    const query = await runCli(['query', `select amount * 2 as twice, at_ as at from pipeline_${pipeline}`, '--json'], { cwd: cliDir });
    expect(query.stderr).toBe("");
    expect(query).toMatchObject({ code: 0, json: [{ twice: 25, at: '2026-11-20 10:00:00' }] });
    const missing = await runCli(['pipelines', 'schema', '999999'], { cwd: cliDir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });
});

describe('the schema evolves by itself', () => {
  it("the stack's schedule refreshes every pipeline without being asked", async () => {
    const scheduled = await startTestStack({ schemaRefreshIntervalMs: 500 });
    try {
      const pipeline = await scheduled.createPipeline('scheduled');
      const credentials = await scheduled.createToken();
      const sent = await postJson(scheduled.webhookUrl(pipeline, credentials.key, credentials.token), JSON.stringify({ level: 3 }));
      expect(sent.status).toBe(200);
      const schema = await eventually(async () => {
        const { body } = await scheduled.admin<PipelineSchemaJson>('GET', `/v4/pipelines/${pipeline}/schema`);
        return body.columns.length > 0 ? body : undefined;
      }, 20_000, 'the scheduled refresh');
      expect(typesOf(schema)).toEqual({ level: 'bigint' });
      await postJson(scheduled.webhookUrl(pipeline, credentials.key, credentials.token), JSON.stringify({ level: 4, later: true }));
      await eventually(async () => {
        const { body } = await scheduled.admin<PipelineSchemaJson>('GET', `/v4/pipelines/${pipeline}/schema`);
        return body.columns.some((column) => column.name === 'later') ? true : undefined;
      }, 20_000, 'a field that appears later');
    } finally {
      await scheduled.dispose();
    }
  }, 60_000);
});
