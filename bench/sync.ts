// Sync engine: the diff and the enqueue of a first run over BENCH_SYNC_ROWS rows (100,000 by
// default), a second run after 10% of the rows changed, and the memory it took.
//
// The lake is BENCH_SYNC_ROWS webhook rows (customers as JSON bodies, 10 Parquet objects) on
// local disk; the sync query takes each customer's latest body and maps four fields, like the
// tests. The engine is the real one (createSyncEngine: DuckDB diff, row-op payloads, event and
// delivery ids and records, delivery jobs); its store, row-op writer and queues are in memory and
// only count, so the figures are the engine's own cost, not DynamoDB's or SQS's.
//   node bench/sync.ts      BENCH_SYNC_ROWS=100000 by default
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { countingRowOpWriter, memorySyncStore } from '../shared/adapters/memory/sync-store.ts';
import { memoryDeliveryStore } from '../shared/adapters/memory/delivery-store.ts';
import { systemClock } from '../shared/domain/clock.ts';
import type { SyncMessage } from '../shared/domain/syncs/messages.ts';
import type { StoredSync, SyncWorkspace } from '../shared/ports/syncs.ts';
import { createSyncEngine, startRun } from '../shared/services/syncs/engine.ts';
import { printResult, type BenchResult, type Figure } from './lib.ts';
import { localSyncWorkspace } from '../shared/adapters/duckdb/local-sync-workspace.ts';

/** 1,000,000 rows must plan within a Lambda invocation (15 min) with room to spare: 10 minutes. */
const TARGET_DIFF_ROWS_PER_SECOND = 1_000_000 / 600;
/** The sync function's memory (infra/constructs/syncs.ts). */
const FUNCTION_MEMORY_MB = 3008;

