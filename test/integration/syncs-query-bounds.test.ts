// A sync's SQL is user input, bounded like every other: through the local stack with small bounds,
// a query past its memory, disk or time bound, or past DuckDB's memory_limit, fails its run with a
// message naming the bound (in the API and `hooklake syncs runs`), while the stack goes on
// answering webhooks and its own process does not grow; the query sees the limits it runs under
// and cannot change them, load an extension or reach the network.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSyncDuckDb } from '../../shared/adapters/duckdb/sync-duckdb.ts';
import type { SyncRun } from '../../shared/ports/syncs.ts';
import { runCli } from '../support/cli-harness.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { postJson, startTestStack, type TestStack } from '../support/stack.ts';

const MIB = 1024 * 1024;
const BOUNDS = {
  processMemoryBytes: 384 * MIB,
  duckDbMemoryBytes: 128 * MIB,
  threads: 1,
  tempBytes: 64 * MIB,
  // Long enough for the other bounds to be reached first on a loaded machine (the 500 MB string takes ~1.5 s to reach 384 MiB here, unloaded).
  timeLimitMs: 10_000,
};
/**
 * What the query's process may reach: its bound plus what it can fill between two 5 ms checks
 * (measured here: 2 MiB over for the repeat; a burst of large copies, up to 64 MiB).
 */
const PROCESS_CEILING_MIB = 384 + 128;

let stack: TestStack;
let receiver: Receiver;
let dataDir: string;
let ingest: { pipelineId: number; key: string; token: string };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hooklake-sync-bounds-'));
  stack = await startTestStack({ dataDir, timeScale: 1, syncTickIntervalMs: 0, syncQueryLimits: BOUNDS });
  receiver = await startReceiver();
  const pipelineId = await stack.createPipeline('bounds');
  ingest = { pipelineId, ...(await stack.createToken()) };
});

afterAll(async () => {
  await receiver?.close();
  await stack?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function runQuery(name: string, sql: string): Promise<{ sync: { id: string }; run: SyncRun; ms: number }> {
  const { sync } = await stack.syncs.createSync({ name, sql, primaryKey: 'id', mode: 'upsert', webhookUrl: `${receiver.url}/${name}`, mapping: [], skipTest: true });
  const started = Date.now();
  const run = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 60_000 });
  return { sync, run, ms: Date.now() - started };
}

/** Peak resident memory (VmHWM) of every child process of this one seen while sampling, in MiB. */
function childPeaks(): { stop(): number[] } {
  const peaks = new Map<string, number>();
  const timer = setInterval(() => {
    let children: string[];
    try {
      children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      return;
    }
    for (const pid of children) {
      try {
        const kib = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        peaks.set(pid, Math.max(peaks.get(pid) ?? 0, kib / 1024));
      } catch {
        // it ended between the two reads
      }
    }
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      return [...peaks.values()];
    },
  };
}

