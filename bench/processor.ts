// Processor throughput, rows/s from an SQS batch to a Parquet object: processIngestBatch on
// batches of 100 messages with 2 KB bodies (made by serializeIngestMessage, as the receiver
// sends them), one batch at a time as one Lambda instance runs them.
//   (a) in-memory lake store, cached credential directory: parsing, auth, Parquet encoding only;
//   (b) the processor's real adapters (processorDeps: S3 + DynamoDB SDK clients) against the
//       emulators (fauxqs, dynalite), started in this process.
// Reference, same run: JSON.parse of the same requests as version 1 messages (all JSON: the
// layout the budget was set on, and still that of claim-checked messages), measured in rounds
// that alternate with (a)'s, so that both see the machine in the same state; (a)'s ratio is the
// median of the pairs'. The processor reads version 2 (a JSON header line, the body verbatim):
// that spares it the very parse of the body the reference times, so its own messages' header
// parse is printed beside it for information, not as the yardstick.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { processorDeps } from '../functions/processor/app.ts';
import { startEmulators } from '../infra/local/emulators.ts';
import { provisionResources } from '../infra/local/resources.ts';
import { dynamoDbClient } from '../shared/adapters/clients/dynamodb.ts';
import { s3Client } from '../shared/adapters/clients/s3.ts';
import { pipelineToItem, tokenToItem } from '../shared/adapters/dynamodb/table-items.ts';
import { systemClock } from '../shared/domain/clock.ts';
import { sha256Hex, newRequestId } from '../shared/domain/credentials.ts';
import { claimKey, serializeIngestMessage, type IngestMessage } from '../shared/domain/ingest/message.ts';
import { queueSafeJson } from '../shared/domain/queue-safe-json.ts';
import { DEFAULT_BODY_BUDGET_BYTES } from '../shared/domain/ingest/body-budget.ts';
import type { PipelineRecord, TokenRecord } from '../shared/domain/ingest/records.ts';
import type { CredentialDirectory, LakeObject } from '../shared/ports/ingest.ts';
import { cachedCredentialDirectory } from '../shared/services/ingest/credential-cache.ts';
import { processIngestBatch, type ProcessDeps, type QueueRecord } from '../shared/services/ingest/process-batch.ts';
import { body2k } from './bodies.ts';
import { medianBy, printResult, type BenchResult, type Figure } from './lib.ts';
import { PROCESSOR_MEMORY_MB } from '../infra/memory-sizes.ts';

const BATCH_SIZE = 100;
const DISTINCT_BATCHES = 30;
const WARMUP_BATCHES = 10;
const ROUNDS = 3;
const ROUND_MS = 1_000;
/** (a) and its reference: more, shorter pairs (the ratio of each pair, then their median). */
const PAIRED_ROUNDS = 7;
const PAIRED_ROUND_MS = 500;
const TARGET_ROWS_PER_SECOND = 20_000;
/** (a) against the rate of merely JSON.parse-ing its messages. */
const TARGET_SHARE_OF_PARSE = 0.3;

const PIPELINE: PipelineRecord = { id: 7, name: 'bench', createdAt: '2026-11-23T00:00:00.000Z' };
const TOKEN = 'BenchToken0123456789abcdefghijABCDEFGHIJ';
const TOKEN_RECORD: TokenRecord = {
  key: '6f1c2a0e-8b7d-4c3e-9f21-0a5b6c7d8e9f',
  name: 'bench',
  tokenSha256: sha256Hex(TOKEN),
  createdAt: '2026-11-23T00:00:00.000Z',
};

interface BenchBatch {
  records: QueueRecord[];
  /** The same messages as version 1 text (all JSON): what the reference parses. */
  allJson: string[];
}

function makeBatches(): BenchBatch[] {
  const tokenSha256 = sha256Hex(TOKEN);
  const now = Date.now() / 1000;
  return Array.from({ length: DISTINCT_BATCHES }, (_, b) => {
    const messages = Array.from({ length: BATCH_SIZE }, (_, i): IngestMessage => ({
      v: 1,
      id: newRequestId(Date.now() / 1000),
      ts: now + (b * BATCH_SIZE + i) / 1000,
      pipelineId: PIPELINE.id,
      key: TOKEN_RECORD.key,
      tokenSha256,
      format: 'json',
      body: body2k(b * BATCH_SIZE + i),
    }));
    const records = messages.map((message) => ({ messageId: randomUUID(), body: serializeIngestMessage(message) }));
    if (!records.every((record) => record.body.startsWith('{"v":2,'))) throw new Error('expected version 2 messages');
    return { records, allJson: messages.map((message) => queueSafeJson(JSON.stringify(message))) };
  });
}