async function writeLake(lakeDir: string, rows: number, offset: number, files: number, changedEvery?: number): Promise<void> {
  const dir = join(lakeDir, 'webhooks', 'pipeline_id=1', 'dt=2026-11-30');
  mkdirSync(dir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const filter = changedEvery === undefined ? 'true' : `i % ${changedEvery} = 0`;
  for (let file = 0; file < files; file++) {
    await connection.run(
      `copy (select 'r${offset}_' || i as __kdd_request_id, ${1_800_000_000 + offset}.0 + i / 1000.0 as __kdd_request_unix_timestamp, ` +
        `'0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' as __kdd_requester_key, ` +
        `json_object('customer_id', i, 'first_name', 'Name ' || i || '${offset === 0 ? '' : ' (changed)'}', 'email', 'customer' || i || '@example.org', 'active', i % 2)::varchar as __kdd_request_body ` +
        `from range(${rows}) t(i) where i % ${files} = ${file} and ${filter}) to '${join(dir, `part-${offset}-${file}.parquet`)}' (format parquet)`,
    );
  }
  connection.closeSync();
  instance.closeSync();
}

const SQL = `
  select customer_id, first_name, email, active from (
    select *, row_number() over (partition by customer_id order by __kdd_request_unix_timestamp desc) as latest from (
      select cast(json_extract(__kdd_request_body, '$.customer_id') as bigint) as customer_id,
             json_extract_string(__kdd_request_body, '$.first_name') as first_name,
             json_extract_string(__kdd_request_body, '$.email') as email,
             cast(json_extract(__kdd_request_body, '$.active') as integer) as active,
             __kdd_request_unix_timestamp
      from webhooks where pipeline_id = 1))
  where latest = 1`;

export async function runSyncBench(options: { rows?: number } = {}): Promise<BenchResult> {
  const rows = options.rows ?? 100_000;
  const root = mkdtempSync(join(tmpdir(), 'hooklake-bench-sync-'));
  try {
    const lakeDir = join(root, 'lake');
    await writeLake(lakeDir, rows, 0, 10);

    // Reference: DuckDB running the sync query alone (no hashing, diff or row-ops).
    const reference = await DuckDBInstance.create(':memory:');
    const refConnection = await reference.connect();
    await refConnection.run(`create view webhooks as select *, 1::bigint as pipeline_id from read_parquet('${join(lakeDir, 'webhooks', '*', '*', '*.parquet')}')`);
    const refStarted = performance.now();
    await refConnection.runAndReadAll(`select count(*), sum(length(first_name)) from (${SQL})`);
    const referenceSeconds = (performance.now() - refStarted) / 1000;
    refConnection.closeSync();
    reference.closeSync();

    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed);
    }, 20);

    const store = memorySyncStore();
    const writer = countingRowOpWriter();
    let jobs = 0;
    const syncMessages: SyncMessage[] = [];
    const timings = { planMs: 0 };
    const local = localSyncWorkspace({ lakeDir, rootDir: join(root, 'work'), memoryLimit: '1GB' });
    const workspace: SyncWorkspace = {
      ...local,
      async plan(ref, definition) {
        const started = performance.now();
        try {
          return await local.plan(ref, definition);
        } finally {
          timings.planMs = performance.now() - started;
        }
      },
    };
    const deps = {
      store,
      rowOps: writer,
      deliveries: memoryDeliveryStore(),
      eventsQueue: { send: async (entries: readonly unknown[]) => void (jobs += entries.length) },
      syncQueue: { send: async (entries: readonly { message: SyncMessage }[]) => void syncMessages.push(...entries.map((e) => e.message)) },
      workspace,
      clock: systemClock,
      retentionDays: 30,
    };
    const engine = createSyncEngine(deps);
    const now = Date.now();
    const sync: StoredSync = {
      id: 'syn_00000000000000000001',
      name: 'bench',
      sql: SQL,
      primaryKey: 'customer_id',
      mode: 'upsert',
      mapping: [
        { source: 'customer_id', destination: 'customer_id' },
        { source: 'first_name', destination: 'my_first_name' },
        { source: 'email', destination: 'email' },
        { source: 'active', destination: 'active' },
      ],
      webhookUrl: 'https://crm.example/hook',
      webhookHttpMethod: 'POST',
      format: 'json',
      headerNames: [],
      secretCiphertext: 'unused',
      schedule: { kind: 'manual' },
      scheduleAnchorMs: now,
      enabled: true,
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      version: 1,
    };
    await store.putSync(sync);

    /** One run: plan + enqueue every row-op; then every delivery "succeeds" and is folded in. */
    async function oneRun() {
      const outcome = await startRun(deps, (await store.getSync(sync.id))!, 'manual');
      if (outcome === 'missing' || 'busy' in outcome) throw new Error('could not start the run');
      const before = { events: writer.events, jobs };
      const started = performance.now();
      await engine.handle({ v: 1, kind: 'run', syncId: sync.id, runId: outcome.run.id }, () => Infinity);
      const totalMs = performance.now() - started;
      const run = (await store.getRun(sync.id, outcome.run.id))!;
      const enqueued = writer.events - before.events;
      if (jobs - before.jobs !== enqueued) throw new Error('every row-op needs its delivery job');
      const foldStarted = performance.now();
      await workspace.fold({ syncId: sync.id, runId: run.id }, 'upsert', (async function* () {
        for (let from = 1; from <= run.totalOps; from += 10_000) {
          yield Array.from({ length: Math.min(10_000, run.totalOps - from + 1) }, (_, i) => from + i);
        }
      })());
      const foldMs = performance.now() - foldStarted;
      await store.releaseRun(sync.id, run.id);
      return { run, planMs: timings.planMs, enqueueMs: totalMs - timings.planMs, foldMs, enqueued };
    }

    const first = await oneRun();
    await writeLake(lakeDir, rows, 1, 1, 10); // every 10th customer changes
    const second = await oneRun();
    clearInterval(sampler);
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    const mb = (bytes: number) => bytes / 2 ** 20;

    const diffRate = rows / (first.planMs / 1000);
    const figures: Figure[] = [
      {
        metric: `first run, diff of ${rows.toLocaleString('en-US')} rows (query, hash, compare, row-ops to Parquet)`,
        value: diffRate,
        unit: 'rows/s',
        reference: { label: 'the same query alone in DuckDB', value: rows / referenceSeconds, unit: 'rows/s' },
        ratio: diffRate / (rows / referenceSeconds),
        target: `≥ ${Math.round(TARGET_DIFF_ROWS_PER_SECOND).toLocaleString('en-US')} rows/s (1,000,000 planned in 10 min)`,
        met: diffRate >= TARGET_DIFF_ROWS_PER_SECOND,
      },
      {
        metric: 'first run, enqueue (payloads, ids, events, deliveries, jobs; in-memory stores)',
        value: first.enqueued / (first.enqueueMs / 1000),
        unit: 'row-ops/s',
      },
      { metric: 'first run, fold of every row-op into the snapshot', value: rows / (first.foldMs / 1000), unit: 'row-ops/s' },
      {
        metric: `second run (10% changed), diff against the snapshot of ${rows.toLocaleString('en-US')} keys`,
        value: rows / (second.planMs / 1000),
        unit: 'rows/s',
      },
      {
        metric: 'peak RSS of the process (Node + DuckDB, both runs)',
        value: Math.max(maxRssMb, mb(peakRss)),
        unit: 'MB',
        reference: { label: 'before the runs', value: mb(baseline.rss), unit: 'MB' },
        target: `< ${FUNCTION_MEMORY_MB} MB (the sync function)`,
        met: Math.max(maxRssMb, mb(peakRss)) < FUNCTION_MEMORY_MB,
      },
      { metric: 'peak JS heap', value: mb(peakHeap), unit: 'MB', reference: { label: 'before the runs', value: mb(baseline.heapUsed), unit: 'MB' } },
    ];
    if (first.run.counts.upsert !== rows || second.run.counts.upsert !== Math.ceil(rows / 10)) {
      throw new Error(`unexpected row-ops: ${first.run.counts.upsert} then ${second.run.counts.upsert}`);
    }
    return {
      bench: 'sync',
      figures,
      notes: [
        `DuckDB memory_limit 1GB, ${rows.toLocaleString('en-US')} customers in 10 Parquet objects; the second run adds ${Math.ceil(rows / 10).toLocaleString('en-US')} changed rows`,
        'enqueue is the engine alone: on AWS each row-op adds a BatchWriteItem share (event + delivery) and a SendMessageBatch share, which bound the real rate',
      ],
      details: {
        rows,
        first: { planMs: Math.round(first.planMs), enqueueMs: Math.round(first.enqueueMs), foldMs: Math.round(first.foldMs), rowOps: first.enqueued },
        second: { planMs: Math.round(second.planMs), enqueueMs: Math.round(second.enqueueMs), rowOps: second.enqueued },
        referenceQueryMs: Math.round(referenceSeconds * 1000),
        payloadBytes: writer.bytes,
      },
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const rows = process.env.BENCH_SYNC_ROWS ? Number(process.env.BENCH_SYNC_ROWS) : undefined;
  printResult(await runSyncBench(rows === undefined ? {} : { rows }));
}
