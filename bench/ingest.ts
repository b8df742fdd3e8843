// End-to-end ingest over HTTP: autocannon (this process) → local stack (child process:
// gateway → receiver → SQS emulator → poller → processor → S3 emulator) → lake, then the time
// until every accepted row can be queried. Reference, same run and client: a bare node:http
// server (child process) that reads and JSON.parses the body and answers a small JSON reply.
//
//   node bench/ingest.ts                                   BENCH_INGEST_SECONDS=10 by default
//   BENCH_INGEST_CPU_PROF=/tmp/prof node bench/ingest.ts   also writes a .cpuprofile of the stack
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { queryLake } from '../shared/adapters/duckdb/lake-query.ts';
import type { StackInfo } from '../infra/local/stack.ts';
import { BODY_300B } from './bodies.ts';
import { printResult, processCpuSeconds, sleep, startAnnouncedChild, type BenchResult, type Figure } from './lib.ts';

// autocannon ships no types; this is the part of its programmatic API used here.
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  throughput: { average: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: AutocannonOptions) => Promise<AutocannonResult>;

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_INGEST_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const WARMUP_CONNECTIONS = 10;
const LAND_TIMEOUT_MS = 90_000;

interface LoadFigures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  ok: number;
  total: number;
  /** CPU seconds per second of load, of the server process and of this (client) process. */
  serverCpu?: number | undefined;
  clientCpu: number;
}

/** `afterWarmup` runs between the warm-up and the measured load (the stack lets the warm-up's rows land). */
async function load(url: string, serverPid: number, afterWarmup?: (warmupOk: number) => Promise<void>): Promise<{ warmupOk: number; main: LoadFigures; serverCpuAtStart: number | undefined }> {
  const common = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: BODY_300B };
  const warmup = await autocannon({ url, connections: WARMUP_CONNECTIONS, duration: WARMUP_SECONDS, ...common });
  await afterWarmup?.(warmup['2xx']);
  const serverCpu0 = await processCpuSeconds(serverPid);
  const clientCpu0 = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, ...common });
  const elapsed = (performance.now() - started) / 1000;
  const serverCpu1 = await processCpuSeconds(serverPid);
  const clientCpu = process.cpuUsage(clientCpu0);
  return {
    warmupOk: warmup['2xx'],
    serverCpuAtStart: serverCpu0,
    main: {
      rps: result.requests.total / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      ok: result['2xx'],
      total: result.requests.total,
      serverCpu: serverCpu0 === undefined || serverCpu1 === undefined ? undefined : (serverCpu1 - serverCpu0) / elapsed,
      clientCpu: (clientCpu.user + clientCpu.system) / 1e6 / elapsed,
    },
  };
}

async function measureBare(): Promise<LoadFigures> {
  const bare = await startAnnouncedChild<{ url: string; pid: number }>(new URL('./bare-server.ts', import.meta.url).pathname);
  try {
    return (await load(`${bare.info.url}/`, bare.info.pid)).main;
  } finally {
    await bare.stop();
  }
}

