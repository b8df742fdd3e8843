// The lake over a day of traffic, before and after hourly compaction.
//
// One day of BENCH_LAKE_ROWS webhooks (250,000 by default: a quarter of a 1,000,000-a-day
// pipeline, spread over all 24 hours; BENCH_LAKE_ROWS=1000000 runs the whole day, ~5 minutes here),
// written as the processor writes it on AWS: objects of 12 rows (SQS → Lambda's five concurrent
// batches at ~12 requests/s), each encoded by the processor's own writer (encodeWebhookRows), named
// by webhooksObjectKey. Then the real compaction (shared/services/lake/compaction.ts and the DuckDB
// merger) over a directory standing in for the bucket. Before and after, each with its ratio:
//   objects and bytes; DuckDB through the `webhooks` view: count(*), a one-hour filter, a JSON
//   group-by, a sync's plan (planOps: query, hash, diff, row-ops); the console's id search
//   (request-inspector.ts over the directory); and the sync workspace's lake mirror over a bucket
//   of several compacted days (fauxqs), for a query of one day and of all of them.
// BENCH_LAKE_BODIES=github takes the bodies from real GitHub payloads (@octokit/webhooks-examples,
// ~10 KB of JSON each, a row number spliced in so no two are equal) instead of ~450 B order events.
//   node bench/lake.ts      BENCH_LAKE_ROWS=250000, BENCH_LAKE_BODIES=orders by default
import { copyFile, mkdir, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { startEmulators } from '../infra/local/emulators.ts';
import { provisionResources } from '../infra/local/resources.ts';
import { s3Client } from '../shared/adapters/clients/s3.ts';
import { duckDbHourMerger } from '../shared/adapters/duckdb/hour-merger.ts';
import { localLakeKeys } from '../shared/adapters/duckdb/local-lake.ts';
import { planOps } from '../shared/adapters/duckdb/sync-duckdb.ts';
import { duckDbSyncWorkspace } from '../shared/adapters/duckdb/sync-workspace.ts';
import { SOURCE_PLAN_ENTRY } from '../functions/sync/app.ts';
import { newRequestId } from '../shared/domain/credentials.ts';
import { utcDay } from '../shared/domain/clock.ts';
import type { ListedObject } from '../shared/domain/lake/compaction.ts';
import { encodeWebhookRows, isCompactedObject, webhooksObjectKey, type WebhookRow } from '../shared/domain/lake/objects.ts';
import { lakeFilesOf, webhookViewStatements } from '../shared/domain/lake/views.ts';
import { lambdaSyncQueryLimits } from '../shared/domain/syncs/query-limits.ts';
import type { LakeObjects } from '../shared/ports/lake.ts';
import type { LakeReader } from '../shared/ports/inspector.ts';
import { compactLake } from '../shared/services/lake/compaction.ts';
import { createRequestInspector } from '../shared/services/inspector/request-inspector.ts';
import { printResult, type BenchResult, type Figure } from './lib.ts';
import { createRequire } from 'node:module';

export type BodyKind = 'orders' | 'github';

/** Real GitHub webhook payloads (the @octokit/webhooks-examples corpus). */
function githubPayloads(): string[] {
  const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as { examples: unknown[] }[];
  return examples.flatMap((entry) => entry.examples.map((example) => JSON.stringify(example)));
}

const ROWS_PER_OBJECT = 12;
const DAY = '2026-11-30';
const DAY_START = Date.parse(`${DAY}T00:00:00.000Z`) / 1000;
const FULL_DAY = 1_000_000;
/** Days of compacted history in the bucket the mirror is measured over (the benchmark's day and copies of it). */
const HISTORY_DAYS = 5;
const EVENTS = ['order.created', 'order.paid', 'order.shipped', 'order.refunded'];
const HEADERS = JSON.stringify({ 'content-type': 'application/json', 'user-agent': 'Shop-Hookshot/1.0', 'x-shop-topic': 'orders/updated', 'x-shop-hmac-sha256': '[redacted]' });

let github: string[] | undefined;

function body(kind: BodyKind, n: number): string {
  if (kind === 'github') {
    github ??= githubPayloads();
    return `{"hooklake_n":${n},${github[n % github.length]!.slice(1)}`;
  }
  return JSON.stringify({
      event: EVENTS[n % EVENTS.length],
      order: {
        id: `ORD-${n % 50_000}`,
        customer: { id: n % 5000, email: `customer${n % 5000}@example.com`, name: 'Maria Silva' },
        items: [
          { sku: `SKU-${n % 97}`, qty: 1 + (n % 4), price: (n % 5000) / 100 },
          { sku: `SKU-${(n * 7) % 89}`, qty: 1, price: 19.9 },
        ],
        total: (n % 10_000) / 100,
        currency: 'BRL',
      },
      created_at: new Date((DAY_START + n) * 1000).toISOString(),
    });
}

function row(n: number, rows: number, kind: BodyKind): WebhookRow {
  const ts = DAY_START + (n * 86_400) / rows + (n % 7) / 1000;
  return {
    __kdd_request_id: newRequestId(ts),
    __kdd_request_unix_timestamp: ts,
    __kdd_requester_key: '6f1c2a0e-8b7d-4c3e-9f21-0a5b6c7d8e9f',
    __kdd_request_body: body(kind, n),
    __hl_request_method: 'POST',
    __hl_request_headers: HEADERS,
    __hl_request_query: '{}',
    __hl_provider_delivery_id: null,
  };
}

/** Writes the day as the processor does: 12-row objects in time order. Returns every row's id and time. */
async function writeDay(root: string, rows: number, kind: BodyKind): Promise<{ id: string; ts: number }[]> {
  const refs: { id: string; ts: number }[] = [];
  await mkdir(join(root, 'webhooks', 'pipeline_id=1', `dt=${DAY}`), { recursive: true });
  for (let start = 0; start < rows; start += ROWS_PER_OBJECT) {
    const batch = Array.from({ length: Math.min(ROWS_PER_OBJECT, rows - start) }, (_, i) => row(start + i, rows, kind));
    const requests = batch.map((r) => ({ id: r.__kdd_request_id, ts: r.__kdd_request_unix_timestamp }));
    refs.push(...requests);
    await writeFile(join(root, webhooksObjectKey({ pipelineId: 1, dt: DAY }, requests)), encodeWebhookRows(batch));
  }
  return refs;
}

/** A directory standing in for the bucket: LakeObjects for the compaction, LakeReader for the id search, both counting calls. */
function directoryBucket(root: string) {
  const calls = { list: 0, read: 0, bytes: 0 };
  const listings = new Map<string, string[]>();
  const sortedKeys = async (prefix: string) => {
    const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    let keys = listings.get(dir);
    if (keys === undefined) {
      const names = await readdir(join(root, dir)).catch(() => [] as string[]);
      keys = names.map((name) => dir + name).sort();
      listings.set(dir, keys);
    }
    return keys.filter((key) => key.startsWith(prefix));
  };
  const info = async (key: string): Promise<ListedObject> => {
    const info = await stat(join(root, key));
    return { key, size: info.size, lastModifiedMs: info.mtimeMs, etag: String(info.mtimeMs) };
  };
  const lake: LakeObjects = {
    async list(prefix) {
      const keys: string[] = [];
      const walk = async (dir: string) => {
        for (const entry of await readdir(join(root, dir), { withFileTypes: true }).catch(() => [])) {
          const key = `${dir}${entry.name}`;
          if (entry.isDirectory()) await walk(`${key}/`);
          else if (key.startsWith(prefix)) keys.push(key);
        }
      };
      await walk(prefix.slice(0, prefix.lastIndexOf('/') + 1));
      return Promise.all(keys.sort().map(info));
    },
    async listFolders(prefix) {
      const entries = await readdir(join(root, prefix), { withFileTypes: true }).catch(() => []);
      return entries.filter((entry) => entry.isDirectory()).map((entry) => `${prefix}${entry.name}/`).sort();
    },
    readText: (key) => readFile(join(root, key), 'utf8').catch(() => undefined),
    async writeText(key, text) {
      await mkdir(dirname(join(root, key)), { recursive: true });
      await writeFile(join(root, key), text);
    },
    async delete(keys) {
      for (const key of keys) await unlink(join(root, key)).catch(() => undefined);
      listings.clear();
    },
  };
  const reader: LakeReader = {
    async list(prefix, options) {
      calls.list++;
      const keys = await sortedKeys(prefix);
      const after = options.continuation ?? options.startAfter;
      const rest = after === undefined ? keys : keys.filter((key) => key > after);
      const page = rest.slice(0, options.maxKeys);
      return { objects: await Promise.all(page.map(async (key) => ({ ...(await info(key)), lastModifiedMs: 0 }))), continuation: rest.length > page.length ? page.at(-1) : undefined };
    },
    async read(key, range) {
      calls.read++;
      const bytes = await readFile(join(root, key));
      const slice = range === undefined ? bytes : bytes.subarray(range.start, range.end);
      calls.bytes += slice.length;
      return new Uint8Array(slice);
    },
  };
  const objects = {
    download: (key: string, path: string) => copyFile(join(root, key), path),
    async upload(path: string, key: string) {
      await mkdir(dirname(join(root, key)), { recursive: true });
      await copyFile(path, join(root, key));
      listings.clear();
    },
  };
  return { lake, reader, objects, calls };
}

/** Median wall time of `runs` runs of a query, ms. */
async function timed(connection: DuckDBConnection, sql: string, runs = 3): Promise<{ ms: number; result: Record<string, unknown>[] }> {
  const times: number[] = [];
  let result: Record<string, unknown>[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    result = (await connection.runAndReadAll(sql)).getRowObjectsJson();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, result };
}

async function lakeSize(root: string): Promise<{ objects: number; bytes: number }> {
  const keys = await localLakeKeys(root);
  let bytes = 0;
  for (const key of keys) bytes += (await stat(join(root, key))).size;
  return { objects: keys.length, bytes };
}

const HOUR = 12;
const hourFrom = DAY_START + HOUR * 3600;
const queries = (kind: BodyKind) => ({
  count: 'select count(*) as n from webhooks',
  hour: `select count(*) as n, sum(length(__kdd_request_body)) as body_chars from webhooks where __kdd_request_unix_timestamp >= ${hourFrom} and __kdd_request_unix_timestamp < ${hourFrom + 3600}`,
  groupBy: `select json_extract_string(__kdd_request_body, '$.${kind === 'github' ? 'action' : 'event'}') as event, count(*) as n from webhooks group by 1 order by 1`,
});
/** The `webhooks` view before compaction existed: deduplicated over every row, which keeps filters above the window. */
const OLD_VIEW = 'create or replace view webhooks_before as select * from webhooks_raw qualify row_number() over (partition by pipeline_id, __kdd_request_id order by __kdd_request_unix_timestamp, dt, __kdd_request_body) = 1';
/** Each order's latest status (each repository's latest action): the sync's query; its key is `order_id`. */
const syncSql = (kind: BodyKind) => `
  select order_id, arg_max(event, __kdd_request_unix_timestamp) as status, max(__kdd_request_unix_timestamp) as updated_at from (
    select json_extract_string(__kdd_request_body, '$.${kind === 'github' ? 'repository.full_name' : 'order.id'}') as order_id,
           json_extract_string(__kdd_request_body, '$.${kind === 'github' ? 'action' : 'event'}') as event, __kdd_request_unix_timestamp
    from webhooks where pipeline_id = 1 and dt >= DATE '${DAY}')
  group by order_id`;

interface Measured {
  objects: number;
  bytes: number;
  count: number;
  hour: number;
  groupBy: number;
  hourRowsScanned?: number;
  results: Record<string, unknown>;
  planMs: number;
  planRows: number;
  search: { ms: number; calls: number; bytes: number };
}

async function measure(root: string, searchIds: string[], scratch: string, kind: BodyKind): Promise<Measured> {
  const QUERIES = queries(kind);
  const size = await lakeSize(root);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const results: Record<string, unknown> = {};
  const times: Record<string, number> = {};
  try {
    for (const statement of webhookViewStatements(lakeFilesOf(root, await localLakeKeys(root)))) await connection.run(statement);
    for (const [name, sql] of Object.entries(QUERIES)) {
      const { ms, result } = await timed(connection, sql);
      times[name] = ms;
      results[name] = result;
    }
    const plan = String((await connection.runAndReadAll(`explain analyze ${QUERIES.hour}`)).getRowObjectsJson()[0]!.explain_value);
    const scanned = [...plan.matchAll(/([\d,]+) rows/g)].map((match) => Number(match[1]!.replaceAll(',', '')));
    results.hourExplain = plan;
    const planDir = join(scratch, `plan-${Math.random().toString(36).slice(2)}`);
    await mkdir(planDir, { recursive: true });
    const planStarted = performance.now();
    const planned = await planOps({
      lakeDir: root,
      workDir: planDir,
      opsPath: join(planDir, 'ops.parquet'),
      definition: { sql: syncSql(kind), primaryKey: 'order_id', mapping: [], mode: 'upsert', pipelineId: 1 },
      memoryLimit: '1GB',
    });
    const planMs = performance.now() - planStarted;
    await rm(planDir, { recursive: true, force: true });
    const bucket = directoryBucket(root);
    const inspector = createRequestInspector({ lake: bucket.reader, landed: { landedCounts: async () => [] }, nowMs: () => (DAY_START + 86_400 + 600) * 1000 });
    const searchStarted = performance.now();
    for (const id of searchIds) {
      const found = await inspector.find(1, id);
      if (found?.id !== id || found.body === null) throw new Error(`the id search did not find ${id} with its body`);
    }
    const search = { ms: (performance.now() - searchStarted) / searchIds.length, calls: (bucket.calls.list + bucket.calls.read) / searchIds.length, bytes: bucket.calls.bytes / searchIds.length };
    return { ...size, count: times.count!, hour: times.hour!, groupBy: times.groupBy!, hourRowsScanned: Math.max(...scanned), results, planMs, planRows: planned.rows, search };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function oldViewHourMs(root: string, kind: BodyKind): Promise<number> {
  const QUERIES = queries(kind);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const statement of webhookViewStatements(lakeFilesOf(root, await localLakeKeys(root)))) await connection.run(statement);
    await connection.run(OLD_VIEW);
    return (await timed(connection, QUERIES.hour.replace('from webhooks', 'from webhooks_before'), 1)).ms;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The sync workspace's mirror over a bucket of HISTORY_DAYS compacted days: what a plan of one day, then of all, holds on disk. */
async function mirrorOverHistory(compactedRoot: string, scratch: string, kind: BodyKind) {
  const emulators = await startEmulators();
  const s3 = s3Client({ region: emulators.endpoints.region, endpoints: emulators.endpoints });
  try {
    const { lakeBucket } = await provisionResources(emulators.endpoints, { prefix: 'bench-lake' });
    let bucketBytes = 0;
    const keys = (await localLakeKeys(compactedRoot)).filter(isCompactedObject);
    for (let day = 0; day < HISTORY_DAYS; day++) {
      const dt = utcDay(DAY_START - day * 86_400);
      for (const key of keys) {
        const body = await readFile(join(compactedRoot, key));
        bucketBytes += body.length;
        await s3.send(new PutObjectCommand({ Bucket: lakeBucket, Key: key.replace(`dt=${DAY}`, `dt=${dt}`), Body: body }));
      }
    }
    const plan = async (name: string, where: string) => {
      const rootDir = join(scratch, `workspace-${name}`);
      const workspace = duckDbSyncWorkspace({
        s3,
        bucket: lakeBucket,
        origin: emulators.endpoints.s3,
        rootDir,
        // The deployed sync function's bounds (3,008 MB, 15 minutes, 10 GiB of /tmp).
        limits: lambdaSyncQueryLimits({ memoryMiB: 3008, timeoutSeconds: 900, ephemeralStorageMiB: 10_240 }),
        planEntry: SOURCE_PLAN_ENTRY,
        downloadConcurrency: 16,
      });
      const started = performance.now();
      try {
        const sql = syncSql(kind).replace(`dt >= DATE '${DAY}'`, where);
        const result = await workspace.plan({ syncId: 'syn_00000000000000000001', runId: `run_${name}` }, { sql, primaryKey: 'order_id', mapping: [], mode: 'upsert', pipelineId: 1 });
        const seconds = (performance.now() - started) / 1000;
        const used = async (dir: string) => {
          let bytes = 0;
          for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
            if (!entry.isFile()) continue;
            const info = await stat(join(entry.parentPath, entry.name));
            bytes += info.blocks * 512;
          }
          return bytes;
        };
        return { rows: result.rows, seconds, mirrorBytes: await used(join(rootDir, 'lake')), runBytes: await used(join(rootDir, 'runs')) };
      } finally {
        workspace.close?.();
      }
    };
    const oneDay = await plan('oneday', `dt = DATE '${DAY}'`);
    const allDays = await plan('alldays', 'true');
    return { bucketBytes, oneDay, allDays };
  } finally {
    s3.destroy();
    await emulators.stop();
  }
}

export async function runLakeBench(options: { rows?: number; bodies?: BodyKind } = {}): Promise<BenchResult> {
  const rows = options.rows ?? 250_000;
  const kind = options.bodies ?? 'orders';
  const QUERIES = queries(kind);
  const scratch = mkdtempSync(join(tmpdir(), 'hooklake-bench-lake-'));
  try {
    const root = join(scratch, 'bucket');
    let started = performance.now();
    const refs = await writeDay(root, rows, kind);
    const writeSeconds = (performance.now() - started) / 1000;
    console.log(`lake: wrote ${rows.toLocaleString('en-US')} rows in ${Math.ceil(rows / ROWS_PER_OBJECT).toLocaleString('en-US')} objects (${writeSeconds.toFixed(1)} s)`);
    const inHour = refs.filter((ref) => ref.ts >= hourFrom && ref.ts < hourFrom + 3600);
    const searchIds = [inHour[0]!.id, inHour[Math.floor(inHour.length / 2)]!.id, inHour.at(-1)!.id];

    const before = await measure(root, searchIds, scratch, kind);
    const oldView = await oldViewHourMs(root, kind);
    console.log(`lake: before compaction measured (count ${before.count.toFixed(0)} ms, hour ${before.hour.toFixed(0)} ms, group-by ${before.groupBy.toFixed(0)} ms, plan ${before.planMs.toFixed(0)} ms)`);

    const bucket = directoryBucket(root);
    started = performance.now();
    const stats = await compactLake(
      { lake: bucket.lake, merger: duckDbHourMerger({ objects: bucket.objects, workDir: join(scratch, 'compaction'), maxInputBytes: 4 * 2 ** 30, downloadConcurrency: 8 }), clock: { nowMs: () => Date.now() } },
      { pipelineId: 1 },
      { selection: { kind: 'settled', settleMs: 15 * 60_000 }, graceMs: 0 },
    );
    const compactSeconds = (performance.now() - started) / 1000;
    console.log(`lake: compacted ${stats.objectsRead.toLocaleString('en-US')} objects into ${stats.objectsWritten} in ${compactSeconds.toFixed(1)} s`);

    const after = await measure(root, searchIds, scratch, kind);
    for (const name of Object.keys(QUERIES)) {
      if (JSON.stringify(after.results[name]) !== JSON.stringify(before.results[name])) throw new Error(`${name} answers differently after compaction`);
    }
    if (after.planRows !== before.planRows) throw new Error('the sync plan reads different rows after compaction');
    const history = await mirrorOverHistory(root, scratch, kind);
    console.log(`lake: mirror over ${HISTORY_DAYS} days measured`);

    const mib = (bytes: number) => bytes / 2 ** 20;
    const ratio = (was: number, now: number) => was / now;
    const scale = FULL_DAY / rows;
    const figures: Figure[] = [
      {
        metric: `objects for the day (${rows.toLocaleString('en-US')} rows, 12 a batch)`,
        value: after.objects,
        unit: 'objects',
        reference: { label: 'before compaction', value: before.objects, unit: 'objects' },
        ratio: ratio(before.objects, after.objects),
        ratioMeaning: 'fewer objects',
        target: '>= 100x fewer',
        met: before.objects / after.objects >= 100,
      },
      { metric: 'bytes for the day', value: mib(after.bytes), unit: 'MiB', reference: { label: 'before (Snappy, per batch)', value: mib(before.bytes), unit: 'MiB' }, ratio: ratio(before.bytes, after.bytes), ratioMeaning: 'smaller' },
      { metric: 'count(*) through webhooks', value: after.count, unit: 'ms', reference: { label: 'before', value: before.count, unit: 'ms' }, ratio: ratio(before.count, after.count), ratioMeaning: 'faster' },
      {
        metric: 'a one-hour filter through webhooks (count, body length)',
        value: after.hour,
        unit: 'ms',
        reference: { label: 'before', value: before.hour, unit: 'ms' },
        ratio: ratio(before.hour, after.hour),
        ratioMeaning: 'faster',
        target: '>= 10x faster',
        met: before.hour / after.hour >= 10,
      },
      { metric: 'the same filter through the former dedup-everything view, before compaction', value: oldView, unit: 'ms', reference: { label: 'after, webhooks', value: after.hour, unit: 'ms' }, ratio: ratio(oldView, after.hour), ratioMeaning: 'slower than after' },
      { metric: 'rows the one-hour filter scans, after (row groups pruned by statistics)', value: after.hourRowsScanned ?? 0, unit: 'rows', reference: { label: 'rows of the day', value: rows, unit: 'rows' } },
      { metric: 'JSON group-by over the day through webhooks', value: after.groupBy, unit: 'ms', reference: { label: 'before', value: before.groupBy, unit: 'ms' }, ratio: ratio(before.groupBy, after.groupBy), ratioMeaning: 'faster' },
      { metric: "a sync's plan over the day (query, hash, diff, row-ops)", value: after.planMs, unit: 'ms', reference: { label: 'before', value: before.planMs, unit: 'ms' }, ratio: ratio(before.planMs, after.planMs), ratioMeaning: 'faster' },
      { metric: 'id search (first, middle, last request of an hour), per search', value: after.search.ms, unit: 'ms', reference: { label: 'before', value: before.search.ms, unit: 'ms' }, ratio: ratio(before.search.ms, after.search.ms), ratioMeaning: 'faster' },
      { metric: 'id search S3 calls per search', value: after.search.calls, unit: 'calls', reference: { label: 'before', value: before.search.calls, unit: 'calls' } },
      { metric: 'compaction of the day', value: compactSeconds, unit: 's', reference: { label: 'rows/s', value: rows / compactSeconds, unit: 'rows/s' } },
      { metric: 'compacted bytes per row', value: after.bytes / rows, unit: 'B', reference: { label: 'before', value: before.bytes / rows, unit: 'B' } },
      {
        metric: `sync mirror for one day of ${HISTORY_DAYS} compacted (on disk)`,
        value: mib(history.oneDay.mirrorBytes),
        unit: 'MiB',
        reference: { label: `all ${HISTORY_DAYS} days in the bucket`, value: mib(history.bucketBytes), unit: 'MiB' },
        ratio: history.oneDay.mirrorBytes / history.bucketBytes,
        ratioMeaning: 'share of the bucket held',
        target: `bounded by the days read: <= 1/${HISTORY_DAYS} of all ${HISTORY_DAYS} days' mirror, +5%`,
        met: history.oneDay.mirrorBytes <= (history.allDays.mirrorBytes / HISTORY_DAYS) * 1.05,
      },
      { metric: `sync mirror for all ${HISTORY_DAYS} days (on disk)`, value: mib(history.allDays.mirrorBytes), unit: 'MiB', reference: { label: 'the bucket', value: mib(history.bucketBytes), unit: 'MiB' }, ratio: history.allDays.mirrorBytes / history.bucketBytes, ratioMeaning: 'share of the bucket held' },
      {
        metric: `sync plan of ${HISTORY_DAYS} days through the workspace with the deployed bounds (scope, mirror, query in its process)`,
        value: (HISTORY_DAYS * rows) / history.allDays.seconds,
        unit: 'lake rows/s',
        reference: { label: 'seconds', value: history.allDays.seconds, unit: 's' },
      },
    ];
    return {
      bench: 'lake',
      figures,
      notes: [
        `${rows.toLocaleString('en-US')} rows over the 24 hours of one day${scale === 1 ? '' : ` (${(100 / scale).toFixed(0)}% of a 1,000,000-a-day pipeline: objects and bytes before scale by ${scale}x, and so do the before times, which are per object; the after times grow with the rows an hour holds)`}; bodies ${kind === 'github' ? 'real GitHub payloads (~10 KB of JSON)' : '~450 B order events'}, 12 rows an object`,
        `writing the day as the processor does took ${writeSeconds.toFixed(0)} s; DuckDB medians of 3 runs, in one process; the id search reads a directory standing in for S3 (calls counted as S3 calls)`,
        'the sync mirror is the sync workspace\'s over fauxqs: it mirrors the days the query can read and, of large compacted objects, the column chunks it reads (sparse files: disk blocks counted)',
      ],
      details: {
        rows,
        bodies: kind,
        before: { ...before, results: undefined },
        after: { ...after, results: undefined },
        compaction: stats,
        compactSeconds,
        writeSeconds,
        oldViewHourMs: oldView,
        history,
        hourExplainAfter: after.results.hourExplain,
      },
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const rows = process.env.BENCH_LAKE_ROWS ? Number(process.env.BENCH_LAKE_ROWS) : undefined;
  const bodies = process.env.BENCH_LAKE_BODIES;
  if (bodies !== undefined && bodies !== 'orders' && bodies !== 'github') throw new Error('BENCH_LAKE_BODIES is orders or github');
  printResult(await runLakeBench({ ...(rows === undefined ? {} : { rows }), ...(bodies === undefined ? {} : { bodies }) }));
}
