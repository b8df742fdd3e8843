// Syncs through /v4/syncs and the `hooklake syncs` CLI, against the local stack and a real HTTP
// receiver: the CLI used as a user would (it finds the stack through stack.json), and the API's
// answers (errors, pagination, a run that returns at once) checked against the OpenAPI document.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_LIMITS } from '../../shared/domain/syncs/definition.ts';
import { main } from '../../cli/main.ts';
import { runCli } from '../support/cli-harness.ts';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/receiver.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';
import { landCustomers, latestCustomersSql } from '../support/syncs.ts';

let stack: TestStack;
let receiver: Receiver;
let dataDir: string;
let pipelineId: number;
let ingest: { pipelineId: number; key: string; token: string };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hooklake-syncs-cli-'));
  stack = await startTestStack({ dataDir, timeScale: 1, syncTickIntervalMs: 0 });
  receiver = await startReceiver((request) =>
    request.url.startsWith('/refuse') ? { status: 503, body: 'down for maintenance' } : { status: 200, body: 'ok' },
  );
  pipelineId = await stack.createPipeline('customers');
  ingest = { pipelineId, ...(await stack.createToken()) };
  await landCustomers(
    stack,
    ingest,
    [
      { customer_id: 1, first_name: 'Ryan', email: 'ryan.salisbury@sakilacustomer.org', active: 1 },
      { customer_id: 2, first_name: 'Mary', email: 'mary.smith@sakilacustomer.org', active: 1 },
      { customer_id: 3, first_name: 'Linda', email: 'linda.williams@sakilacustomer.org', active: 0 },
    ],
    3,
  );
});