async function admin<T>(info: StackInfo, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${info.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${info.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface StackFigures extends LoadFigures {
  accepted: number;
  landedAtEnd: number;
  /** Distinct request ids in the lake when the wait ended (requests cut off in flight may add a few). */
  landed: number;
  /** Rows stored, duplicates (at-least-once redelivery) included. */
  stored: number;
  timeToLandMs: number | undefined;
  polls: number;
  /**
   * Server CPU per request of the measured load, from its start until every row landed: the work
   * the functions thread (at a lower priority, infra/local/thread-priority.ts) defers until after
   * the load is counted too. The warm-up's rows landed before the load started.
   */
  serverCpuPerRequestToLand?: number | undefined;
}

async function measureStack(): Promise<StackFigures> {
  const profDir = process.env.BENCH_INGEST_CPU_PROF;
  const stack = await startAnnouncedChild<StackInfo & { pid: number }>(
    new URL('./serve-stack.ts', import.meta.url).pathname,
    { nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [], timeoutMs: 60_000 },
  );
  const { info } = stack;
  const cacheDir = mkdtempSync(join(tmpdir(), 'hooklake-bench-lake-'));
  const s3 = new S3Client({
    region: info.region,
    endpoint: info.endpoints.s3,
    forcePathStyle: true,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    const { pipeline_id: pipelineId } = await admin<{ pipeline_id: number }>(info, '/v4/pipelines', { name: 'bench' });
    const { key, token } = await admin<{ key: string; token: string }>(info, '/v4/tokens', { name: 'bench' });
    const url = `${info.inboundUrl}/?pipeline_id=${pipelineId}&key=${key}&token=${token}`;

    const countLanded = async () => {
      const { rows } = await queryLake({
        s3,
        bucket: info.resources.lakeBucket,
        origin: info.endpoints.s3,
        cacheDir,
        pipelineId,
        sql: 'select count(distinct __kdd_request_id) as n, count(*) as stored from webhooks_raw',
      });
      return { distinct: Number(rows[0]!.n), stored: Number(rows[0]!.stored) };
    };
    const untilLanded = async (rows: number) => {
      const started = performance.now();
      while ((await countLanded()).distinct < rows && performance.now() - started < LAND_TIMEOUT_MS) await sleep(200);
    };

    const { warmupOk, main, serverCpuAtStart } = await load(url, info.pid, untilLanded);
    const loadEnded = performance.now();
    const accepted = warmupOk + main.ok;
    let polls = 1;
    const landedAtEnd = (await countLanded()).distinct;
    let landed = { distinct: landedAtEnd, stored: landedAtEnd };
    while (landed.distinct < accepted && performance.now() - loadEnded < LAND_TIMEOUT_MS) {
      await sleep(200);
      landed = await countLanded();
      polls++;
    }
    const timeToLandMs = landed.distinct >= accepted ? performance.now() - loadEnded : undefined;
    const serverCpuAtLanding = await processCpuSeconds(info.pid);
    const serverCpuPerRequestToLand =
      serverCpuAtStart === undefined || serverCpuAtLanding === undefined || timeToLandMs === undefined ? undefined : (serverCpuAtLanding - serverCpuAtStart) / main.ok;
    return { ...main, accepted, landedAtEnd, landed: landed.distinct, stored: landed.stored, timeToLandMs, polls, serverCpuPerRequestToLand };
  } finally {
    s3.destroy();
    await stack.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

export async function runIngest(): Promise<BenchResult> {
  console.log(`ingest: bare node:http reference, ${CONNECTIONS} connections, ${SECONDS} s, ${Buffer.byteLength(BODY_300B)} B body…`);
  const bare = await measureBare();
  console.log(`ingest: local stack, ${CONNECTIONS} connections, ${SECONDS} s…`);
  const stack = await measureStack();

  const ref = (value: number, unit: string) => ({ label: 'bare node:http', value, unit });
  const figures: Figure[] = [
    {
      metric: 'requests/s',
      value: stack.rps,
      unit: 'req/s',
      reference: ref(bare.rps, 'req/s'),
      ratio: stack.rps / bare.rps,
      ratioMeaning: 'stack / bare',
      target: '>= 25% of bare',
      met: stack.rps / bare.rps >= 0.25,
    },
    { metric: 'latency p50', value: stack.p50, unit: 'ms', reference: ref(bare.p50, 'ms') },
    { metric: 'latency p99', value: stack.p99, unit: 'ms', reference: ref(bare.p99, 'ms') },
    { metric: 'non-2xx', value: stack.non2xx, unit: 'responses', reference: ref(bare.non2xx, 'responses') },
    { metric: 'errors + timeouts', value: stack.errors + stack.timeouts, unit: 'requests', reference: ref(bare.errors + bare.timeouts, 'requests') },
    { metric: 'accepted rows (warm-up + run)', value: stack.accepted, unit: 'rows' },
    { metric: 'landed when load ended', value: stack.landedAtEnd, unit: 'rows' },
    {
      metric: 'time-to-land (after load ended)',
      value: stack.timeToLandMs === undefined ? Number.NaN : stack.timeToLandMs / 1000,
      unit: 's',
    },
  ];
  if (stack.serverCpu !== undefined && bare.serverCpu !== undefined) {
    figures.push({ metric: 'server CPU during load', value: stack.serverCpu, unit: 'cores', reference: ref(bare.serverCpu, 'cores') });
    figures.push({
      metric: 'server CPU per request',
      value: (stack.serverCpu / stack.rps) * 1e6,
      unit: 'µs',
      reference: ref((bare.serverCpu / bare.rps) * 1e6, 'µs'),
      ratio: stack.serverCpu / stack.rps / (bare.serverCpu / bare.rps),
      ratioMeaning: 'stack / bare',
    });
  }
  if (stack.serverCpuPerRequestToLand !== undefined) {
    figures.push({ metric: 'server CPU per request, until landed', value: stack.serverCpuPerRequestToLand * 1e6, unit: 'µs' });
  }
  figures.push({ metric: 'client (autocannon) CPU during load', value: stack.clientCpu, unit: 'cores', reference: ref(bare.clientCpu, 'cores') });
  const notes = [
    'the stack process runs gateway and receiver on its main thread, processor and fan-out with their pollers in a worker thread at a lower priority (nice 10, as `npm start` does), fauxqs (SQS+S3) and dynalite in another; ' +
      'autocannon shares the same 2 cores. Under load the requests are served first and the rows land after: "until landed" counts that work too',
  ];
  notes.push(
    'accepted = 2xx answers autocannon counted; up to one request per connection cut off at the end may land too ' +
      `(lake had ${stack.landed} distinct ids, ${stack.stored} rows stored when the wait ended)`,
  );
  if (stack.timeToLandMs === undefined) notes.push(`not all rows landed within ${LAND_TIMEOUT_MS / 1000} s (${stack.landed}/${stack.accepted})`);
  return {
    bench: 'ingest',
    figures,
    notes,
    details: { connections: CONNECTIONS, seconds: SECONDS, bodyBytes: Buffer.byteLength(BODY_300B), bare, stack },
  };
}

if (import.meta.main) printResult(await runIngest());
