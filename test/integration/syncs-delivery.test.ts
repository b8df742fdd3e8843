// Syncs through the local stack: GET and form formats, the connection test, what fails a run and
// what fails only rows, runs that never overlap, and a run resumed after a crash mid-run.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncError } from '../../shared/ports/syncs.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';
import { CUSTOMER_MAPPING, landCustomers, latestCustomersSql } from '../support/syncs.ts';

let stack: TestStack;
let receiver: Receiver;
/** Set by the crash test: the engine throws once after enqueueing the chunk that ends at this row. */
let crashAfterRow: number | undefined;
let crashes = 0;
let pipelineId: number;
/** How many times each run's query was started. */
const plansByRun = new Map<string, number>();

beforeAll(async () => {
  stack = await startTestStack({
    timeScale: 1,
    syncTickIntervalMs: 0,
    syncChunkSize: 2,
    syncVisibilityTimeoutSeconds: 1,
    syncOverrides: {
      beforePlan: (ref) => plansByRun.set(ref.runId, (plansByRun.get(ref.runId) ?? 0) + 1),
      afterChunkEnqueued: (_ref, lastRowNum) => {
        if (lastRowNum === crashAfterRow) {
          crashAfterRow = undefined;
          crashes++;
          throw new Error('simulated crash after a chunk');
        }
      },
    },
  });
  receiver = await startReceiver((request) => {
    if (request.url.startsWith('/refuse')) return { status: 503, body: 'down for maintenance' };
    if (request.url.startsWith('/slow') && !request.body.includes('"ping"')) return { status: 200, delayMs: 1500 };
    return { status: 200, body: 'ok' };
  });
  pipelineId = await stack.createPipeline('customers');
  const { key, token } = await stack.createToken();
  await landCustomers(
    stack,
    { pipelineId, key, token },
    [
      { customer_id: 1, first_name: 'Ryan', email: 'ryan.salisbury@sakilacustomer.org', active: 1 },
      { customer_id: 2, first_name: 'Mary Ann', email: 'mary+crm@example.org', active: 0 },
      { customer_id: 3, first_name: 'Ñandú', email: 'n@example.org', active: 1 },
      { customer_id: 4, first_name: 'Barbara', email: 'b@example.org', active: 1 },
      { customer_id: 5, first_name: 'Susan', email: 's@example.org', active: 0 },
    ],
    5,
  );
});

afterAll(async () => {
  await receiver?.close();
  await stack?.dispose();
});

const createSync = (name: string, extra: Record<string, unknown> = {}) =>
  stack.syncs.createSync({
    name,
    sql: latestCustomersSql(pipelineId),
    primaryKey: 'customer_id',
    mode: 'upsert',
    webhookUrl: `${receiver.url}/${name}`,
    mapping: CUSTOMER_MAPPING,
    ...extra,
  });

describe('formats', () => {
  it("GET flattens the payload exactly as valmi's example, signed over the raw query string", async () => {
    const { sync, secret } = await createSync('get', { webhookHttpMethod: 'GET' });
    const run = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 20_000 });
    expect(run).toMatchObject({ status: 'succeeded', counts: { upsert: 5 }, delivered: 5 });
    const got = receiver.at('/get?').filter((request) => !request.url.includes('type=ping'));
    expect(got).toHaveLength(5);
    for (const request of got) {
      expect(request.method).toBe('GET');
      const rawQuery = request.url.slice(request.url.indexOf('?') + 1);
      expect(() => new Webhook(secret).verify(rawQuery, request.headers as Record<string, string>, { jsonParse: false })).not.toThrow();
    }
    const first = got.find((request) => request.url.includes('_valmi_row_num=1&'))!;
    expect(first.url).toBe(
      '/get?_valmi_meta__valmi_row_num=1&_valmi_meta__valmi_sync_op=upsert&customer_id=1&my_first_name=Ryan' +
        '&email=ryan.salisbury%40sakilacustomer.org&active=1&_message_id=0&_sync_mode=upsert',
    );
  });

  it('form posts use bracket keys, signed over the body', async () => {
    const { sync, secret } = await createSync('form', { format: 'form', headers: { 'x-crm-account': 'acme' } });
    await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 20_000 });
    const got = receiver.at('/form').filter((request) => !request.body.startsWith('type=ping'));
    expect(got).toHaveLength(5);
    for (const request of got) {
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request.headers['x-crm-account']).toBe('acme');
      expect(() => new Webhook(secret).verify(request.body, request.headers as Record<string, string>, { jsonParse: false })).not.toThrow();
    }
    const third = new URLSearchParams(got.find((request) => request.body.includes('%5B_valmi_row_num%5D=3&'))!.body);
    expect(Object.fromEntries(third)).toEqual({
      '_valmi_meta[_valmi_row_num]': '3',
      '_valmi_meta[_valmi_sync_op]': 'upsert',
      customer_id: '3',
      my_first_name: 'Ñandú',
      email: 'n@example.org',
      active: '1',
      _message_id: '2',
      _sync_mode: 'upsert',
    });
  });
});