interface Throughput {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  cpuCoresUsed: number;
  /** rows/s of each round, when measured in rounds. */
  rounds?: number[];
}

/**
 * Runs batches one after another (as one Lambda instance would) in ROUNDS rounds of at least
 * ROUND_MS each; reports the median round, so a burst of other load on the machine skews less.
 */
async function throughput(batches: BenchBatch[], runBatch: (batch: BenchBatch) => Promise<number>): Promise<Throughput> {
  for (let i = 0; i < WARMUP_BATCHES; i++) await runBatch(batches[i % batches.length]!);
  const rounds: Throughput[] = [];
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let rows = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    while (performance.now() - t0 < ROUND_MS) rows += await runBatch(batches[n++ % batches.length]!);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    rounds.push({ rows, seconds, rowsPerSecond: rows / seconds, cpuCoresUsed: (cpu.user + cpu.system) / 1e6 / seconds });
  }
  return medianRound(rounds);
}

function medianRound(rounds: Throughput[]): Throughput {
  return { ...medianBy(rounds, (r) => r.rowsPerSecond), rounds: rounds.map((r) => Math.round(r.rowsPerSecond)) };
}

/** The benchmark's batches are all accepted: any rejection is a broken benchmark. */
const NO_REJECTIONS: ProcessDeps['rejections'] = {
  addLanded: async () => undefined,
  addDaily: async () => Promise.reject(new Error('no rejections expected')),
  claimSummary: async () => Promise.reject(new Error('no rejections expected')),
  releaseSummary: async () => Promise.reject(new Error('no rejections expected')),
  addToSummary: async () => Promise.reject(new Error('no rejections expected')),
};

function checked(outcome: Awaited<ReturnType<typeof processIngestBatch>>, size: number): number {
  if (outcome.failedMessageIds.length > 0 || outcome.landed !== size) {
    throw new Error(`batch did not land whole: ${JSON.stringify({ ...outcome, failedMessageIds: outcome.failedMessageIds.length })}`);
  }
  return outcome.landed;
}

async function inMemory(batches: BenchBatch[]): Promise<Awaited<ReturnType<typeof pairedWithReference>> & { objectBytes: number }> {
  let lookups = 0;
  const table: CredentialDirectory = {
    async lookup(keys, pipelineIds) {
      lookups++;
      return {
        tokens: new Map(keys.includes(TOKEN_RECORD.key) ? [[TOKEN_RECORD.key, TOKEN_RECORD]] : []),
        pipelines: new Map(pipelineIds.includes(PIPELINE.id) ? [[PIPELINE.id, PIPELINE]] : []),
      };
    },
  };
  let objectBytes = 0;
  let objects = 0;
  const deps: ProcessDeps = {
    directory: cachedCredentialDirectory(table, 3600, systemClock),
    lake: {
      async put(object: LakeObject) {
        objects++;
        objectBytes += object.body.byteLength;
      },
    },
    claims: {
      get: async () => Promise.reject(new Error('no claim checks expected')),
      size: async () => Promise.reject(new Error('no claim checks expected')),
      head: async () => Promise.reject(new Error('no claim checks expected')),
    },
    rejections: NO_REJECTIONS,
  };
  const result = await pairedWithReference(batches, async ({ records }) => checked(await processIngestBatch(records, deps), records.length));
  if (lookups !== 1) throw new Error(`expected one directory lookup, saw ${lookups}`);
  return { ...result, objectBytes: objectBytes / objects };
}

async function withEmulators(batches: BenchBatch[]): Promise<Throughput & { objectsInBucket: number }> {
  const emulators = await startEmulators();
  try {
    const { endpoints } = emulators;
    const resources = await provisionResources(endpoints);
    const aws = { region: endpoints.region, endpoints: { sqs: endpoints.sqs, s3: endpoints.s3, dynamodb: endpoints.dynamodb } };
    const dynamodb = dynamoDbClient(aws);
    await dynamodb.send(new PutItemCommand({ TableName: resources.tableName, Item: pipelineToItem(PIPELINE) }));
    await dynamodb.send(new PutItemCommand({ TableName: resources.tableName, Item: tokenToItem(TOKEN_RECORD) }));
    dynamodb.destroy();

    const deps = processorDeps({ aws, lakeBucket: resources.lakeBucket, tableName: resources.tableName, authCacheTtlSeconds: 30, ingestMaxReceiveCount: 5 });
    const result = await throughput(batches, async ({ records }) => checked(await processIngestBatch(records, deps), records.length));

    const s3 = s3Client(aws);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: resources.lakeBucket, Prefix: 'webhooks/' }));
    s3.destroy();
    return { ...result, objectsInBucket: listed.KeyCount ?? 0 };
  } finally {
    await emulators.stop();
  }
}

