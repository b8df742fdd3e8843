// Any valid body lands byte for byte: hard Unicode through the local stack (real HTTP, fauxqs, the
// processor, Parquet, DuckDB as `hooklake query` runs it), GitHub's published webhook examples,
// and a property over full-Unicode strings through the serializer, fauxqs and the processor.
import { createRequire } from 'node:module';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import fc from 'fast-check';
import { parquetReadObjects } from 'hyparquet';
import { PARQUET_DECOMPRESSORS } from '../../shared/domain/lake/parquet-codecs.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqsSendTransport } from '../../shared/adapters/sqs/batching-sender.ts';
import { sqsIngestQueue } from '../../shared/adapters/sqs/ingest-queue.ts';
import { jsonSendTransport } from '../../shared/adapters/sqs/json-transport.ts';
import { sdkSendTransport } from '../../shared/adapters/sqs/sdk-transport.ts';
import { sha256Hex } from '../../shared/domain/credentials.ts';
import { claimKey, serializeIngestMessage, type IngestMessage } from '../../shared/domain/ingest/message.ts';
import type { LakeObject } from '../../shared/ports/ingest.ts';
import { processIngestBatch } from '../../shared/services/ingest/process-batch.ts';
import { eventually, postJson, startTestStack, type TestStack } from '../support/stack.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';
import { s3Client } from '../../shared/adapters/clients/s3.ts';

// The package's entry point is a JSON file.
const githubExamples = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];

/** The receiver's claim-check threshold in the local stack (HOOKLAKE_MAX_MESSAGE_BYTES default). */
const MAX_MESSAGE_BYTES = 1_000_000;

let stack: TestStack;
let s3: S3Client;
let sqs: SQSClient;
/** The receiver's transport (the JSON protocol without the SDK) and the SDK's, both against fauxqs. */
let transports: Record<'json protocol' | 'SDK', SqsSendTransport>;
let json: ReturnType<typeof jsonSendTransport>;
beforeAll(async () => {
  stack = await startTestStack({ authCacheTtlSeconds: 0 });
  const aws = { region: stack.info.region, endpoints: stack.info.endpoints };
  s3 = s3Client(aws);
  sqs = sqsClient(aws);
  json = jsonSendTransport({ region: aws.region, endpoint: aws.endpoints.sqs, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  transports = { 'json protocol': json, SDK: sdkSendTransport(sqs) };
});
afterAll(async () => {
  s3?.destroy();
  sqs?.destroy();
  json?.destroy();
  await stack?.dispose();
});

interface Sent {
  id: string;
  ts: number;
  body: string;
}

/** Posts every body (a few at a time) and returns what each reply said. */
async function postAll(url: string, bodies: readonly string[], concurrency = 16): Promise<Sent[]> {
  const sent: Sent[] = new Array(bodies.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const index = next++;
        const reply = await postJson(url, bodies[index]!);
        if (reply.status !== 200) throw new Error(`body ${index} answered ${reply.status} ${JSON.stringify(reply.body)}`);
        sent[index] = { id: reply.body.data.__kdd_request_id, ts: reply.body.data.__kdd_request_unix_timestamp, body: bodies[index]! };
      }
    }),
  );
  return sent;
}

/** Waits until every request landed, then gives each stored body by request id (every stored row, not the deduplicated view). */
async function landedBodies(pipelineId: number, expected: number): Promise<Map<string, string[]>> {
  const rows = await eventually(
    async () => {
      const found = await stack.query(
        `select __kdd_request_id as id, __kdd_request_body as body from webhooks_raw where pipeline_id = ${pipelineId}`,
      );
      return new Set(found.map((row) => row.id)).size >= expected ? found : undefined;
    },
    25_000,
    `${expected} rows to land`,
  );
  const byId = new Map<string, string[]>();
  for (const row of rows) byId.set(row.id as string, [...(byId.get(row.id as string) ?? []), row.body as string]);
  return byId;
}

async function expectLandedByteForByte(pipelineId: number, sent: readonly Sent[]): Promise<void> {
  const stored = await landedBodies(pipelineId, sent.length);
  const mismatches = sent.filter((s) => {
    const bodies = stored.get(s.id);
    return bodies === undefined || bodies.some((body) => Buffer.compare(Buffer.from(body), Buffer.from(s.body)) !== 0);
  });
  expect(mismatches.map((s) => s.body.slice(0, 120))).toEqual([]);
}

async function claimExists(id: string, ts: number): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: stack.info.resources.lakeBucket, Key: claimKey(id, ts) }));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFound') return false;
    throw error;
  }
}