describe('creation', () => {
  it('refuses a sync whose endpoint does not answer the signed ping with 2xx, showing the answer; --skip-test creates it', async () => {
    const refused = await createSync('refuse').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SyncError);
    expect(refused).toMatchObject({ code: 'CONNECTION_TEST_FAILED', test: { ok: false, statusCode: 503, responseSnippet: 'down for maintenance' } });
    expect((await stack.syncs.listSyncs()).items.some((sync) => sync.name === 'refuse')).toBe(false);
    const { sync, test } = await createSync('refuse', { skipTest: true });
    expect(test).toBeUndefined();
    expect(sync).toMatchObject({ name: 'refuse', enabled: true, schedule: { kind: 'manual' } });
  });

  it('refuses invalid definitions and targets before contacting anyone', async () => {
    const before = receiver.requests.length;
    await expect(createSync('bad-mode', { mode: 'merge' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(createSync('bad-map', { mapping: [{ source: 'a', destination: '_valmi_meta' }] })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(createSync('bad-cron', { schedule: { kind: 'cron', expression: '0 * * * * *' } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(createSync('metadata', { webhookUrl: 'http://169.254.169.254/latest' })).rejects.toMatchObject({ code: 'INVALID_TARGET' });
    expect(receiver.requests.length).toBe(before);
  });
});

describe('what fails a run, what fails rows', () => {
  it("a query that fails fails the run with DuckDB's message; one without the primary key column, with the columns it has", async () => {
    const { sync } = await createSync('broken-sql', { sql: 'select * from no_such_table' });
    const run = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 20_000 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/Table with name no_such_table does not exist/);
    const { sync: noKey } = await createSync('no-key', { primaryKey: 'id', mapping: [] });
    const failed = await stack.syncs.runSync(noKey.id, { wait: true, timeoutMs: 20_000 });
    expect(failed).toMatchObject({ status: 'failed', delivered: 0 });
    expect(failed.error).toBe(`the query's result has no column "id" (the primary key); its columns are "customer_id", "first_name", "email", "active"`);
  });

  it('a sync query may read the lake and nothing else on the machine', async () => {
    const { sync } = await createSync('escape', { sql: `select 1 as customer_id, content from read_text('/etc/passwd')`, mapping: [] });
    const run = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 20_000 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/disabled by configuration/);
    const { sync: twoStatements } = await createSync('two', { sql: `select 1 as customer_id; select 2 as customer_id`, mapping: [] });
    expect((await stack.syncs.runSync(twoStatements.id, { wait: true, timeoutMs: 20_000 })).error).toMatch(/one SELECT statement/);
  });

  it('null and repeated primary keys fail those rows, counted, and the other rows are sent', async () => {
    const sql = `select * from (values (1, 'a'), (null, 'b'), (2, 'c'), (2, 'd'), (3, 'e')) as t(id, name) order by name`;
    const { sync } = await createSync('keys', { sql, primaryKey: 'id', mapping: [] });
    const run = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 20_000 });
    expect(run).toMatchObject({
      status: 'succeeded',
      rows: 5,
      counts: { upsert: 2 },
      failedRows: { null_primary_key: 1, duplicate_primary_key: 2 },
      delivered: 2,
    });
    const bodies = receiver.at('/keys').map((request) => request.body).filter((body) => !body.includes('"ping"')).sort();
    expect(bodies).toEqual([
      '{"_valmi_meta":{"_valmi_row_num":1,"_valmi_sync_op":"upsert"},"id":1,"name":"a","_message_id":0,"_sync_mode":"upsert"}',
      '{"_valmi_meta":{"_valmi_row_num":2,"_valmi_sync_op":"upsert"},"id":3,"name":"e","_message_id":1,"_sync_mode":"upsert"}',
    ]);
  });
});

describe('lake scope', () => {
  it('pipelineId limits the lake the query sees to that pipeline', async () => {
    const other = await stack.createPipeline('other');
    const sql = `select cast(json_extract(__kdd_request_body, '$.customer_id') as bigint) as customer_id from webhooks`;
    const { sync: scoped } = await createSync('scoped', { sql, mapping: [], pipelineId });
    const { sync: empty } = await createSync('empty', { sql, mapping: [], pipelineId: other });
    expect(scoped.pipelineId).toBe(pipelineId);
    expect(await stack.syncs.runSync(scoped.id, { wait: true, timeoutMs: 20_000 })).toMatchObject({ status: 'succeeded', rows: 5, delivered: 5 });
    expect(await stack.syncs.runSync(empty.id, { wait: true, timeoutMs: 20_000 })).toMatchObject({ status: 'succeeded', rows: 0, delivered: 0 });
  });
});

describe('runs never overlap', () => {
  it('a second trigger while a run is delivering is refused (manual) or skipped (schedule), and the next run starts after it ends', async () => {
    const { sync } = await createSync('slow', { schedule: { kind: 'every', minutes: 1 } });
    const first = await stack.syncs.runSync(sync.id);
    const busy = await stack.syncs.runSync(sync.id).catch((error: unknown) => error);
    expect(busy).toMatchObject({ code: 'CONFLICT', activeRunId: first.id });
    await stack.syncTick(); // due or not, a tick cannot start a second run now
    await eventually(async () => ((await stack.syncs.getRun(sync.id, first.id))?.status === 'delivering' ? true : undefined), 10_000, 'delivering');
    expect(await stack.syncs.runSync(sync.id).catch((error: unknown) => (error as SyncError).code)).toBe('CONFLICT');
    const done = await eventually(async () => {
      const run = await stack.syncs.getRun(sync.id, first.id);
      return run?.status === 'succeeded' ? run : undefined;
    }, 20_000, 'the slow run');
    expect(done).toMatchObject({ delivered: 5, pending: 0 });
    expect((await stack.syncs.listRuns(sync.id)).items.map((run) => run.id)).toEqual([first.id]);
    const next = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 20_000 });
    expect(next).toMatchObject({ status: 'succeeded', counts: { upsert: 0 } });
    expect((await stack.syncs.getSync(sync.id))?.activeRunId).toBeUndefined();
  });

  it('a disabled sync does not run', async () => {
    const { sync } = await createSync('disabled');
    expect((await stack.syncs.disableSync(sync.id)).enabled).toBe(false);
    await expect(stack.syncs.runSync(sync.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await stack.syncs.enableSync(sync.id)).enabled).toBe(true);
  });
});

