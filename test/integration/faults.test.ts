// Outages between the processor and S3 / DynamoDB, and a poison message: nothing valid is lost
// (every request is in webhooks_raw at least once: SQS and the retries are at-least-once), the
// deduplicated view holds each exactly once, and the poison message ends in the DLQ.
import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulators } from '../../infra/local/emulators.ts';
import { eventually, postJson, startTestStack, type TestStack } from '../support/stack.ts';
import { startToggleProxy, type ToggleProxy } from '../support/toggle-proxy.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';

let stack: TestStack;
let s3Proxy: ToggleProxy;
let dynamoProxy: ToggleProxy;
let sqs: SQSClient;

beforeAll(async () => {
  // Proxies need the emulator ports before the stack starts, so reserve them via a probe start.
  const probe = await startEmulators();
  const { sqs: sqsEndpoint, s3: s3Endpoint, dynamodb } = probe.endpoints;
  await probe.stop();
  // fauxqs serves SQS and S3 on one port: reserving the SQS port places the stack's S3 there too.
  const sqsPort = Number(new URL(sqsEndpoint).port);
  expect(Number(new URL(s3Endpoint).port)).toBe(sqsPort);
  const dynamodbPort = Number(new URL(dynamodb).port);
  s3Proxy = await startToggleProxy(s3Endpoint);
  dynamoProxy = await startToggleProxy(dynamodb);
  stack = await startTestStack({
    sqsPort,
    dynamodbPort,
    authCacheTtlSeconds: 0,
    visibilityTimeoutSeconds: 1,
    maxReceiveCount: 8,
    processorEndpoints: { s3: s3Proxy.endpoint, dynamodb: dynamoProxy.endpoint },
  });
  sqs = sqsClient({ region: stack.info.region, endpoints: stack.info.endpoints });
});

afterAll(async () => {
  sqs?.destroy();
  await stack?.dispose();
  await s3Proxy?.close();
  await dynamoProxy?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('faults', () => {
  it('S3 down, DynamoDB down and a poison message: every valid request lands at least once, once in the deduplicated view; the poison message reaches the DLQ', async () => {
    const pipelineId = await stack.createPipeline('faults');
    const { key, token } = await stack.createToken();
    const url = stack.webhookUrl(pipelineId, key, token);
    const sentIds: string[] = [];
    const send = async (count: number, label: string) => {
      for (let i = 0; i < count; i++) {
        const reply = await postJson(url, JSON.stringify({ label, i }));
        expect(reply.status).toBe(200);
        sentIds.push(reply.body.data.__kdd_request_id);
      }
    };

    // S3 PutObject failing for a while.
    const landedCount = async () =>
      Number((await stack.query(`select count(*) as n from webhooks_raw where pipeline_id = ${pipelineId}`))[0]!.n);
    s3Proxy.down();
    await send(40, 's3-outage');
    await sleep(2500);
    expect(await landedCount()).toBe(0); // the outage really held the rows back
    s3Proxy.up();
    await eventually(async () => ((await landedCount()) >= 40 ? true : undefined), 30_000, 'recovery from the S3 outage');

    // DynamoDB unreachable for a while.
    dynamoProxy.down();
    await send(40, 'dynamodb-outage');
    await sleep(2500);
    expect(await landedCount()).toBe(40);
    dynamoProxy.up();

    // A message the processor can never handle, straight onto the ingest queue.
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.info.resources.ingestQueueUrl, MessageBody: '{"v":1,"poison":true}' }));
    await send(20, 'after');

    const landed = await eventually(
      async () => {
        const rows = await stack.query(`select __kdd_request_id as id from webhooks where pipeline_id = ${pipelineId}`);
        return rows.length >= sentIds.length ? rows : undefined;
      },
      60_000,
      'all valid requests to land',
    );
    const ids = landed.map((row) => row.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...sentIds].sort());
    // Every stored row is one of the requests sent (a retry may have stored one twice).
    const raw = await stack.query(`select distinct __kdd_request_id as id from webhooks_raw where pipeline_id = ${pipelineId}`);
    expect(raw.map((row) => row.id as string).sort()).toEqual([...sentIds].sort());

    // The poison message needs maxReceiveCount receives; with a 1 s visibility timeout that is ~8 s.
    const dead = await eventually(
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: stack.info.resources.ingestDlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        return Messages.length > 0 ? Messages : undefined;
      },
      60_000,
      'the poison message in the DLQ',
    );
    expect(dead.map((message) => message.Body)).toEqual(['{"v":1,"poison":true}']);
  }, 120_000);
});
