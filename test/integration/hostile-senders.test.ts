// Hostile senders against the local stack, with the processor and fan-out in a worker thread
// under a fixed heap limit, talking to the emulators through recording proxies:
// - the claim-check attack (large bodies with a random key and token, interleaved with legitimate
//   webhooks, small and claim-checked): every legitimate webhook lands exactly once, nothing
//   reaches the DLQ, the worker does not die, and quarantine keeps bounded records;
// - rejected-event floods: webhook_rejected only for existing pipelines, aggregated per window;
//   junk to random pipeline ids lands in one `unknown` bucket;
// - every DynamoDB write of the processor has a `REJECTED#` partition key; its S3 reads stay under
//   claims/ and its writes under webhooks/ and quarantine/.
import { ListObjectsV2Command, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.ts';
import { eventually, postJson, startTestStack, type TestStack } from '../support/stack.ts';
import { MAX_BODY_BYTES } from '../../shared/domain/ingest/event-limits.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';
import { s3Client } from '../../shared/adapters/clients/s3.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';

/** The functions worker's heap: the old processor (fetch every claim, copy whole bodies into quarantine) dies under it. */
const HEAP_LIMIT_MB = 128;
const ATTACK_POSTS = 24;
// The largest JSON body accepted, escaped at worst in its event (every newline becomes `\n`).
const ATTACK_BODY = `{"junk":true}${'\n'.repeat(MAX_BODY_BYTES.text - 13)}`;
const LEGIT_SMALL = 30;
const LEGIT_LARGE = 3;
const SUMMARY_SECONDS = 2;

let stack: TestStack;
let s3Proxy: RecordingProxy;
let dynamoProxy: RecordingProxy;
let receiver: Receiver;
let s3: S3Client;
let sqs: SQSClient;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  s3Proxy = await startRecordingProxy();
  dynamoProxy = await startRecordingProxy();
  receiver = await startReceiver();
  stack = await startTestStack({
    functionsInWorker: true,
    functionsResourceLimits: { maxOldGenerationSizeMb: HEAP_LIMIT_MB },
    processorBodyBudgetBytes: 8 * 1024 * 1024,
    // Long enough that attack and legitimate messages share batches; the visibility timeout is
    // well above window + processing, as on AWS (6 × the function timeout), so a duplicate row
    // would mean a real retry.
    batchWindowMs: 2000,
    visibilityTimeoutSeconds: 30,
    rejectionSummarySeconds: SUMMARY_SECONDS,
    subscriptionCacheSeconds: 0,
    processorEndpoints: { s3: s3Proxy.endpoint, dynamodb: dynamoProxy.endpoint },
  });
  s3Proxy.setTarget(stack.info.endpoints.s3);
  dynamoProxy.setTarget(stack.info.endpoints.dynamodb);
  const aws = { region: stack.info.region, endpoints: stack.info.endpoints };
  s3 = s3Client(aws);
  sqs = sqsClient(aws);
  dynamodb = dynamoDbClient(aws);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  sqs?.destroy();
  dynamodb?.destroy();
  await stack?.dispose();
  await receiver?.close();
  await s3Proxy?.close();
  await dynamoProxy?.close();
});

const randomKey = () => crypto.randomUUID();
const randomToken = () => crypto.randomUUID().replaceAll('-', '');

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: stack.info.resources.lakeBucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return keys;
}

async function quarantineLines(prefix: string): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  for (const key of await listKeys(prefix)) {
    const object = await s3.send(new GetObjectCommand({ Bucket: stack.info.resources.lakeBucket, Key: key }));
    const text = await object.Body!.transformToString();
    expect(Buffer.byteLength(text)).toBeLessThan(ATTACK_POSTS * 16 * 1024);
    lines.push(...text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));
  }
  return lines;
}

async function dlqIsEmpty(): Promise<boolean> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: stack.info.resources.ingestDlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return Messages.length === 0;
}

