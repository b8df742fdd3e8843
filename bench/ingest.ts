// End-to-end ingest over HTTP: autocannon (this process) → local stack (child process:
// gateway → receiver → SQS emulator → poller → processor → S3 emulator) → lake, then the time
// until every accepted row can be queried. Reference, same run and client: a bare node:http
// server (child process) that reads and JSON.parses the body and answers a small JSON reply.
// Both run side by side, and the load alternates between them in pairs of rounds (bare, then
// stack, whose rows land before the next pair): the ratio is the median of the pairs' ratios,
// since the reference's own rate swings from one moment to the next on a shared machine.
//
//   node bench/ingest.ts                                   BENCH_INGEST_PAIRS=3 pairs of BENCH_INGEST_SECONDS=5 s rounds
//   BENCH_INGEST_CPU_PROF=/tmp/prof node bench/ingest.ts   also writes a .cpuprofile of the stack
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { queryLake } from '../shared/adapters/duckdb/lake-query.ts';
import type { StackInfo } from '../infra/local/stack.ts';
import { BODY_300B } from './bodies.ts';
import { fmt, fmtRatio, medianBy, printResult, processCpuSeconds, sleep, startAnnouncedChild, type BenchResult, type Figure } from './lib.ts';

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
const PAIRS = Number(process.env.BENCH_INGEST_PAIRS ?? 3);
/** Seconds of each measured round (one per server in every pair). */
const SECONDS = Number(process.env.BENCH_INGEST_SECONDS ?? 5);
const WARMUP_SECONDS = 2;
const WARMUP_CONNECTIONS = 10;
const LAND_TIMEOUT_MS = 90_000;
const REQUEST = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: BODY_300B };

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

/** One measured round of load on `url`, with the server's and this process's CPU over it. */
async function round(url: string, serverPid: number): Promise<LoadFigures> {
  const serverCpu0 = await processCpuSeconds(serverPid);
  const clientCpu0 = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, ...REQUEST });
  const elapsed = (performance.now() - started) / 1000;
  const serverCpu1 = await processCpuSeconds(serverPid);
  const clientCpu = process.cpuUsage(clientCpu0);
  return {
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
  };
}