describe('hard Unicode through the local stack', () => {
  it('emoji, U+FFFE/U+FFFF, U+2028/U+2029, \\ud800 and \\u0000 escapes, RTL, combining marks land byte for byte', async () => {
    const pipelineId = await stack.createPipeline('unicode');
    const { key, token } = await stack.createToken();
    const bodies = [
      '{"text":"ship it 🚀 👩‍👩‍👧 🇧🇷"}',
      '"😀"',
      '{"nc":"\uFFFE\uFFFF","\uFFFF":1}',
      '{"ls":"a\u2028b\u2029c"}\n',
      '{"lone":"\\ud800","pair":"\\ud83d\\ude00"}',
      '{"nul":"\\u0000","tab":"\\t"}',
      '{"he":"שלום עולם","ar":"مرحبا بالعالم","rlo":"\u202Eabc\u202C"}',
      '{"e":"e\u0301","zalgo":"Z\u0351\u0352\u0353a\u0300\u0301\u0302"}',
      '{"math":"𝔘𝔫𝔦𝔠𝔬𝔡𝔢","cjk":"𠀀𪜀","big":12345678901234567890123}',
      '[ "\uFFFD", {"k😀": "v"} ]',
      // Travel as they are (ingest message version 2, after a header line): CRLF and tabs, a line
      // that looks like a header, text beyond ASCII within the BMP.
      '\r\n{\r\n\t"crlf": "Windows line ends",\r\n\t"n": 1\r\n}\r\n',
      '[{"v":2,"ts":1,"bodyLength":0},\n"\\n",\r"x"]\n\n',
      '{"latin":"café ñ ü ß","cyr":"Привет","cjk":"你好"}',
    ];
    const sent = await postAll(stack.webhookUrl(pipelineId, key, token), bodies, 4);
    await expectLandedByteForByte(pipelineId, sent);
  });

  it('a 4-byte character straddling the claim-check threshold: claim-checked past it, inline below it, both byte for byte', async () => {
    const pipelineId = await stack.createPipeline('boundary');
    const { key, token } = await stack.createToken();
    const body = (padding: number) => `"${'a'.repeat(padding)}😀"`;
    // The message also carries the captured method, headers and query. A probe of the same
    // Content-Length digits, small enough to travel inline, lands them as the receiver captured them.
    const [probe] = await postAll(stack.webhookUrl(pipelineId, key, token), [body(900_000)], 1);
    await landedBodies(pipelineId, 1);
    const [captured] = await stack.query(
      `select __hl_request_method as method, __hl_request_headers as headers, __hl_request_query as query from webhooks_raw where __kdd_request_id = '${probe!.id}'`,
    );
    /** The final message for this body, as the receiver serialized it (only ts and id vary, and the reply gives both). */
    const finalBytes = (body: string, sent?: Sent) =>
      Buffer.byteLength(
        serializeIngestMessage({
          v: 1,
          id: sent?.id ?? 'a'.repeat(20),
          ts: sent?.ts ?? 1795438997.9854803, // 18 characters, the longest a 10-digit timestamp prints
          pipelineId,
          key,
          tokenSha256: sha256Hex(token),
          format: 'json',
          method: captured!.method as string,
          headers: JSON.parse(captured!.headers as string),
          query: JSON.parse(captured!.query as string),
          body,
        }),
      );
    // `"aaa…😀"`: the emoji's 12-byte escape ends 4 bytes before the message does. With the
    // longest timestamp the escape starts 3 bytes before the threshold; a shorter one (down to
    // 12 characters) moves it up to 6 bytes earlier, so the threshold still falls inside it.
    const straddling = body(MAX_MESSAGE_BYTES - finalBytes(body(0)) + 13);
    const below = body(MAX_MESSAGE_BYTES - finalBytes(body(0)));
    expect(String(Buffer.byteLength(straddling)).length).toBe(String(Buffer.byteLength(body(900_000))).length);
    const [over, under] = await postAll(stack.webhookUrl(pipelineId, key, token), [straddling, below], 1);
    const escapeStart = finalBytes(straddling, over) - 16;
    expect(escapeStart).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(escapeStart + 12).toBeGreaterThan(MAX_MESSAGE_BYTES);
    expect(finalBytes(below, under)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(await claimExists(over!.id, over!.ts)).toBe(true);
    expect(await claimExists(under!.id, under!.ts)).toBe(false);
    await expectLandedByteForByte(pipelineId, [probe!, over!, under!]);
  });
});

describe("GitHub's published webhook examples", () => {
  it('every example lands byte for byte, the one with an emoji included', async () => {
    const bodies = githubExamples.flatMap((definition) => definition.examples.map((example) => JSON.stringify(example)));
    expect(bodies.length).toBeGreaterThan(300);
    expect(bodies.some((body) => /[\u{10000}-\u{10FFFF}]/u.test(body))).toBe(true);
    const pipelineId = await stack.createPipeline('github');
    const { key, token } = await stack.createToken();
    const sent = await postAll(stack.webhookUrl(pipelineId, key, token), bodies);
    await expectLandedByteForByte(pipelineId, sent);
  });
});

describe.each(['json protocol', 'SDK'] as const)('the SQS sender with escaped messages (%s, fauxqs)', (transport) => {
  async function drain(QueueUrl: string, expected: number): Promise<string[]> {
    const bodies: string[] = [];
    while (bodies.length < expected) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      if (Messages.length === 0) break;
      bodies.push(...Messages.map((m) => m.Body!));
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    return bodies;
  }

  it('splits concurrent sends by the bytes of the escaped text: four 300 KB messages (100 KB of raw emoji each) all arrive', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `unicode-batch-size-${transport.replace(' ', '-')}` }));
    const send = sqsIngestQueue(transports[transport], QueueUrl!).send;
    const texts = ['a', 'b', 'c', 'd'].map((last) =>
      serializeIngestMessage({
        v: 1,
        id: `${'a'.repeat(19)}${last}`,
        ts: 1764000000.5,
        pipelineId: 1,
        key: '11111111-2222-4333-8444-555555555555',
        tokenSha256: sha256Hex('t'),
        format: 'json',
        body: JSON.stringify('😀'.repeat(25_000)),
      }),
    );
    for (const text of texts) expect(Buffer.byteLength(text)).toBeGreaterThan(300_000);
    await Promise.all(texts.map((text) => send(text)));
    expect((await drain(QueueUrl!, 4)).sort()).toEqual([...texts].sort());
  });

  it('refuses a body SQS would refuse on its own; the messages it would have shared a batch with are sent', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `unicode-refused-${transport.replace(' ', '-')}` }));
    const send = sqsIngestQueue(transports[transport], QueueUrl!).send;
    const outcomes = await Promise.allSettled(['{"a":1}', '{"raw":"😀"}', '{"b":"\\ud83d\\ude00"}'].map((text) => send(text)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ name: 'SqsSendError', message: expect.stringContaining('InvalidMessageContents') });
    expect((await drain(QueueUrl!, 2)).sort()).toEqual(['{"a":1}', '{"b":"\\ud83d\\ude00"}']);
  });
});