describe('hostile senders', () => {
  it(`${ATTACK_POSTS} posts of 3.1 MB (the largest accepted) with a random key and token, among legitimate webhooks, under a ${HEAP_LIMIT_MB} MB heap: every legitimate one lands, nothing reaches the DLQ, the processor lives`, async () => {
    const pipelineId = await stack.createPipeline('attacked');
    const { key, token } = await stack.createToken();
    const url = stack.webhookUrl(pipelineId, key, token);
    const largeBody = (i: number) => JSON.stringify({ i, rows: 'é✓'.repeat(600_000) }); // ~3 MB, claim-checked
    const legit = async (body: string) => {
      const reply = await postJson(url, body);
      expect(reply.status).toBe(200);
      return reply.body.data.__kdd_request_id as string;
    };
    const attack = async () => {
      expect((await postJson(stack.webhookUrl(pipelineId, randomKey(), randomToken()), ATTACK_BODY)).status).toBe(200);
      return undefined;
    };
    // Attack posts with the legitimate ones spread among them: a large one every 8 posts, small ones between.
    const sends: (() => Promise<string | undefined>)[] = [];
    for (let i = 0; i < ATTACK_POSTS; i++) {
      sends.push(attack);
      if (i % 8 === 3) sends.push(() => legit(largeBody(i)));
      sends.push(() => legit(JSON.stringify({ legit: i })));
    }
    for (let i = ATTACK_POSTS; i < LEGIT_SMALL; i++) sends.push(() => legit(JSON.stringify({ legit: i })));
    const told: string[] = [];
    // Four senders at a time.
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < sends.length) {
          const id = await sends[next++]!();
          if (id !== undefined) told.push(id);
        }
      }),
    );
    expect(told).toHaveLength(LEGIT_SMALL + LEGIT_LARGE);

    const rows = await eventually(
      async () => {
        if (stack.functionsFailure() !== undefined) return []; // died: fail at once below
        const found = await stack.query(`select __kdd_request_id as id from webhooks_raw where pipeline_id = ${pipelineId}`);
        return found.length >= told.length ? found : undefined;
      },
      90_000,
      'every legitimate webhook to land',
    );
    expect(stack.functionsFailure()).toBeUndefined();
    expect(rows.map((row) => row.id).sort()).toEqual([...told].sort());
    const rejected = await eventually(
      async () => {
        const { body } = await stack.admin<{ rejected: { total: number; by_reason: Record<string, number> } }>('GET', `/v4/pipelines/${pipelineId}`);
        return body.rejected.total >= ATTACK_POSTS ? body.rejected : undefined;
      },
      60_000,
      'the attack to be counted',
    );
    expect(rejected.total).toBe(ATTACK_POSTS);
    expect(rejected.by_reason.unknown_key).toBe(ATTACK_POSTS);
    expect(stack.functionsFailure()).toBeUndefined();
    expect(await dlqIsEmpty()).toBe(true);

    // Quarantine keeps who, why, the size, 4 KiB and the claim pointer of each attack body: never the body.
    const lines = await quarantineLines(`quarantine/pipeline_id=${pipelineId}/`);
    expect(lines).toHaveLength(ATTACK_POSTS);
    for (const line of lines) {
      expect(line).toMatchObject({ reason: 'unknown_key', bodyBytes: Buffer.byteLength(ATTACK_BODY) });
      expect(Buffer.byteLength(line.bodyPrefix as string)).toBe(4096);
      expect((line.bodyRef as { key: string }).key).toMatch(/^claims\//);
    }
  }, 180_000);

  it('webhook_rejected: only for existing pipelines, at most one per pipeline and window with complete counts; junk to random pipeline ids lands in one unknown bucket', async () => {
    const pipelineId = await stack.createPipeline('watched');
    const { key, token } = await stack.createToken();
    // One subscription for every pipeline's rejections: random pipeline ids must still send nothing.
    const created = await stack.admin<{ id: string }>('POST', '/v4/webhook-subscriptions', {
      webhookUrl: `${receiver.url}/rejected`,
      events: ['webhook_rejected'],
    });
    expect(created.status).toBe(201);
    const randomPipelines = Array.from({ length: 40 }, (_, i) => 900_000_000 + Math.floor(Math.random() * 1_000_000) * 100 + i);
    const junk = [
      ...randomPipelines.map((id) => () => postJson(stack.webhookUrl(id, randomKey(), randomToken()), '{"junk":1}')),
      ...Array.from({ length: 7 }, () => () => postJson(stack.webhookUrl(pipelineId, key, randomToken()), '{"wrong":"token"}')),
      ...Array.from({ length: 5 }, () => () => postJson(stack.webhookUrl(pipelineId, randomKey(), token), '{"unknown":"key"}')),
    ];
    await Promise.all(junk.map(async (send) => expect((await send()).status).toBe(200)));

    type Delivered = { id: string; type: string; data: { pipelineId: number; windowStart: string; windowEnd: string; total: number; byReason: Record<string, number>; sampleRequestIds: string[] } };
    const summaries = await eventually(
      async () => {
        const delivered = receiver.at('/rejected').map((request) => JSON.parse(request.body) as Delivered);
        const total = delivered.reduce((sum, event) => sum + event.data.total, 0);
        return total >= 12 ? delivered : undefined;
      },
      60_000,
      'the rejection summaries',
    );
    // Let any late (wrong) extra event arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, (SUMMARY_SECONDS + 2) * 1000));
    const delivered = receiver.at('/rejected').map((request) => JSON.parse(request.body) as Delivered);
    expect(delivered).toEqual(summaries);
    expect(new Set(delivered.map((event) => event.data.pipelineId))).toEqual(new Set([pipelineId]));
    expect(new Set(delivered.map((event) => event.data.windowStart)).size).toBe(delivered.length);
    const sum = (reason: string) => delivered.reduce((total, event) => total + (event.data.byReason[reason] ?? 0), 0);
    expect({ wrong_token: sum('wrong_token'), unknown_key: sum('unknown_key') }).toEqual({ wrong_token: 7, unknown_key: 5 });
    for (const event of delivered) {
      expect(event.type).toBe('webhook_rejected');
      expect(event.data.sampleRequestIds.length).toBeGreaterThan(0);
      expect(event.data.sampleRequestIds.length).toBeLessThanOrEqual(5);
      expect(Date.parse(event.data.windowEnd) - Date.parse(event.data.windowStart)).toBe(SUMMARY_SECONDS * 1000);
    }

    // Junk to random pipeline ids: one bucket, not one item or object per id.
    const unknownLines = await eventually(
      async () => {
        const lines = await quarantineLines('quarantine/pipeline_id=unknown/');
        return lines.filter((line) => randomPipelines.includes(line.pipelineId as number)).length === randomPipelines.length ? lines : undefined;
      },
      30_000,
      'the junk in the unknown quarantine bucket',
    );
    expect(unknownLines.length).toBeGreaterThanOrEqual(randomPipelines.length);
    const partitions = new Set((await listKeys('quarantine/')).map((objectKey) => objectKey.split('/')[1]));
    for (const id of randomPipelines) expect(partitions.has(`pipeline_id=${id}`)).toBe(false);
    const counters = async (pk: string) =>
      (await dynamodb.send(new QueryCommand({ TableName: stack.info.resources.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } }))).Items ?? [];
    const unknownDays = await counters('REJECTED#unknown');
    expect(unknownDays.length).toBeGreaterThanOrEqual(1);
    for (const item of unknownDays) expect(Number(item.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000 + 89 * 86_400);
    for (const id of randomPipelines.slice(0, 10)) expect(await counters(`REJECTED#${id}`)).toEqual([]);
  }, 120_000);

  it('the processor writes DynamoDB only under REJECTED# keys, reads S3 only under claims/ and writes only webhooks/ and quarantine/', () => {
    const writes = dynamoProxy.requests.filter((request) => !/\.(BatchGetItem|GetItem|Query)$/.test(request.target ?? ''));
    expect(new Set(writes.map((request) => request.target))).toEqual(new Set(['DynamoDB_20120810.UpdateItem']));
    for (const write of writes) {
      const pk = (JSON.parse(write.body!) as { Key: { pk: { S: string } } }).Key.pk.S;
      expect(pk).toMatch(/^REJECTED#/);
    }
    const bucket = `/${stack.info.resources.lakeBucket}/`;
    const s3Calls = s3Proxy.requests.map((request) => `${request.method} ${request.path.startsWith(bucket) ? request.path.slice(bucket.length).split('/')[0] : request.path}`);
    expect(new Set(s3Calls)).toEqual(new Set(['HEAD claims', 'GET claims', 'PUT webhooks', 'PUT quarantine']));
  });
});
