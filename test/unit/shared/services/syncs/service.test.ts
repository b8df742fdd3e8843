// The SyncService over the in-memory adapters (no emulators, no DuckDB): what creating a sync
// checks and sends (its definition, its URL, the signed connection test to its destination),
// what is stored (never a secret or a header value in the clear), enabling and disabling on a
// schedule, starting runs one at a time, deleting with its files, and its delivery log.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { memoryDeliveryStore } from '../../../../../shared/adapters/memory/delivery-store.ts';
import { memoryEventsQueue } from '../../../../../shared/adapters/memory/queues.ts';
import { memorySecretCipher } from '../../../../../shared/adapters/memory/secret-cipher.ts';
import { memorySyncStore } from '../../../../../shared/adapters/memory/sync-store.ts';
import { plannedDelivery } from '../../../../../shared/domain/delivery/log.ts';
import { parseQueueMessage } from '../../../../../shared/domain/delivery/queue-messages.ts';
import type { DeliveryRequest } from '../../../../../shared/domain/delivery/request.ts';
import type { SyncQueueMessage } from '../../../../../shared/domain/syncs/messages.ts';
import type { SendResult } from '../../../../../shared/ports/delivery.ts';
import { SyncError, type SyncInput } from '../../../../../shared/ports/syncs.ts';
import { createSyncService } from '../../../../../shared/services/syncs/service.ts';

// Now (to the minute, as schedules fire): the ping's signature carries the clock's time, and receivers refuse an old one.
const T0 = Math.floor(Date.now() / 60_000) * 60_000;

function setup(options: { answer?: (request: DeliveryRequest) => SendResult; allowPrivate?: boolean } = {}) {
  let now = T0;
  const store = memorySyncStore();
  const deliveries = memoryDeliveryStore();
  const eventsQueue = memoryEventsQueue(() => now);
  const syncMessages: { message: SyncQueueMessage; delaySeconds?: number | undefined }[] = [];
  const deletedFiles: string[] = [];
  const sent: DeliveryRequest[] = [];
  const answer = options.answer ?? (() => ({ outcome: { status: 200 }, statusCode: 200, latencyMs: 4, responseSnippet: 'ok' }));
  const service = createSyncService({
    store,
    deliveries,
    eventsQueue,
    syncQueue: { send: async (entries) => void syncMessages.push(...entries) },
    clock: { nowMs: () => now },
    files: { deleteSync: async (syncId) => void deletedFiles.push(syncId) },
    cipher: memorySecretCipher(),
    sender: {
      async send(request) {
        sent.push(request);
        return answer(request);
      },
    },
    resolve: async (hostname) => (hostname === 'internal.example' ? ['10.0.0.7'] : ['93.184.216.34']),
    allowPrivateTargets: options.allowPrivate ?? false,
    pollIntervalMs: 1,
  });
  return { service, store, deliveries, eventsQueue, syncMessages, deletedFiles, sent, advance: (ms: number) => void (now += ms), now: () => now };
}

const input = (extra: Partial<SyncInput> = {}): SyncInput => ({
  name: 'crm',
  sql: 'select id, email from webhooks',
  primaryKey: 'id',
  mode: 'upsert',
  webhookUrl: 'https://crm.example/hook',
  ...extra,
});

describe('creating a sync', () => {
  it("sends a signed ping to the destination with its headers, and stores the sync with its secret and header values sealed", async () => {
    const t = setup();
    const { sync, secret, test } = await t.service.createSync(input({ headers: { Authorization: 'Bearer crm-key' } }));
    expect(sync).toMatchObject({ name: 'crm', mode: 'upsert', webhookUrl: 'https://crm.example/hook', headerNames: ['Authorization'], enabled: true });
    expect(sync.id).toMatch(/^syn_[0-9a-f]{20}$/);
    expect(test).toMatchObject({ ok: true, statusCode: 200 });
    expect(t.sent).toHaveLength(1);
    const ping = t.sent[0]!;
    expect(ping.headers.authorization).toBe('Bearer crm-key');
    expect(new Webhook(secret).verify(ping.body!, ping.headers)).toMatchObject({ type: 'ping', data: { syncId: sync.id } });
    const stored = t.store.syncs.get(sync.id)!;
    expect(JSON.stringify(stored)).not.toContain(secret.slice(6));
    expect(JSON.stringify(stored)).not.toContain('crm-key');
    expect(JSON.stringify(await t.service.getSync(sync.id))).not.toContain('Ciphertext');
  });

  it('stores nothing when the destination does not answer the ping 2xx, and says how it answered', async () => {
    const t = setup({ answer: () => ({ outcome: { status: 503 }, statusCode: 503, latencyMs: 9, responseSnippet: 'down' }) });
    const refused = await t.service.createSync(input()).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SyncError);
    expect(refused).toMatchObject({ code: 'CONNECTION_TEST_FAILED', test: { ok: false, statusCode: 503, responseSnippet: 'down' } });
    expect(t.store.syncs.size).toBe(0);
  });

  it('skips the ping on request, and refuses a bad definition or a private target before sending anything', async () => {
    const t = setup();
    await t.service.createSync(input({ skipTest: true }));
    expect(t.sent).toEqual([]);
    await expect(t.service.createSync(input({ mode: 'merge' }))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(t.service.createSync(input({ webhookUrl: 'https://internal.example/hook' }))).rejects.toMatchObject({ code: 'INVALID_TARGET' });
    await expect(t.service.createSync(input({ webhookUrl: 'http://127.0.0.1/hook' }))).rejects.toMatchObject({ code: 'INVALID_TARGET' });
    expect(t.sent).toEqual([]);
    expect(t.store.syncs.size).toBe(1);
  });
});

