// Syncs in simulated time (600×: the one-hour retry window in about 7 s): a row whose delivery ends
// failed is sent again by the next run, and schedules start runs by themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';
import { CUSTOMER_MAPPING, landCustomers, latestCustomersSql } from '../support/syncs.ts';

let stack: TestStack;
let receiver: Receiver;
let pipelineId: number;
/** Customer ids the /flaky endpoint refuses. */
const refused = new Set<number>();

beforeAll(async () => {
  stack = await startTestStack({ timeScale: 600, eventsVisibilityTimeoutSeconds: 1, syncVisibilityTimeoutSeconds: 1 });
  receiver = await startReceiver((request) => {
    const customer = /"customer_id":(\d+)/.exec(request.body)?.[1];
    return request.url.startsWith('/flaky') && customer !== undefined && refused.has(Number(customer)) ? { status: 500 } : { status: 200 };
  });
  pipelineId = await stack.createPipeline('customers');
  const { key, token } = await stack.createToken();
  await landCustomers(
    stack,
    { pipelineId, key, token },
    [1, 2, 3].map((id) => ({ customer_id: id, first_name: `c${id}`, email: `c${id}@example.org`, active: 1 })),
    3,
  );
});

afterAll(async () => {
  await receiver?.close();
  await stack?.dispose();
});

describe('failed deliveries', () => {
  it('a row whose delivery ends failed (retries spent) is sent again by the next run, and only it', async () => {
    refused.add(2);
    const { sync } = await stack.syncs.createSync({
      name: 'flaky',
      sql: latestCustomersSql(pipelineId),
      primaryKey: 'customer_id',
      mode: 'upsert',
      webhookUrl: `${receiver.url}/flaky`,
      mapping: CUSTOMER_MAPPING,
    });
    const first = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 40_000 });
    expect(first).toMatchObject({ status: 'failed', counts: { upsert: 3 }, delivered: 2, failed: 1, pending: 0 });
    expect(first.error).toMatch(/1 of 3 deliveries failed/);
    const attempts = receiver.at('/flaky').filter((request) => request.body.includes('"customer_id":2'));
    expect(attempts).toHaveLength(5); // Kommo's rule: the first attempt and 4 retries, one webhook-id
    expect(new Set(attempts.map((request) => request.headers['webhook-id'])).size).toBe(1);
    const failedDelivery = (await stack.syncs.listDeliveries(sync.id, { status: 'failed' })).items[0]!;
    expect(failedDelivery.attempts).toHaveLength(5);

    refused.clear();
    const before = receiver.at('/flaky').length;
    const second = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 20_000 });
    expect(second).toMatchObject({ status: 'succeeded', counts: { upsert: 1 }, delivered: 1, failed: 0 });
    const resent = receiver.at('/flaky').slice(before);
    expect(resent.map((request) => JSON.parse(request.body))).toEqual([
      {
        _valmi_meta: { _valmi_row_num: 1, _valmi_sync_op: 'upsert' },
        customer_id: 2,
        my_first_name: 'c2',
        email: 'c2@example.org',
        active: 1,
        _message_id: 0,
        _sync_mode: 'upsert',
      },
    ]);
    expect(resent[0]!.headers['webhook-id']).not.toBe(attempts[0]!.headers['webhook-id']); // another run, another row-op
    const third = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 20_000 });
    expect(third).toMatchObject({ status: 'succeeded', counts: { upsert: 0 }, delivered: 0 });
  });
});

describe('redelivery of a sync\'s failed deliveries', () => {
  it('POST /v4/syncs/{id}/redeliver queues the failed deliveries of the range again under their webhook-id; they succeed once the endpoint is back, and the finished run keeps its counts', async () => {
    refused.add(3);
    const { sync } = await stack.syncs.createSync({
      name: 'redeliver',
      sql: latestCustomersSql(pipelineId),
      primaryKey: 'customer_id',
      mode: 'upsert',
      webhookUrl: `${receiver.url}/flaky-redeliver`,
      mapping: CUSTOMER_MAPPING,
    });
    const run = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 40_000 });
    expect(run).toMatchObject({ status: 'failed', delivered: 2, failed: 1 });
    const { body: failedPage } = await stack.admin<{ deliveries: { id: string; webhookId: string; attempts: unknown[] }[] }>(
      'GET',
      `/v4/syncs/${sync.id}/deliveries?status=failed`,
    );
    expect(failedPage.deliveries).toHaveLength(1);
    const failed = failedPage.deliveries[0]!;
    expect(failed.attempts).toHaveLength(5);

    refused.clear();
    const before = receiver.at('/flaky-redeliver').length;
    // Simulated time: the range in the stack's clock, around the run.
    const range = { from: run.startedAt, to: new Date(Date.parse(run.startedAt) + 24 * 3_600_000).toISOString() };
    const queued = await stack.admin('POST', `/v4/syncs/${sync.id}/redeliver`, range);
    expect(queued).toEqual({ status: 202, body: { queued: 1 } });
    const done = await eventually(async () => {
      const { body } = await stack.admin<{ status: string; attempts: unknown[] }>('GET', `/v4/syncs/${sync.id}/deliveries/${failed.id}`);
      return body.status === 'succeeded' ? body : undefined;
    }, 10_000, 'the redelivered row-op');
    expect(done.attempts).toHaveLength(6);
    const resent = receiver.at('/flaky-redeliver').slice(before);
    expect(resent.map((request) => request.headers['webhook-id'])).toEqual([failed.webhookId]);
    expect(resent[0]!.body).toContain('"customer_id":3');
    expect(await stack.syncs.getRun(sync.id, run.id)).toMatchObject({ status: 'failed', delivered: 2, failed: 1 });
  });
});

describe('schedules', () => {
  it('an every-minute sync runs by itself on the stack timer, one run at a time, and stops when disabled', async () => {
    const { sync } = await stack.syncs.createSync({
      name: 'scheduled',
      sql: latestCustomersSql(pipelineId),
      primaryKey: 'customer_id',
      mode: 'append',
      webhookUrl: `${receiver.url}/scheduled`,
      mapping: CUSTOMER_MAPPING,
      schedule: { kind: 'every', minutes: 1 },
    });
    expect(sync.nextRunAt).toBeDefined();
    const runs = await eventually(async () => {
      const list = (await stack.syncs.listRuns(sync.id)).items;
      return list.filter((run) => run.status === 'succeeded').length >= 2 ? list : undefined;
    }, 30_000, 'two scheduled runs');
    expect(runs.every((run) => run.trigger === 'schedule')).toBe(true);
    const finished = runs.filter((run) => run.finishedAt !== undefined).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    for (let index = 1; index < finished.length; index++) {
      expect(finished[index]!.startedAt >= finished[index - 1]!.finishedAt!).toBe(true); // never overlapping
    }
    // The first run appended every row; later ones had nothing new.
    expect(finished[0]!.counts.append).toBe(3);
    expect(finished.slice(1).every((run) => run.counts.append === 0)).toBe(true);
    await stack.syncs.disableSync(sync.id);
    await eventually(async () => ((await stack.syncs.getSync(sync.id))?.activeRunId === undefined ? true : undefined), 20_000, 'the last run to end');
    const count = (await stack.syncs.listRuns(sync.id)).items.length;
    await new Promise((resolve) => setTimeout(resolve, 1000)); // ten simulated minutes
    expect((await stack.syncs.listRuns(sync.id)).items.length).toBe(count);
  });
});