afterAll(async () => {
  await receiver?.close();
  await stack?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** `hooklake ...` with the local stack found through $HOOKLAKE_DATA_DIR/stack.json, as `npx hooklake` would. */
const cli = (...args: string[]) => runCli(args, { cwd: dataDir });

const isPing = (request: ReceivedRequest) => request.body.includes('"type":"ping"');
const rowRequests = (path: string) => receiver.at(path).filter((request) => !isPing(request));
const opOf = (request: ReceivedRequest) => (JSON.parse(request.body) as { _valmi_meta: { _valmi_sync_op: string } })._valmi_meta._valmi_sync_op;

function countByOp(requests: readonly ReceivedRequest[]) {
  const counts = { upsert: 0, append: 0, create: 0, delete: 0 } as Record<string, number>;
  for (const request of requests) counts[opOf(request)]!++;
  return counts;
}

/** A sync over the customers through the API (no connection test unless asked). */
async function createSync(name: string, extra: Record<string, unknown> = {}) {
  const { status, body } = await stack.admin<Record<string, any>>('POST', '/v4/syncs', {
    name,
    sql: latestCustomersSql(pipelineId),
    primary_key: 'customer_id',
    mode: 'upsert',
    webhook_url: `${receiver.url}/${name}`,
    skip_test: true,
    ...extra,
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body;
}

async function finishedRun(syncId: string, runId: string) {
  return eventually(
    async () => {
      const { body } = await stack.admin<Record<string, any>>('GET', `/v4/syncs/${syncId}/runs/${runId}`);
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    },
    20_000,
    `run ${runId} to end`,
  );
}

describe('hooklake syncs, the way a user runs it', () => {
  it('create, run --wait twice with the source changing between: the runs page counts equal what the receiver got, every request signed', async () => {
    const created = await cli(
      'syncs', 'create',
      '--name', 'crm',
      '--sql', latestCustomersSql(pipelineId),
      '--primary-key', 'customer_id',
      '--mode', 'upsert',
      '--url', `${receiver.url}/crm`,
      '--map', 'customer_id:customer_id,first_name:my_first_name,email:email,active:active',
      '--header', 'X-Crm-Account: acme',
      '--json',
    );
    expect(created, created.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(created.json).toMatchObject({
      id: expect.stringMatching(/^syn_[0-9a-f]{20}$/),
      secret: expect.stringMatching(/^whsec_/),
      name: 'crm',
      mode: 'upsert',
      headers: { 'X-Crm-Account': '***' },
      schedule: { kind: 'manual' },
      enabled: true,
      connection_test: { ok: true, status_code: 200 },
    });
    const { id, secret } = created.json as { id: string; secret: string };
    expect(receiver.at('/crm').filter(isPing)).toHaveLength(1); // the connection test
    const verifier = new Webhook(secret);

    const first = await cli('syncs', 'run', id, '--wait', '--json');
    expect(first, first.stderr).toMatchObject({ code: 0, stderr: '' }); // no progress line: stderr is not a terminal
    expect(first.json).toMatchObject({ run_id: expect.stringMatching(/^run_/), status: 'succeeded', counts: { upsert: 3, append: 0, create: 0, delete: 0 }, delivered: 3, failed: 0, pending: 0 });
    const afterFirst = rowRequests('/crm');
    expect(afterFirst).toHaveLength(3);

    // The source changes: Mary's email, and a new customer.
    await landCustomers(
      stack,
      ingest,
      [
        { customer_id: 2, first_name: 'Mary', email: 'mary@example.org', active: 1 },
        { customer_id: 4, first_name: 'Barbara', email: 'barbara.jones@sakilacustomer.org', active: 1 },
      ],
      5,
    );
    const second = await cli('syncs', 'run', id, '--wait', '--json');
    expect(second, second.stderr).toMatchObject({ code: 0 });
    expect(second.json).toMatchObject({ status: 'succeeded', counts: { upsert: 2 }, delivered: 2, failed: 0, pending: 0 });
    const all = rowRequests('/crm');
    const secondRequests = all.slice(afterFirst.length);
    expect(secondRequests.map((request) => JSON.parse(request.body).my_first_name).sort()).toEqual(['Barbara', 'Mary']);

    // The runs page, newest first: each run's counts are what the receiver got in it.
    const runs = await cli('syncs', 'runs', id, '--json');
    expect(runs).toMatchObject({ code: 0 });
    expect(runs.json.map((run: { run_id: string }) => run.run_id)).toEqual([second.json.run_id, first.json.run_id]);
    for (const [run, got] of [
      [runs.json[0], secondRequests],
      [runs.json[1], afterFirst],
    ] as const) {
      expect(run.delivered).toBe(got.length);
      expect(run.counts).toEqual(countByOp(got));
      expect(run).toMatchObject({ failed: 0, pending: 0, status: 'succeeded' });
    }
    // Every request the receiver got is signed with the sync's secret, once per row-op (distinct webhook-ids).
    for (const request of all) {
      expect(request.headers['x-crm-account']).toBe('acme');
      expect(() => verifier.verify(request.body, request.headers as Record<string, string>)).not.toThrow();
    }
    expect(new Set(all.map((request) => request.headers['webhook-id'])).size).toBe(all.length);

    const page = await cli('syncs', 'runs', id);
    expect(page.stdout.split('\n')[0]).toMatch(/^RUN_ID\s+STARTED_AT\s+TRIGGER\s+STATUS\s+ROWS\s+COUNTS\s+DELIVERED\s+FAILED\s+PENDING/);
    expect(page.stdout).toContain('upsert 2');
  });

  it('list, get, disable (a run is then refused), enable, run without --wait (returns at once), --wait with progress on a terminal, delete (its files too)', async () => {
    const { id } = await createSync('lifecycle');
    const listed = await cli('syncs', 'list', '--json');
    expect(listed.json.map((sync: { id: string }) => sync.id)).toContain(id);
    expect(listed.json.every((sync: Record<string, unknown>) => !('secret' in sync))).toBe(true);
    expect((await cli('syncs', 'get', id, '--json')).json).toMatchObject({ id, name: 'lifecycle', enabled: true });

    expect((await cli('syncs', 'disable', id, '--json')).json).toMatchObject({ id, enabled: false });
    const refused = await cli('syncs', 'run', id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/disabled.*\(CONFLICT, HTTP 409\)/);
    expect((await cli('syncs', 'enable', id, '--json')).json).toMatchObject({ id, enabled: true });

    const started = await cli('syncs', 'run', id, '--json');
    expect(started).toMatchObject({ code: 0, json: { status: 'running', sync_id: id, delivered: 0 } });
    await finishedRun(id, started.json.run_id);

    // --wait on a terminal: a progress line on stderr, the result alone on stdout.
    let stdout = '';
    let stderr = '';
    const code = await main(['syncs', 'run', id, '--wait', '--json'], {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      env: { HOOKLAKE_DATA_DIR: dataDir },
      cwd: dataDir,
      stderrIsTty: true,
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'succeeded', sync_id: id });
    expect(stderr).toMatch(/\r.*run_\w+ (running|delivering): .*delivered, \d+ failed, \d+ pending \(\d+ s\)/);
    expect(stderr.endsWith('\n')).toBe(true);

    // Deleting the sync removes its files (the snapshot its run folded) from the lake bucket.
    const files = async () =>
      ((await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.info.resources.lakeBucket, Prefix: `syncs/${id}/` }))).Contents ?? []).map((object) => object.Key);
    expect(await files()).toContain(`syncs/${id}/snapshot.parquet`);
    expect((await cli('syncs', 'delete', id, '--json')).json).toMatchObject({ id, deleted: true });
    expect(await files()).toEqual([]);
    const gone = await cli('syncs', 'get', id);
    expect(gone).toMatchObject({ code: 1 });
    expect(gone.stderr).toMatch(/NOT_FOUND, HTTP 404/);
  });

  it('create refused by the connection test shows the answer and exits 1; --skip-test creates it', async () => {
    const args = ['syncs', 'create', '--name', 'refused', '--sql', 'select 1 as id', '--primary-key', 'id', '--mode', 'create', '--url', `${receiver.url}/refuse`];
    const refused = await cli(...args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('HTTP 503');
    expect(refused.stderr).toContain('"down for maintenance"');
    expect(refused.stderr).toContain('(CONNECTION_TEST_FAILED, HTTP 422)');
    const skipped = await cli(...args, '--skip-test', '--every', '2h', '--json');
    expect(skipped).toMatchObject({ code: 0, json: { connection_test: null, schedule: { kind: 'every', minutes: 120 }, next_run_at: expect.any(String) } });
  });

  it('deliveries shows one delivery per row-op with its attempt; redeliver one sends it again under the same webhook-id; --failed --since queues the failed ones of a range', async () => {
    const { id } = await createSync('log');
    const run = await cli('syncs', 'run', id, '--wait', '--json');
    expect(run, run.stderr).toMatchObject({ code: 0, json: { status: 'succeeded', failed: 0 } });
    const got = rowRequests('/log');
    expect(got.length).toBeGreaterThanOrEqual(3); // the customers landed so far
    expect(run.json.delivered).toBe(got.length);

    const listed = await cli('syncs', 'deliveries', id, '--json');
    expect(listed).toMatchObject({ code: 0 });
    const deliveries = listed.json as { id: string; syncId: string; status: string; webhookId: string; attempts: { statusCode: number | null; ok: boolean }[] }[];
    expect(deliveries).toHaveLength(got.length);
    expect(new Set(deliveries.map((d) => d.webhookId))).toEqual(new Set(got.map((request) => request.headers['webhook-id'])));
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ syncId: id, status: 'succeeded', attempts: [{ statusCode: 200, ok: true, responseSnippet: 'ok' }] });
    }
    const table = await cli('syncs', 'deliveries', id);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+TIME\s+STATUS\s+ATTEMPTS\s+LAST_CODE\s+LAST_ERROR\s+WEBHOOK_ID/);
    expect((await cli('syncs', 'deliveries', id, '--status', 'failed', '--json')).json).toEqual([]);

    const chosen = deliveries[1]!;
    const redelivered = await cli('syncs', 'redeliver', id, chosen.id, '--json');
    expect(redelivered).toMatchObject({ code: 0, json: { id: chosen.id, webhookId: chosen.webhookId, status: 'pending' } });
    const again = await eventually(async () => {
      const { body } = await stack.admin<Record<string, any>>('GET', `/v4/syncs/${id}/deliveries/${chosen.id}`);
      return body.status === 'succeeded' && body.attempts.length === 2 ? body : undefined;
    }, 10_000, 'the redelivery');
    expect(again.attempts.map((attempt: { number: number }) => attempt.number)).toEqual([1, 2]);
    const resent = rowRequests('/log').slice(got.length);
    expect(resent.map((request) => request.headers['webhook-id'])).toEqual([chosen.webhookId]);
    // The finished run keeps its counts.
    expect((await stack.admin<Record<string, any>>('GET', `/v4/syncs/${id}/runs/${run.json.run_id}`)).body).toMatchObject({ delivered: got.length, failed: 0 });

    const range = await cli('syncs', 'redeliver', id, '--failed', '--since', '1h', '--json');
    expect(range).toMatchObject({ code: 0, json: { queued: 0 } });
    expect((await cli('syncs', 'redeliver', id, chosen.id, '--since', '1h')).code).toBe(2);
    expect((await cli('syncs', 'redeliver', id)).code).toBe(2);
  });

  it('usage errors exit 2 before any request: --every with --cron, a bad mode, a bad mapping, a malformed id', async () => {
    const base = ['syncs', 'create', '--name', 'x', '--sql', 'select 1 as id', '--primary-key', 'id', '--url', `${receiver.url}/x`];
    const before = receiver.requests.length;
    expect((await cli(...base, '--mode', 'upsert', '--every', '15m', '--cron', '0 * * * ? *')).code).toBe(2);
    expect((await cli(...base, '--mode', 'merge')).code).toBe(2);
    expect((await cli(...base, '--mode', 'upsert', '--map', 'a:b:c')).code).toBe(2);
    expect((await cli('syncs', 'get', 'sub_123')).code).toBe(2);
    expect(receiver.requests.length).toBe(before);
  });
});

