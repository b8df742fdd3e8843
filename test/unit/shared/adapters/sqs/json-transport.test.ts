// The receiver's SQS client without the SDK, against a local HTTP server playing SQS: what it
// sends (the JSON protocol, a SigV4 signature checked here by an independent computation), and
// how it treats answers (retries of transient errors only, MD5 checks, timeouts, batch failures).
// The integration tests run it against fauxqs; the bundles test runs the deployed bundle with it.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsonPollingQueue } from '../../../../../infra/local/sqs-poller.ts';
import { jsonSendTransport, jsonSqsCaller, SqsCallError } from '../../../../../shared/adapters/sqs/json-transport.ts';

interface Seen {
  headers: IncomingHttpHeaders;
  body: string;
  method: string;
  url: string;
}
type Answer = { status: number; body: unknown } | 'hang';

let server: Server;
let endpoint: string;
const seen: Seen[] = [];
let answers: ((request: Seen) => Answer)[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), method: request.method!, url: request.url! };
      seen.push(entry);
      const answer = (answers.shift() ?? (() => ({ status: 500, body: { __type: 'com.amazonaws.sqs#InternalError', message: 'no answer scripted' } })))(entry);
      if (answer === 'hang') return;
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  seen.length = 0;
  answers = [];
});

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ingest';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
const transport = (extra: Partial<Parameters<typeof jsonSendTransport>[0]> = {}) =>
  jsonSendTransport({ region: 'eu-west-1', endpoint, credentials: CREDENTIALS, backoffBaseMs: 1, ...extra });