/** One round of at least `ms` running `runBatch` over the batches in turn, from batch `start`. */
async function round(batches: BenchBatch[], start: number, ms: number, runBatch: (batch: BenchBatch) => Promise<number> | number): Promise<Throughput & { next: number }> {
  let rows = 0;
  let n = start;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) rows += await runBatch(batches[n++ % batches.length]!);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rows, seconds, rowsPerSecond: rows / seconds, cpuCoresUsed: (cpu.user + cpu.system) / 1e6 / seconds, next: n };
}

/**
 * (a) against its reference, in PAIRED_ROUNDS pairs of rounds (reference, then processor): the
 * reference's own rate swings by half between runs on a shared machine, so each pair's ratio is
 * taken, and the median of those; the rates reported are the median rounds of each.
 */
async function pairedWithReference(
  batches: BenchBatch[],
  runBatch: (batch: BenchBatch) => Promise<number>,
): Promise<{ processor: Throughput; reference: Throughput; ratio: number; ratios: number[]; headerParse: Throughput }> {
  let sink = 0;
  const parseBatch = ({ allJson }: BenchBatch) => {
    for (const text of allJson) sink += (JSON.parse(text) as { ts: number }).ts;
    return allJson.length;
  };
  // For information: what reading the version 2 messages themselves takes (header line, body slice).
  const parseHeaders = ({ records }: BenchBatch) => {
    for (const { body } of records) {
      const newline = body.indexOf('\n');
      sink += (JSON.parse(body.slice(0, newline)) as { ts: number }).ts + body.slice(newline + 1).length;
    }
    return records.length;
  };
  // Warmed for as long as a pair lasts, not a few batches: the first pair ran ~25% below the
  // rest, the compiler still at work on the processor's code (a warm Lambda instance is past that).
  await round(batches, 0, PAIRED_ROUND_MS / 2, parseBatch);
  await round(batches, 0, PAIRED_ROUND_MS * 2, runBatch);
  const references: Throughput[] = [];
  const processors: Throughput[] = [];
  let n = 0;
  for (let pair = 0; pair < PAIRED_ROUNDS; pair++) {
    const reference = await round(batches, n, PAIRED_ROUND_MS / 2, parseBatch);
    const processor = await round(batches, reference.next, PAIRED_ROUND_MS, runBatch);
    n = processor.next;
    references.push(reference);
    processors.push(processor);
  }
  const headerParse = await round(batches, n, PAIRED_ROUND_MS, parseHeaders);
  if (sink === 0) throw new Error('reference did no work');
  const ratios = processors.map((processor, index) => processor.rowsPerSecond / references[index]!.rowsPerSecond);
  return { processor: medianRound(processors), reference: medianRound(references), ratio: medianBy(ratios, (r) => r), ratios, headerParse };
}

/**
 * One batch at the processor's body budget, in a fresh process (its RSS is the processor's alone):
 * 100 claim-checked bodies filling DEFAULT_BODY_BUDGET_BYTES, served from memory as S3 would
 * serve them, landed as one Parquet object. Prints the peak RSS in MiB.
 */
async function budgetBatchPeakRss(): Promise<void> {
  const now = Date.now() / 1000;
  const bodies = new Map<string, string>();
  const bodyBytes = Math.floor(DEFAULT_BODY_BUDGET_BYTES / BATCH_SIZE) - 64;
  const batch: QueueRecord[] = Array.from({ length: BATCH_SIZE }, (_, i) => {
    const id = newRequestId(now);
    const bodyRef = { bucket: 'lake', key: claimKey(id, now) };
    bodies.set(bodyRef.key, `{"i":${i},"blob":"${'abcdefghij'.repeat(Math.ceil(bodyBytes / 10)).slice(0, bodyBytes - 20)}"}`);
    return { messageId: randomUUID(), body: serializeIngestMessage({ v: 1, id, ts: now + i / 1000, pipelineId: PIPELINE.id, key: TOKEN_RECORD.key, tokenSha256: TOKEN_RECORD.tokenSha256, format: 'json', bodyRef }) };
  });
  const outcome = await processIngestBatch(batch, {
    directory: cachedCredentialDirectory({ lookup: async () => ({ tokens: new Map([[TOKEN_RECORD.key, TOKEN_RECORD]]), pipelines: new Map([[PIPELINE.id, PIPELINE]]) }) }, 3600, systemClock),
    lake: { put: async () => undefined },
    claims: {
      get: async (ref) => bodies.get(ref.key)!,
      size: async (ref) => Buffer.byteLength(bodies.get(ref.key)!),
      head: async () => Promise.reject(new Error('no rejections expected')),
    },
    rejections: NO_REJECTIONS,
  });
  checked(outcome, BATCH_SIZE);
  process.stdout.write(String(process.resourceUsage().maxRSS / 1024));
}