async function warmUp(url: string): Promise<number> {
  return (await autocannon({ url, connections: WARMUP_CONNECTIONS, duration: WARMUP_SECONDS, ...REQUEST }))['2xx'];
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

interface StackRound extends LoadFigures {
  /** Rows in the lake when the round's load ended, and the time until all accepted so far were. */
  landedAtEnd: number;
  timeToLandMs: number | undefined;
  /**
   * Server CPU per request of the round, from its start until every row landed: the work the
   * functions thread (at a lower priority, infra/local/thread-priority.ts) defers until after the
   * load is counted too.
   */
  serverCpuPerRequestToLand: number | undefined;
}

interface Pair {
  bare: LoadFigures;
  stack: StackRound;
  ratio: number;
}

interface Measured {
  pairs: Pair[];
  accepted: number;
  /** Distinct request ids in the lake when the last wait ended (requests cut off in flight may add a few). */
  landed: number;
  /** Rows stored, duplicates (at-least-once redelivery) included. */
  stored: number;
}

async function measure(): Promise<Measured> {
  const profDir = process.env.BENCH_INGEST_CPU_PROF;
  const bare = await startAnnouncedChild<{ url: string; pid: number }>(new URL('./bare-server.ts', import.meta.url).pathname);
  const stack = await startAnnouncedChild<StackInfo & { pid: number }>(new URL('./serve-stack.ts', import.meta.url).pathname, {
    nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    timeoutMs: 60_000,
  }).catch(async (error: unknown) => {
    await bare.stop();
    throw error;
  });
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
    const stackUrl = `${info.inboundUrl}/?pipeline_id=${pipelineId}&key=${key}&token=${token}`;
    const bareUrl = `${bare.info.url}/`;

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
    /** Waits until `rows` distinct requests landed (or the timeout); the lake's counts then. */
    const untilLanded = async (rows: number) => {
      const started = performance.now();
      let landed = await countLanded();
      while (landed.distinct < rows && performance.now() - started < LAND_TIMEOUT_MS) {
        await sleep(200);
        landed = await countLanded();
      }
      return landed;
    };

    await warmUp(bareUrl);
    let accepted = await warmUp(stackUrl);
    let landed = await untilLanded(accepted);
    const pairs: Pair[] = [];
    for (let pair = 0; pair < PAIRS; pair++) {
      const bareRound = await round(bareUrl, bare.info.pid);
      const stackCpu0 = await processCpuSeconds(info.pid);
      const stackRound = await round(stackUrl, info.pid);
      const loadEnded = performance.now();
      accepted += stackRound.ok;
      const landedAtEnd = (await countLanded()).distinct;
      landed = await untilLanded(accepted);
      const timeToLandMs = landed.distinct >= accepted ? performance.now() - loadEnded : undefined;
      const stackCpu1 = await processCpuSeconds(info.pid);
      const serverCpuPerRequestToLand =
        stackCpu0 === undefined || stackCpu1 === undefined || timeToLandMs === undefined ? undefined : (stackCpu1 - stackCpu0) / stackRound.ok;
      const ratio = stackRound.rps / bareRound.rps;
      pairs.push({ bare: bareRound, stack: { ...stackRound, landedAtEnd, timeToLandMs, serverCpuPerRequestToLand }, ratio });
      console.log(`ingest: pair ${pair + 1}: bare ${fmt(bareRound.rps)} req/s, stack ${fmt(stackRound.rps)} req/s (${fmtRatio(ratio)}), landed ${timeToLandMs === undefined ? 'not all' : `${(timeToLandMs / 1000).toFixed(1)} s`} after`);
    }
    return { pairs, accepted, landed: landed.distinct, stored: landed.stored };
  } finally {
    s3.destroy();
    await Promise.all([stack.stop(), bare.stop()]);
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

export async function runIngest(): Promise<BenchResult> {
  console.log(`ingest: bare node:http and the local stack side by side, ${PAIRS} pairs of ${SECONDS} s rounds, ${CONNECTIONS} connections, ${Buffer.byteLength(BODY_300B)} B body…`);
  const { pairs, accepted, landed, stored } = await measure();
  // The figures shown are the median pair's, the pair whose ratio is the median.
  const median = medianBy(pairs, (pair) => pair.ratio);
  const { bare, stack } = median;

  const ref = (value: number, unit: string) => ({ label: 'bare node:http', value, unit });
  const figures: Figure[] = [
    {
      metric: 'requests/s',
      value: stack.rps,
      unit: 'req/s',
      reference: ref(bare.rps, 'req/s'),
      ratio: median.ratio,
      ratioMeaning: 'stack / bare, the median of the pairs',
      target: '>= 25% of bare',
      met: median.ratio >= 0.25,
    },
    { metric: 'latency p50', value: stack.p50, unit: 'ms', reference: ref(bare.p50, 'ms') },
    { metric: 'latency p99', value: stack.p99, unit: 'ms', reference: ref(bare.p99, 'ms') },
    { metric: 'non-2xx (all rounds)', value: sum(pairs, (pair) => pair.stack.non2xx), unit: 'responses', reference: ref(sum(pairs, (pair) => pair.bare.non2xx), 'responses') },
    {
      metric: 'errors + timeouts (all rounds)',
      value: sum(pairs, (pair) => pair.stack.errors + pair.stack.timeouts),
      unit: 'requests',
      reference: ref(sum(pairs, (pair) => pair.bare.errors + pair.bare.timeouts), 'requests'),
    },
    { metric: 'accepted rows (warm-up + rounds)', value: accepted, unit: 'rows' },
    { metric: 'landed when the load ended', value: stack.landedAtEnd, unit: 'rows' },
    {
      metric: 'time-to-land (after the load ended)',
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
    `ratios of the ${pairs.length} pairs (bare round, then stack round): ${pairs.map((pair) => fmtRatio(pair.ratio)).join(', ')}; the figures are the median pair's`,
    'the stack process runs gateway and receiver on its main thread, processor and fan-out with their pollers in a worker thread at a lower priority (nice 10, as `npm start` does), fauxqs (SQS+S3) and dynalite in another; ' +
      'autocannon shares the same 2 cores. Under load the requests are served first and the rows land after: "until landed" counts that work too; each pair starts once every row landed',
    'accepted = 2xx answers autocannon counted; up to one request per connection cut off at the end of a round may land too ' +
      `(lake had ${landed} distinct ids, ${stored} rows stored when the last wait ended)`,
  ];
  if (pairs.some((pair) => pair.stack.timeToLandMs === undefined)) notes.push(`not all rows landed within ${LAND_TIMEOUT_MS / 1000} s of a round (${landed}/${accepted})`);
  return {
    bench: 'ingest',
    figures,
    notes,
    details: { connections: CONNECTIONS, pairs: PAIRS, secondsPerRound: SECONDS, bodyBytes: Buffer.byteLength(BODY_300B), rounds: pairs },
  };
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}

if (import.meta.main) printResult(await runIngest());