/** SigV4 as AWS documents it (canonical request, string to sign, derived key), written apart from the signer under test. */
function expectedSignature(request: Seen): string {
  const authorization = String(request.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
  const amzDate = String(request.headers['x-amz-date']);
  const day = amzDate.slice(0, 8);
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${String(request.headers[name]).trim()}\n`).join('');
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const canonical = ['POST', '/', '', canonicalHeaders, signedHeaders.join(';'), payloadHash].join('\n');
  const scope = `${day}/eu-west-1/sqs/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${CREDENTIALS.secretAccessKey}`, day), 'eu-west-1'), 'sqs'), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('the JSON-protocol SQS client', () => {
  it('sends SendMessage as SQS JSON, signed with SigV4 over the host, target, content type, date and session token', async () => {
    answers.push(() => ({ status: 200, body: { MessageId: 'm1', MD5OfMessageBody: md5('{"a":"é"}') } }));
    const sqs = transport();
    await sqs.sendMessage(QUEUE, '{"a":"é"}', 30);
    sqs.destroy();
    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', url: '/' });
    expect(JSON.parse(request!.body)).toEqual({ QueueUrl: QUEUE, MessageBody: '{"a":"é"}', DelaySeconds: 30 });
    expect(request!.headers).toMatchObject({
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AmazonSQS.SendMessage',
      'x-amz-security-token': 'session-token',
      'content-length': String(Buffer.byteLength(request!.body)),
    });
    const authorization = String(request!.headers.authorization);
    expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/sqs\/aws4_request, SignedHeaders=[^,]*\bhost\b[^,]*, Signature=[0-9a-f]{64}$/);
    for (const name of ['content-type', 'x-amz-date', 'x-amz-security-token', 'x-amz-target']) expect(authorization).toMatch(new RegExp(`SignedHeaders=[^,]*\\b${name}\\b`));
    expect(/Signature=([0-9a-f]{64})$/.exec(authorization)![1]).toBe(expectedSignature(request!));
  });

  it('sends to the queue URL\'s own host when no emulator endpoint is given', async () => {
    const caller = jsonSqsCaller({ region: 'eu-west-1', credentials: CREDENTIALS, backoffBaseMs: 1 });
    answers.push(() => ({ status: 200, body: {} }));
    await caller.call(`${endpoint}/123456789012/ingest`, 'GetQueueAttributes', { AttributeNames: ['All'] });
    caller.destroy();
    expect(JSON.parse(seen[0]!.body)).toEqual({ QueueUrl: `${endpoint}/123456789012/ingest`, AttributeNames: ['All'] });
    expect(seen[0]!.headers.host).toBe(new URL(endpoint).host);
  });

  it('retries throttling, server errors and a silent server, up to 3 attempts, then succeeds', async () => {
    answers.push(
      () => ({ status: 400, body: { __type: 'com.amazonaws.sqs#ThrottlingException', message: 'slow down' } }),
      () => 'hang',
      () => ({ status: 503, body: { __type: 'ServiceUnavailable', message: 'busy' } }),
    );
    const sqs = transport({ attemptTimeoutMs: 200, maxAttempts: 4 });
    answers.push(() => ({ status: 200, body: { MessageId: 'm', MD5OfMessageBody: md5('x') } }));
    await sqs.sendMessage(QUEUE, 'x');
    sqs.destroy();
    expect(seen).toHaveLength(4);
  });

  it('gives up after 3 attempts with the last error, as the SDK would', async () => {
    for (let i = 0; i < 3; i++) answers.push(() => ({ status: 500, body: { __type: 'com.amazonaws.sqs#InternalError', message: `failure ${i}` } }));
    const sqs = transport();
    await expect(sqs.sendMessage(QUEUE, 'x')).rejects.toMatchObject({ name: 'SqsCallError', code: 'InternalError', message: 'InternalError: failure 2' });
    sqs.destroy();
    expect(seen).toHaveLength(3);
  });

  it('does not retry a refusal (a queue that does not exist, a refused message)', async () => {
    answers.push(() => ({ status: 400, body: { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' } }));
    const sqs = transport();
    const error = (await sqs.sendMessage(QUEUE, 'x').catch((caught: unknown) => caught)) as SqsCallError;
    sqs.destroy();
    expect(error).toBeInstanceOf(SqsCallError);
    expect([error.code, error.statusCode, error.retryable, seen.length]).toEqual(['QueueDoesNotExist', 400, false, 1]);
  });

  it('refuses an acknowledgment whose MD5 is not the body sent', async () => {
    answers.push(() => ({ status: 200, body: { MessageId: 'm', MD5OfMessageBody: md5('something else') } }));
    const sqs = transport();
    await expect(sqs.sendMessage(QUEUE, 'x')).rejects.toMatchObject({ code: 'InvalidChecksum' });
    sqs.destroy();
  });

  it('SendMessageBatch: returns the entries SQS refused, and those acknowledged with a wrong MD5', async () => {
    answers.push((request) => {
      const { Entries } = JSON.parse(request.body) as { Entries: { Id: string; MessageBody: string }[] };
      return {
        status: 200,
        body: {
          Successful: [
            { Id: Entries[0]!.Id, MessageId: 'a', MD5OfMessageBody: md5(Entries[0]!.MessageBody) },
            { Id: Entries[2]!.Id, MessageId: 'c', MD5OfMessageBody: md5('tampered') },
          ],
          Failed: [{ Id: Entries[1]!.Id, Code: 'InvalidMessageContents', Message: 'bad character', SenderFault: true }],
        },
      };
    });
    const sqs = transport();
    const refused = await sqs.sendMessageBatch(QUEUE, [
      { id: '0', body: 'a' },
      { id: '1', body: 'b', delaySeconds: 5 },
      { id: '2', body: 'c' },
    ]);
    sqs.destroy();
    expect(JSON.parse(seen[0]!.body).Entries).toEqual([
      { Id: '0', MessageBody: 'a' },
      { Id: '1', MessageBody: 'b', DelaySeconds: 5 },
      { Id: '2', MessageBody: 'c' },
    ]);
    expect(seen[0]!.headers['x-amz-target']).toBe('AmazonSQS.SendMessageBatch');
    expect(refused).toEqual([
      { id: '1', code: 'InvalidMessageContents', message: 'bad character' },
      { id: '2', code: 'InvalidChecksum', message: expect.stringContaining('MD5') },
    ]);
  });

  it('bounds an answer at 1 MiB unless the call allows more; the local poller allows ten messages of the largest size', async () => {
    const caller = jsonSqsCaller({ region: 'eu-west-1', endpoint, credentials: CREDENTIALS, backoffBaseMs: 1, maxAttempts: 1 });
    // Ten messages of 900 KB, with quotes that the answer escapes: ~10 MB of JSON.
    const body = `{"noise":"${'"'.repeat(10)}${'x'.repeat(900 * 1024)}"}`;
    const messages = Array.from({ length: 10 }, (_, index) => ({ MessageId: `m${index}`, ReceiptHandle: `r${index}`, MD5OfBody: md5(body), Body: body }));
    answers.push(() => ({ status: 200, body: { Messages: messages } }));
    await expect(caller.call(QUEUE, 'ReceiveMessage', { MaxNumberOfMessages: 10 })).rejects.toThrow(/answer over 1048576 bytes/);
    answers.push(() => ({ status: 200, body: { Messages: messages } }));
    const received = await jsonPollingQueue(caller).receive(QUEUE, 10, 0, new AbortController().signal);
    expect(received.map((message) => message.Body === body)).toEqual(Array.from({ length: 10 }, () => true));
    caller.destroy();
  });

  it('an aborted call (a long poll when the poller stops) ends at once and is not retried', async () => {
    answers.push(() => 'hang');
    const caller = jsonSqsCaller({ region: 'eu-west-1', endpoint, credentials: CREDENTIALS, backoffBaseMs: 1 });
    const controller = new AbortController();
    const call = caller.call(QUEUE, 'ReceiveMessage', { WaitTimeSeconds: 20 }, { timeoutMs: 30_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(5_000);
    caller.destroy();
    expect(seen).toHaveLength(1);
  });

  it("signs with the credentials Lambda puts in the environment when none are given, and says so when there are none", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN };
    try {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      const none = transport({ credentials: undefined });
      await expect(none.sendMessage(QUEUE, 'x')).rejects.toMatchObject({ code: 'CredentialsMissing' });
      none.destroy();
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIAENV', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'env-token' });
      answers.push(() => ({ status: 200, body: { MessageId: 'm', MD5OfMessageBody: md5('x') } }));
      const fromEnv = transport({ credentials: undefined });
      await fromEnv.sendMessage(QUEUE, 'x');
      fromEnv.destroy();
      expect(String(seen.at(-1)!.headers.authorization)).toContain('Credential=ASIAENV/');
      expect(seen.at(-1)!.headers['x-amz-security-token']).toBe('env-token');
    } finally {
      for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret], ['AWS_SESSION_TOKEN', saved.token]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