export async function runProcessor(): Promise<BenchResult> {
  const batches = makeBatches();
  const messageBytes = Buffer.byteLength(batches[0]!.records[0]!.body);
  console.log(`processor: ${DISTINCT_BATCHES} distinct batches of ${BATCH_SIZE} messages, ${messageBytes} B each (2,048 B body)…`);
  const paired = await inMemory(batches);
  const { reference, processor: memory } = paired;
  console.log(`processor: reference, JSON.parse of the messages as version 1 (all JSON): ${Math.round(reference.rowsPerSecond)} rows/s (median round)`);
  console.log(`processor: for information, reading the version 2 messages (JSON.parse of the header line, body sliced): ${Math.round(paired.headerParse.rowsPerSecond)} rows/s`);
  console.log(`processor: (a) in-memory ${Math.round(memory.rowsPerSecond)} rows/s; ratio per pair of rounds ${paired.ratios.map((ratio) => `${(ratio * 100).toFixed(1)}%`).join(' ')}`);
  const real = await withEmulators(batches);
  console.log(`processor: (b) S3 + DynamoDB emulators ${Math.round(real.rowsPerSecond)} rows/s`);
  const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), 'budget-rss'], { maxBuffer: 1024 * 1024 });
  const budgetPeakMiB = Number(stdout);
  console.log(`processor: a batch at the ${DEFAULT_BODY_BUDGET_BYTES / 2 ** 20} MiB body budget peaks at ${budgetPeakMiB.toFixed(0)} MiB RSS`);

  const ref = { label: 'JSON.parse of the messages as version 1', value: reference.rowsPerSecond, unit: 'rows/s' };
  const target = `>= ${TARGET_ROWS_PER_SECOND.toLocaleString('en-US')} rows/s`;
  const figures: Figure[] = [
    {
      metric: '(a) in-memory lake, cached auth',
      value: memory.rowsPerSecond,
      unit: 'rows/s',
      reference: ref,
      ratio: paired.ratio,
      ratioMeaning: 'processor / JSON.parse (median of alternating rounds)',
      target: `>= ${TARGET_SHARE_OF_PARSE * 100}% of JSON.parse`,
      met: paired.ratio >= TARGET_SHARE_OF_PARSE,
    },
    {
      metric: '(b) real S3 + DynamoDB adapters on emulators',
      value: real.rowsPerSecond,
      unit: 'rows/s',
      reference: ref,
      ratio: real.rowsPerSecond / reference.rowsPerSecond,
      ratioMeaning: 'processor / JSON.parse',
      target,
      met: real.rowsPerSecond >= TARGET_ROWS_PER_SECOND,
    },
    { metric: '(a) CPU per row', value: (memory.cpuCoresUsed / memory.rowsPerSecond) * 1e6, unit: 'µs' },
    { metric: 'Parquet object per batch', value: paired.objectBytes / 1024, unit: 'KB' },
    {
      metric: `peak RSS, one batch at the ${DEFAULT_BODY_BUDGET_BYTES / 2 ** 20} MiB body budget (fresh process)`,
      value: budgetPeakMiB,
      unit: 'MiB',
      reference: { label: "the processor's memory size", value: PROCESSOR_MEMORY_MB, unit: 'MB' },
      ratio: budgetPeakMiB / PROCESSOR_MEMORY_MB,
      ratioMeaning: 'peak / memory size',
    },
  ];
  return {
    bench: 'processor',
    figures,
    notes: [
      `batches of ${BATCH_SIZE}, run one at a time; ${messageBytes} B per SQS message; (a): ${PAIRED_ROUNDS} pairs of rounds (JSON.parse ${PAIRED_ROUND_MS / 2000} s, processor ${PAIRED_ROUND_MS / 1000} s), the median of the pairs' ratios; (b): median of ${ROUNDS} rounds of ${ROUND_MS / 1000} s`,
      '(b) includes the emulators\' own CPU: fauxqs (S3) and dynalite run in a worker thread of the benchmark process, on the same 2 cores',
    ],
    details: { batchSize: BATCH_SIZE, messageBytes, reference, memory, real, budgetPeakMiB },
  };
}

if (import.meta.main) {
  if (process.argv[2] === 'budget-rss') await budgetBatchPeakRss();
  else printResult(await runProcessor());
}