describe('a query that takes longer than the queue hides its message', () => {
  it('is planned once: the run message stays invisible while it is being handled', async () => {
    // Seconds of CPU (1 s is the sync queue's visibility timeout here): without the renewal, the
    // second poller receives the message again and plans the same run a second time meanwhile.
    const sql = 'select 1 as customer_id, sum(hash(range) % 7) as h from range(150000000)';
    const { sync } = await createSync('long-plan', { sql, mapping: [] });
    const started = Date.now();
    const run = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 60_000 });
    expect(run).toMatchObject({ status: 'succeeded', rows: 1, delivered: 1 });
    expect(Date.now() - started).toBeGreaterThan(2000); // it did outlast the visibility timeout
    expect(plansByRun.get(run.id)).toBe(1);
  }, 90_000);
});

describe('crash mid-run', () => {
  it('a run that dies after a chunk resumes from its checkpoint: every row-op reaches the receiver once, with one webhook-id', async () => {
    const { sync } = await createSync('crash');
    crashAfterRow = 2; // chunks of 2: the first chunk is enqueued, then the invocation dies before its checkpoint
    const run = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 30_000 });
    expect(crashes).toBe(1);
    expect(run).toMatchObject({ status: 'succeeded', counts: { upsert: 5 }, delivered: 5, failed: 0, pending: 0 });
    await new Promise((resolve) => setTimeout(resolve, 500)); // anything sent twice would have arrived by now
    const got = receiver.at('/crash').filter((request) => !request.body.includes('"ping"'));
    expect(got.map((request) => rowNumOf(request.body)).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(got.map((request) => request.headers['webhook-id'])).size).toBe(5);
  });
});

function rowNumOf(body: string): number {
  return (JSON.parse(body) as { _valmi_meta: { _valmi_row_num: number } })._valmi_meta._valmi_row_num;
}