describe('property: full-Unicode bodies through the serializer, fauxqs and the processor', () => {
  it('every body comes back from the Parquet object identical', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'unicode-property' }));
    const queue = sqsIngestQueue(transports['json protocol'], QueueUrl!);
    const key = '11111111-2222-4333-8444-555555555555';
    const tokenSha256 = sha256Hex('good');
    let sequence = 0;
    const nextId = () => (sequence++).toString(26).split('').map((d) => String.fromCharCode(97 + parseInt(d, 26))).join('').padStart(20, 'a');
    const arbitraryBody = fc.oneof(
      fc.string({ unit: 'binary' }).map((text) => JSON.stringify(text)),
      fc.jsonValue({ stringUnit: 'binary', maxDepth: 2 }).map((value) => JSON.stringify(value)),
      fc.string({ unit: 'binary' }).map((text) => `{"raw":"${text.replace(/["\\\u0000-\u001f]/g, '')}"}`),
      // Whitespace as senders lay it out: CRLF, CR or LF line ends, tabs, a final line end.
      fc
        .tuple(fc.jsonValue({ stringUnit: 'binary', maxDepth: 2 }), fc.constantFrom('\r\n', '\n', '\r'), fc.constantFrom('\t', '  '))
        .map(([value, end, indent]) => `${JSON.stringify(value, null, indent).replace(/\n/g, end)}${end}`),
    );

    await fc.assert(
      fc.asyncProperty(fc.array(arbitraryBody, { minLength: 1, maxLength: 10 }), async (bodies) => {
        const messages: IngestMessage[] = bodies.map((body) => ({
          v: 1,
          id: nextId(),
          ts: 1764000000.5,
          pipelineId: 1,
          key,
          tokenSha256,
          format: 'json',
          body,
        }));
        // Sent together, so they share SendMessageBatch calls as concurrent requests do.
        await Promise.all(messages.map((message) => queue.send(serializeIngestMessage(message))));
        const records: { messageId: string; body: string }[] = [];
        while (records.length < messages.length) {
          const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
          records.push(...Messages.map((m) => ({ messageId: m.MessageId!, body: m.Body! })));
          if (Messages.length > 0) {
            await sqs.send(
              new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
            );
          }
        }
        const objects: LakeObject[] = [];
        const outcome = await processIngestBatch(records, {
          directory: {
            lookup: async () => ({
              tokens: new Map([[key, { key, name: 'p', tokenSha256, createdAt: '' }]]),
              pipelines: new Map([[1, { id: 1, name: 'p', createdAt: '' }]]),
            }),
          },
          lake: { put: async (object) => void objects.push(object) },
          claims: {
            get: async () => Promise.reject(new Error('no claims here')),
            size: async () => Promise.reject(new Error('no claims here')),
            head: async () => Promise.reject(new Error('no claims here')),
          },
          rejections: {
            addLanded: async () => undefined,
            addDaily: async () => undefined,
            claimSummary: async () => false,
            releaseSummary: async () => undefined,
            addToSummary: async () => undefined,
          },
        });
        expect(outcome.failedMessageIds).toEqual([]);
        const rows = (await Promise.all(
          objects.map((object) => parquetReadObjects({ file: object.body.buffer.slice(object.body.byteOffset, object.body.byteOffset + object.body.byteLength) as ArrayBuffer, compressors: PARQUET_DECOMPRESSORS })),
        )).flat() as { __kdd_request_id: string; __kdd_request_body: string }[];
        const stored = new Map(rows.map((row) => [row.__kdd_request_id, row.__kdd_request_body]));
        for (const message of messages) expect(stored.get(message.id)).toBe(message.body);
      }),
      { numRuns: 40 },
    );
  });
});