describe('bounds of a run', () => {
  it("a string of 500 MB fails the run at the memory bound; the stack answers webhooks meanwhile and its own memory stays where it was", async () => {
    const baseline = process.memoryUsage.rss();
    let stackPeak = baseline;
    const sampler = setInterval(() => {
      stackPeak = Math.max(stackPeak, process.memoryUsage.rss());
    }, 5);
    const peaks = childPeaks();
    const webhookStatuses: number[] = [];
    let querying = true;
    const sender = (async () => {
      for (let n = 0; querying; n++) {
        webhookStatuses.push((await postJson(stack.webhookUrl(ingest.pipelineId, ingest.key, ingest.token), JSON.stringify({ n }))).status);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const { sync, run } = await runQuery('repeat', `select 1 as id, length(repeat('x', 500000000)) as n`).finally(() => {
      querying = false;
    });
    await sender;
    clearInterval(sampler);
    const childPeaksMiB = peaks.stop();

    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^the sync query went past its memory bound: its process reached \d+ MiB, over the 384 MiB allowed \(HOOKLAKE_SYNC_PROCESS_MEMORY_LIMIT\), and was stopped$/);
    // The stack kept serving: every webhook sent while the query ran was accepted.
    const figures = JSON.stringify({ webhookStatuses, stackBaselineMiB: baseline / MIB, stackPeakMiB: stackPeak / MIB, childPeaksMiB });
    expect(webhookStatuses.length, figures).toBeGreaterThan(3);
    expect(webhookStatuses.every((status) => status === 200), figures).toBe(true);
    // The query's memory was its own process's (in-process, the stack grew by over 1 GB).
    expect((stackPeak - baseline) / MIB, figures).toBeLessThan(100);
    expect(Math.max(...childPeaksMiB), figures).toBeGreaterThan(300); // the sampler did see the query's process grow
    expect(Math.max(...childPeaksMiB), figures).toBeLessThan(PROCESS_CEILING_MIB);

    // The bound is named where the user looks: the API's runs and `hooklake syncs runs`.
    const { body } = await stack.admin<{ runs: { status: string; error: string }[] }>('GET', `/v4/syncs/${sync.id}/runs`);
    expect(body.runs[0]).toMatchObject({ status: 'failed', error: run.error });
    const table = await runCli(['syncs', 'runs', sync.id], { cwd: dataDir });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/failed .* the sync query went past its memory bound/);
    const json = await runCli(['syncs', 'runs', sync.id, '--json'], { cwd: dataDir });
    expect(json.json).toMatchObject([{ status: 'failed', error: run.error }]);
  });

  it('a query that runs past the time bound is stopped at it', async () => {
    const { run, ms } = await runQuery('forever', 'select sum(range) as id from range(1000000000000)');
    expect(run).toMatchObject({ status: 'failed', error: 'the sync query went past its time bound of 10 s (HOOKLAKE_SYNC_TIME_LIMIT_SECONDS) and was stopped' });
    expect(ms).toBeGreaterThanOrEqual(10_000);
    expect(ms).toBeLessThan(30_000);
  });

  it('a query that spills past the disk bound is stopped at it', async () => {
    // A gigabyte of rows under DuckDB's 128 MiB: it spills, ~100 MB/s here.
    const { run } = await runQuery('spill', `select range as id, repeat('x', 1000) as s from range(1000000)`);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^the sync query went past its disk bound: its run directory reached \d+ MiB, over the 64 MiB allowed \(HOOKLAKE_SYNC_TEMP_LIMIT\), and was stopped$/);
  });

  it("a query past DuckDB's memory_limit fails with DuckDB's words and the setting's name, not DuckDB's advice to raise it", async () => {
    const { run } = await runQuery('buffers', 'select list(range) as id from range(50000000)');
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^the sync query went past its memory bound: DuckDB's memory_limit of 128MiB \(HOOKLAKE_SYNC_MEMORY_LIMIT\): Out of Memory Error: /);
    expect(run.error).not.toMatch(/SET memory_limit/);
  });

  it('a row too large to send is counted, the run goes on with the others', async () => {
    // Over the 256 KiB of an event's data: the plan writes it without key and row (diff.test.ts).
    const { run } = await runQuery('huge-row', `select 1 as id, 'small' as s union all select 2 as id, repeat('x', 1000000) as s`);
    expect(run).toMatchObject({ status: 'succeeded', rows: 2, counts: { upsert: 2 }, failedRows: { payload_too_large: 1 }, delivered: 1 });
    expect(receiver.at('/huge-row').map((request) => (JSON.parse(request.body) as { id: number }).id)).toEqual([1]);
  });

  it('a run after those succeeds: a stopped query leaves nothing behind', async () => {
    const { run } = await runQuery('after', 'select 1 as id');
    expect(run).toMatchObject({ status: 'succeeded', delivered: 1 });
  });
});

describe('what the query runs under', () => {
  it('it sees its limits, with extensions neither installed nor loaded on demand, and the configuration locked', async () => {
    const settings = ['memory_limit', 'threads', 'max_temp_directory_size', 'autoinstall_known_extensions', 'autoload_known_extensions', 'enable_external_access', 'lock_configuration'];
    const sql = `select 1 as id, ${settings.map((name) => `current_setting('${name}')::varchar as ${name}`).join(', ')}`;
    const { run } = await runQuery('settings', sql);
    expect(run).toMatchObject({ status: 'succeeded', delivered: 1 });
    const row = receiver.at('/settings').map((request) => JSON.parse(request.body) as Record<string, unknown>)[0]!;
    expect(row).toMatchObject({
      memory_limit: '128.0 MiB',
      threads: '1',
      max_temp_directory_size: '64.0 MiB',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      enable_external_access: 'false',
      lock_configuration: 'true',
    });
  });

  it('a sync query that is not a SELECT (a SET, an INSTALL) fails its run', async () => {
    for (const sql of [`SET memory_limit='10GB'`, 'INSTALL httpfs', 'SET threads=8']) {
      const { run } = await runQuery(`not-select-${sql.split(/\W/)[0]}-${sql.length}`, sql);
      expect(run, sql).toMatchObject({ status: 'failed', error: 'the sync query must be a SELECT statement' });
    }
  });

  it('once locked, DuckDB refuses to change a limit, to install or load an extension, to turn external access back on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklake-locked-'));
    try {
      await withSyncDuckDb({ allowed: [dir], limits: { memoryLimit: '128MiB', threads: 1, tempLimit: '64MiB' }, spillDir: join(dir, 'spill') }, async (connection) => {
        const refusals: Record<string, string> = {};
        for (const sql of [
          `SET memory_limit='10GB'`,
          'SET threads=8',
          `SET max_temp_directory_size='1TB'`,
          'SET autoload_known_extensions=true',
          'SET enable_external_access=true',
          'SET lock_configuration=false',
          'INSTALL httpfs',
          'LOAD httpfs',
        ]) {
          refusals[sql] = await connection.run(sql).then(
            () => 'accepted',
            (error: unknown) => (error as Error).message.split('\n')[0]!,
          );
        }
        for (const [sql, refusal] of Object.entries(refusals)) {
          if (sql.startsWith('SET')) expect(refusal, sql).toMatch(/the configuration has been locked/);
          else expect(refusal, sql).toMatch(/disabled/);
        }
        const reader = await connection.runAndReadAll(`select current_setting('memory_limit') as m, current_setting('threads') as t`);
        expect(reader.getRowObjectsJson()).toEqual([{ m: '128.0 MiB', t: '1' }]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
