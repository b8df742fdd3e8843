// Syncs through the local stack, to real HTTP receivers: each mode over three runs while the source
// changes (new, changed, vanished rows), with the exact row-ops, payloads and row numbers each run
// sends, and run counts that equal what the receiver got.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncMode } from '../../shared/domain/syncs/definition.ts';
import type { SyncRun } from '../../shared/ports/syncs.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { CUSTOMER_MAPPING, landCustomers, latestCustomersSql } from '../support/syncs.ts';

let stack: TestStack;
let receiver: Receiver;

beforeAll(async () => {
  stack = await startTestStack({ timeScale: 1, syncTickIntervalMs: 0 });
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await stack?.dispose();
});

const MODES: SyncMode[] = ['upsert', 'mirror', 'append', 'create', 'delete'];

/** The payload valmi's format gives a customer row (mapped fields between the meta and the tail). */
function payload(rowNum: number, op: string, mode: SyncMode, customer: { id: number; name: string; email: string; active: number }): string {
  return (
    `{"_valmi_meta":{"_valmi_row_num":${rowNum},"_valmi_sync_op":"${op}"},` +
    `"customer_id":${customer.id},"my_first_name":"${customer.name}","email":"${customer.email}","active":${customer.active},` +
    `"_message_id":${rowNum - 1},"_sync_mode":"${mode}"}`
  );
}

const ryan = { id: 1, name: 'Ryan', email: 'ryan.salisbury@sakilacustomer.org', active: 1 };
const ryan2 = { ...ryan, name: 'Ryan J.' };
const mary = { id: 2, name: 'Mary', email: 'mary.smith@sakilacustomer.org', active: 1 };
const mary2 = { ...mary, email: 'mary@example.org', active: 0 };
const linda = { id: 3, name: 'Linda', email: 'linda.williams@sakilacustomer.org', active: 1 };
const barbara = { id: 4, name: 'Barbara', email: 'barbara.jones@sakilacustomer.org', active: 1 };
const susan = { id: 5, name: 'Susan', email: 'susan.wilson@sakilacustomer.org', active: 0 };
const asWebhook = (c: typeof ryan) => ({ customer_id: c.id, first_name: c.name, email: c.email, active: c.active });

/** What each mode sends in each of the three runs: [op, customer] in row order. */
type Expected = Array<[string, typeof ryan]>;
const EXPECTED: Record<SyncMode, [Expected, Expected, Expected]> = {
  // run 1: {Ryan, Mary, Linda}; run 2: Mary changed, Linda gone, Barbara new; run 3: Ryan changed, Barbara gone, Susan new.
  upsert: [
    [['upsert', ryan], ['upsert', mary], ['upsert', linda]],
    [['upsert', mary2], ['upsert', barbara]],
    [['upsert', ryan2], ['upsert', susan]],
  ],
  mirror: [
    [['upsert', ryan], ['upsert', mary], ['upsert', linda]],
    [['upsert', mary2], ['upsert', barbara], ['delete', linda]],
    [['upsert', ryan2], ['upsert', susan], ['delete', barbara]],
  ],
  append: [
    [['append', ryan], ['append', mary], ['append', linda]],
    [['append', mary2], ['append', barbara]],
    [['append', ryan2], ['append', susan]],
  ],
  create: [[['create', ryan], ['create', mary], ['create', linda]], [['create', barbara]], [['create', susan]]],
  delete: [[['delete', ryan], ['delete', mary], ['delete', linda]], [['delete', barbara]], [['delete', susan]]],
};

describe('sync modes over three runs', () => {
  it('each mode sends exactly its row-ops with valmi payloads, numbered from 1 in each run, signed with the sync secret', async () => {
    const pipelineId = await stack.createPipeline('crm-source');
    const { key, token } = await stack.createToken();
    const target = { pipelineId, key, token };
    const syncs = await Promise.all(
      MODES.map(async (mode) => ({
        mode,
        ...(await stack.syncs.createSync({
          name: `crm-${mode}`,
          sql: latestCustomersSql(pipelineId),
          primaryKey: 'customer_id',
          mode,
          webhookUrl: `${receiver.url}/${mode}`,
          mapping: CUSTOMER_MAPPING,
        })),
      })),
    );
    // The connection test: one signed ping each, before any row.
    for (const { mode, secret } of syncs) {
      const [ping] = receiver.at(`/${mode}`);
      expect((new Webhook(secret).verify(ping!.body, ping!.headers as Record<string, string>) as { type: string }).type).toBe('ping');
    }
    const rounds = [
      { customers: [ryan, mary, linda].map(asWebhook), total: 3 },
      { customers: [asWebhook(mary2), { customer_id: 3, deleted: true }, asWebhook(barbara)], total: 6 },
      { customers: [asWebhook(ryan2), { customer_id: 4, deleted: true }, asWebhook(susan)], total: 9 },
    ];
    for (const [round, { customers, total }] of rounds.entries()) {
      await landCustomers(stack, target, customers, total);
      const seen = new Map(syncs.map(({ mode }) => [mode, receiver.at(`/${mode}`).length]));
      const runs = await Promise.all(syncs.map(({ sync }) => stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 20_000 })));
      for (const [index, { mode, secret }] of syncs.entries()) {
        const run: SyncRun = runs[index]!;
        const got = receiver.at(`/${mode}`).slice(seen.get(mode));
        const expected = EXPECTED[mode][round]!;
        // Deliveries run concurrently: compare in row order.
        const bodies = got.map((request) => request.body).sort((a, b) => rowNumOf(a) - rowNumOf(b));
        expect(bodies, `${mode}, run ${round + 1}`).toEqual(expected.map(([op, customer], i) => payload(i + 1, op, mode, customer)));
        for (const request of got) {
          expect(() => new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).not.toThrow();
          expect(request.headers['content-type']).toBe('application/json');
        }
        expect(new Set(got.map((request) => request.headers['webhook-id'])).size).toBe(got.length);
        // The run's counts are what the receiver got.
        const byOp = { upsert: 0, append: 0, create: 0, delete: 0 };
        for (const [op] of expected) byOp[op as keyof typeof byOp]++;
        expect(run, `${mode}, run ${round + 1}`).toMatchObject({ status: 'succeeded', counts: byOp, delivered: got.length, failed: 0, pending: 0 });
      }
    }
    // The runs page: newest first, one row per run, counts as delivered.
    const upsert = syncs.find((s) => s.mode === 'upsert')!;
    const page = (await stack.syncs.listRuns(upsert.sync.id)).items;
    expect(page.map((run) => run.delivered)).toEqual([2, 2, 3]);
    expect(page.map((run) => run.rows)).toEqual([3, 3, 3]);
    const deliveries = (await stack.syncs.listDeliveries(upsert.sync.id)).items;
    expect(deliveries).toHaveLength(7);
    expect(deliveries.every((delivery) => delivery.status === 'succeeded' && delivery.eventType === 'hooklake.sync_row')).toBe(true);
  });
});

function rowNumOf(body: string): number {
  return (JSON.parse(body) as { _valmi_meta: { _valmi_row_num: number } })._valmi_meta._valmi_row_num;
}