describe('schedule, runs and deletion', () => {
  it('fires an `every` schedule from creation, stops it while disabled and counts afresh from enabling', async () => {
    const t = setup();
    const { sync } = await t.service.createSync(input({ schedule: { kind: 'every', minutes: 15 } }));
    expect(sync.nextRunAt).toBe(new Date(T0 + 15 * 60_000).toISOString());
    t.advance(40 * 60_000);
    const disabled = await t.service.disableSync(sync.id);
    expect(disabled.enabled).toBe(false);
    expect(disabled.nextRunAt).toBeUndefined();
    t.advance(5 * 60_000);
    const enabled = await t.service.enableSync(sync.id);
    expect(enabled.nextRunAt).toBe(new Date(t.now() + 15 * 60_000).toISOString());
    expect(t.store.syncs.get(sync.id)!.version).toBe(3);
  });

  it('starts one run at a time: a second request while one holds the sync is CONFLICT naming it; a disabled sync does not run', async () => {
    const t = setup();
    const { sync } = await t.service.createSync(input({ skipTest: true }));
    const run = await t.service.runSync(sync.id);
    expect(run).toMatchObject({ syncId: sync.id, status: 'running', trigger: 'manual' });
    expect(t.syncMessages).toEqual([{ message: { v: 1, kind: 'run', syncId: sync.id, runId: run.id } }]);
    await expect(t.service.runSync(sync.id)).rejects.toMatchObject({ code: 'CONFLICT', activeRunId: run.id });
    expect((await t.service.listRuns(sync.id)).items.map((listed) => listed.id)).toEqual([run.id]);
    const other = (await t.service.createSync(input({ skipTest: true, enabled: false }))).sync;
    await expect(t.service.runSync(other.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(t.service.runSync('syn_00000000000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('deletes a sync and its files once', async () => {
    const t = setup();
    const { sync } = await t.service.createSync(input({ skipTest: true }));
    expect(await t.service.deleteSync(sync.id)).toBe(true);
    expect(await t.service.deleteSync(sync.id)).toBe(false);
    expect(t.deletedFiles).toEqual([sync.id]);
    expect(await t.service.getSync(sync.id)).toBeUndefined();
  });
});

describe("a sync's delivery log", () => {
  it("lists the sync's deliveries, and redelivers one as a manual job addressed to the sync", async () => {
    const t = setup();
    const { sync } = await t.service.createSync(input({ skipTest: true }));
    const record = plannedDelivery({ id: 'evt_sync_row_1', type: 'hooklake.sync_row', timestamp: T0 }, { id: sync.id, address: 'a' }, { now: T0, retentionDays: 30 });
    await t.deliveries.create({ ...record, status: 'failed', attemptCount: 5 });
    const page = await t.service.listDeliveries(sync.id);
    expect(page.items).toEqual([expect.objectContaining({ id: record.id, destinationId: sync.id, status: 'failed' })]);
    const again = await t.service.redeliver(sync.id, record.id);
    expect(again.status).toBe('pending');
    const [job] = t.eventsQueue.drain().map((entry) => parseQueueMessage(entry.body));
    expect(job).toMatchObject({ kind: 'delivery', deliveryId: record.id, destinationId: sync.id, seq: 5, manual: true });
    await expect(t.service.listDeliveries('syn_00000000000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(t.service.redeliver(sync.id, 'dlv_000000000aaaaaaaaaaaaaaaaaaaa')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