describe('/v4/syncs', () => {
  it('refuses a sync whose endpoint does not answer the ping with 2xx: 422 CONNECTION_TEST_FAILED with the answer, nothing stored', async () => {
    const { status, body } = await stack.admin<{ error: string; message: string }>('POST', '/v4/syncs', {
      name: 'refuse-api',
      sql: 'select 1 as id',
      primary_key: 'id',
      mode: 'upsert',
      webhook_url: `${receiver.url}/refuse-api`,
    });
    expect(status).toBe(422);
    expect(body.error).toBe('CONNECTION_TEST_FAILED');
    expect(body.message).toMatch(/HTTP 503 in \d+ ms, body "down for maintenance"/);
    const { body: list } = await stack.admin<{ syncs: { name: string }[] }>('GET', '/v4/syncs?limit=1000');
    expect(list.syncs.some((sync) => sync.name === 'refuse-api')).toBe(false);
  });

  it('bad input is a 4xx, never a 500', async () => {
    const valid = { name: 'v', sql: 'select 1 as id', primary_key: 'id', mode: 'upsert', webhook_url: `${receiver.url}/v`, skip_test: true };
    const cases: [Record<string, unknown>, number, string, RegExp?][] = [
      [{ ...valid, sql: '   ' }, 400, 'INVALID_REQUEST', /sql: must not be empty/],
      [{ ...valid, sql: `select '${'x'.repeat(SYNC_LIMITS.sqlBytes)}' as id` }, 400, 'INVALID_REQUEST', /sql: must be at most 65536 bytes/],
      [{ ...valid, mode: 'merge' }, 400, 'INVALID_REQUEST', /mode/],
      [{ ...valid, schedule: { kind: 'cron', expression: '0 * * * * *' } }, 400, 'INVALID_REQUEST'],
      [{ ...valid, schedule: { kind: 'every', minutes: 0 } }, 400, 'INVALID_REQUEST'],
      [{ ...valid, mapping: [{ source: 'id', destination: '_valmi_meta' }] }, 400, 'INVALID_REQUEST', /_valmi_meta/],
      [{ ...valid, webhook_http_method: 'GET', format: 'form' }, 400, 'INVALID_REQUEST', /form/],
      [{ ...valid, webhook_url: 'http://169.254.169.254/latest' }, 400, 'INVALID_TARGET'],
      [{ ...valid, pipeline_id: 999_999 }, 409, 'UNKNOWN_PIPELINE'],
      [{ ...valid, extra: 1 }, 400, 'INVALID_REQUEST', /unknown field "extra"/],
      [{ ...valid, sql: `select '${'x'.repeat(2 * SYNC_LIMITS.sqlBytes)}' as id` }, 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [body, status, code, message] of cases) {
      const answer = await stack.admin<{ error: string; message: string }>('POST', '/v4/syncs', body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);
      expect(answer.body.error).toBe(code);
      if (message !== undefined) expect(answer.body.message).toMatch(message);
    }
    expect((await stack.admin('GET', '/v4/syncs/not-a-sync')).status).toBe(400);
    expect((await stack.admin('GET', '/v4/syncs/syn_00000000000000000000')).body).toMatchObject({ error: 'NOT_FOUND' });
    expect((await stack.admin('GET', '/v4/syncs/syn_00000000000000000000/runs')).body).toMatchObject({ error: 'NOT_FOUND' });
    expect((await stack.admin('POST', '/v4/syncs/syn_00000000000000000000/runs')).body).toMatchObject({ error: 'NOT_FOUND' });
    expect((await stack.admin('PATCH', '/v4/syncs/syn_00000000000000000000', { enabled: true })).body).toMatchObject({ error: 'NOT_FOUND' });
    expect((await stack.admin('DELETE', '/v4/syncs/syn_00000000000000000000')).body).toMatchObject({ error: 'NOT_FOUND' });
    expect((await stack.admin('GET', '/v4/syncs/syn_00000000000000000000/runs/run_000000000_00000000')).body).toMatchObject({ error: 'NOT_FOUND' });
    expect((await stack.admin('GET', '/v4/syncs/syn_00000000000000000000/runs/nope')).status).toBe(400);
    expect((await stack.admin('GET', '/v4/syncs?cursor=garbage')).body).toMatchObject({ error: 'INVALID_REQUEST' });
  });

  it('a run answers 202 at once while it runs; a second is 409 naming it; SQL that fails is accepted and fails the run with the engine\'s message', async () => {
    const sync = await createSync('bad-sql', { sql: 'select * from no_such_table' });
    const started = await stack.admin<Record<string, any>>('POST', `/v4/syncs/${sync.id}/runs`);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ sync_id: sync.id, status: 'running', trigger: 'manual', finished_at: null, delivered: 0 });
    const again = await stack.admin<{ error: string; message: string }>('POST', `/v4/syncs/${sync.id}/runs`);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(started.body.run_id);
    const run = await finishedRun(sync.id, started.body.run_id);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/Table with name no_such_table does not exist/);
  });

  it('the delivery log pages newest first; an unknown delivery is 404, a malformed id 400; a range with from after to is 400', async () => {
    const sync = await createSync('log-pages');
    const { body: started } = await stack.admin<{ run_id: string }>('POST', `/v4/syncs/${sync.id}/runs`);
    const run = await finishedRun(sync.id, started.run_id);
    expect(run.delivered).toBeGreaterThanOrEqual(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const { status, body } = await stack.admin<{ deliveries: { id: string }[]; next_cursor: string | null }>('GET', `/v4/syncs/${sync.id}/deliveries${query}`);
      expect(status).toBe(200);
      expect(body.deliveries.length).toBeLessThanOrEqual(2);
      seen.push(...body.deliveries.map((delivery) => delivery.id));
      cursor = body.next_cursor;
    } while (cursor !== null && seen.length < 50);
    expect(seen).toHaveLength(run.delivered);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort().reverse());
    expect((await stack.admin('GET', `/v4/syncs/${sync.id}/deliveries/${seen[0]}`)).body).toMatchObject({ id: seen[0], syncId: sync.id });
    expect((await stack.admin('GET', `/v4/syncs/${sync.id}/deliveries/dlv_000000000aaaaaaaaaaaaaaaaaaaa`)).body).toMatchObject({ error: 'NOT_FOUND' });
    expect((await stack.admin('POST', `/v4/syncs/${sync.id}/deliveries/dlv_000000000aaaaaaaaaaaaaaaaaaaa/redeliver`)).body).toMatchObject({ error: 'NOT_FOUND' });
    expect((await stack.admin('GET', `/v4/syncs/${sync.id}/deliveries/${encodeURIComponent('../x')}`)).status).toBe(400);
    expect((await stack.admin('GET', '/v4/syncs/syn_00000000000000000000/deliveries')).body).toMatchObject({ error: 'NOT_FOUND' });
    expect((await stack.admin('POST', '/v4/syncs/syn_00000000000000000000/redeliver', { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' })).body).toMatchObject({ error: 'NOT_FOUND' });
    const backwards = await stack.admin<{ error: string }>('POST', `/v4/syncs/${sync.id}/redeliver`, { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(backwards).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    // A cursor of the runs list is not one of the delivery log (a second run gives the runs list a next page).
    const { body: again } = await stack.admin<{ run_id: string }>('POST', `/v4/syncs/${sync.id}/runs`);
    await finishedRun(sync.id, again.run_id);
    const { body: runs } = await stack.admin<{ next_cursor: string | null }>('GET', `/v4/syncs/${sync.id}/runs?limit=1`);
    expect(runs.next_cursor).toEqual(expect.any(String));
    expect((await stack.admin('GET', `/v4/syncs/${sync.id}/deliveries?cursor=${encodeURIComponent(runs.next_cursor!)}`)).body).toMatchObject({ error: 'INVALID_REQUEST' });
    expect((await stack.admin('GET', `/v4/syncs/${sync.id}/deliveries?cursor=garbage`)).body).toMatchObject({ error: 'INVALID_REQUEST' });
  });

  it('lists syncs and runs page by page (limit, cursor, next_cursor); runs newest first', async () => {
    const ids = [await createSync('page-a'), await createSync('page-b'), await createSync('page-c')].map((sync) => sync.id as string);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const { status, body } = await stack.admin<{ syncs: { id: string }[]; next_cursor: string | null }>('GET', `/v4/syncs${query}`);
      expect(status).toBe(200);
      expect(body.syncs.length).toBeLessThanOrEqual(2);
      seen.push(...body.syncs.map((sync) => sync.id));
      cursor = body.next_cursor;
      pages++;
    } while (cursor !== null && pages < 50);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);

    const target = ids[0]!;
    const runIds: string[] = [];
    for (let index = 0; index < 2; index++) {
      const { body } = await stack.admin<{ run_id: string }>('POST', `/v4/syncs/${target}/runs`);
      runIds.push(body.run_id);
      await finishedRun(target, body.run_id);
    }
    const first = await stack.admin<{ runs: { run_id: string }[]; next_cursor: string | null }>('GET', `/v4/syncs/${target}/runs?limit=1`);
    expect(first.body.runs.map((run) => run.run_id)).toEqual([runIds[1]]);
    expect(first.body.next_cursor).not.toBeNull();
    const second = await stack.admin<{ runs: { run_id: string }[]; next_cursor: string | null }>('GET', `/v4/syncs/${target}/runs?limit=1&cursor=${first.body.next_cursor}`);
    expect(second.body).toEqual({ runs: [expect.objectContaining({ run_id: runIds[0] })], next_cursor: null });
    // A cursor of the syncs list is not one of the runs list.
    const { body: syncPage } = await stack.admin<{ next_cursor: string }>('GET', '/v4/syncs?limit=1');
    expect((await stack.admin('GET', `/v4/syncs/${target}/runs?cursor=${syncPage.next_cursor}`)).body).toMatchObject({ error: 'INVALID_REQUEST' });
  });
});
