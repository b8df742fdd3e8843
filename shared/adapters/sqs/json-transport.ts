// SQS calls without the AWS SDK: the JSON protocol (the one SDK v3 speaks,
// `X-Amz-Target: AmazonSQS.SendMessage[Batch]`, `application/x-amz-json-1.0`) over node:http(s)
// with a keep-alive agent, each request signed with SigV4 (sigv4.ts: the headers the SDK's own
// @smithy/signature-v4 writes, a test compares them, for a fraction of its CPU). The receiver
// sends only these two calls, and the SDK's SQS client with its @smithy runtime is most of a
// 500 KB bundle and of its load time; this is what keeps the receiver small (the local stack's
// pollers receive and delete through it too). Kept from the SDK: retries of throttling, server
// errors and dropped connections (3 attempts, jittered exponential backoff), the MD5 check of
// every body SQS acknowledges, and the queue URL's own host as the endpoint unless an emulator's
// endpoint is given.
import { hash } from 'node:crypto';
import type { Agent, IncomingMessage, request as httpRequest } from 'node:http';
import type { BatchEntry, SqsSendTransport } from './batching-sender.ts';
import { sigV4Signer } from './sigv4.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface JsonTransportOptions {
  region: string;
  /** An emulator's endpoint; unset: each queue URL's own origin (https://sqs.<region>.amazonaws.com). */
  endpoint?: string | undefined;
  /** Unset: read once, at the first send, from the environment Lambda sets (AWS_ACCESS_KEY_ID, …). */
  credentials?: AwsCredentials | undefined;
  /** One attempt's limit, from the request to the whole answer. Default 2,500 ms: 3 attempts fit the receiver's 10 s. */
  attemptTimeoutMs?: number | undefined;
  /** Attempts per call, default 3 (the SDK's). */
  maxAttempts?: number | undefined;
  /** Backoff before retry n (1-based): a random share of min(base × 2^(n-1), 20 s). Default 100 ms, the SDK's. */
  backoffBaseMs?: number | undefined;
}

/** A call SQS answered with an error, or one that failed on the way; `retryable` as the SDK would judge it. */
export class SqsCallError extends Error {
  override name = 'SqsCallError';
  readonly code: string;
  readonly statusCode: number | undefined;
  readonly retryable: boolean;
  constructor(code: string, message: string, statusCode: number | undefined, retryable: boolean) {
    super(`${code}: ${message}`);
    this.code = code;
    this.statusCode = statusCode;
    this.retryable = retryable;
  }
}

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Error codes SQS answers with a 4xx that mean "slow down", not "you are wrong" (the SDK retries them). */
const THROTTLING_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
]);
const MAX_BACKOFF_MS = 20_000;
/** Answers are small (ids and digests); a larger one is not SQS. */
/** An answer's default bound: what a send or a batch acknowledgment needs, many times over. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

function environmentCredentials(): AwsCredentials {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new SqsCallError('CredentialsMissing', 'no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (Lambda always sets them)', undefined, false);
  }
  return { accessKeyId, secretAccessKey, sessionToken: process.env.AWS_SESSION_TOKEN || undefined };
}

// One-shot: no Hash object per message (the receiver checks one per request).
const md5Hex = (text: string) => hash('md5', text, 'hex');

interface Answer {
  statusCode: number;
  body: string;
}

/** One SQS call's own limits, where they differ from the transport's (a long poll waits up to 20 s). */
export interface CallOptions {
  timeoutMs?: number | undefined;
  /** The largest answer accepted (default 1 MiB); a ReceiveMessage of large messages needs more. */
  maxResponseBytes?: number | undefined;
  /** Aborts the call (no retry follows). */
  signal?: AbortSignal | undefined;
}

/** Any SQS action over the JSON protocol: the input as the API names it (QueueUrl added), the parsed answer. */
export interface SqsJsonCaller {
  call(queueUrl: string, operation: string, input: Record<string, unknown>, options?: CallOptions): Promise<Record<string, unknown>>;
  destroy(): void;
}

export function jsonSqsCaller(options: JsonTransportOptions): SqsJsonCaller {
  const maxAttempts = options.maxAttempts ?? 3;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 2_500;
  const backoffBaseMs = options.backoffBaseMs ?? 100;
  const endpoint = options.endpoint === undefined ? undefined : new URL(options.endpoint);
  const clients = new Map<string, { request: typeof httpRequest; agent: Agent }>();
  /**
   * node:http or node:https with its keep-alive agent, taken with getBuiltinModule: an ESM import
   * of node:http builds its whole namespace, lazy getters included (WebSocket, …), and took
   * 30 ms of a cold start here; the module itself takes 3.
   */
  const clientFor = (protocol: string) => {
    let client = clients.get(protocol);
    if (client === undefined) {
      const module = protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
      client = { request: module.request, agent: new module.Agent({ keepAlive: true, maxSockets: 50 }) };
      clients.set(protocol, client);
    }
    return client;
  };
  // What the first send will use, ready at cold start: the emulator's protocol, or https (AWS).
  clientFor(endpoint?.protocol ?? 'https:');
  let signer: ReturnType<typeof sigV4Signer> | undefined;
  const signerOf = () => (signer ??= sigV4Signer(options.credentials ?? environmentCredentials(), options.region, 'sqs'));

  /** One attempt: sign, send, read the whole answer. */
  async function attempt(target: URL, operation: string, payload: string, timeoutMs: number, signal: AbortSignal | undefined, maxResponseBytes: number): Promise<Answer> {
    const headers = signerOf()(
      {
        host: target.host,
        'content-type': JSON_CONTENT_TYPE,
        'x-amz-target': `AmazonSQS.${operation}`,
        'content-length': String(Buffer.byteLength(payload, 'utf8')),
      },
      payload,
    );
    const client = clientFor(target.protocol);
    return new Promise<Answer>((resolve, reject) => {
      const request = client.request(
        {
          method: 'POST',
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port === '' ? undefined : Number(target.port),
          path: '/',
          headers,
          agent: client.agent,
          ...(signal === undefined ? {} : { signal }),
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.byteLength;
            if (size > maxResponseBytes) response.destroy(new Error(`answer over ${maxResponseBytes} bytes`));
            else chunks.push(chunk);
          });
          response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8') }));
          response.on('error', reject);
        },
      );
      // The whole attempt is bounded, not only idle sockets: a trickling answer cannot hold it.
      const timer = setTimeout(() => request.destroy(new SqsCallError('TimeoutError', `no answer within ${timeoutMs} ms`, undefined, true)), timeoutMs);
      request.on('close', () => clearTimeout(timer));
      request.on('error', reject);
      request.end(payload);
    });
  }

  /** Throws SqsCallError for an error answer; returns the parsed body of a 200. */
  function interpret(answer: Answer): Record<string, unknown> {
    let parsed: Record<string, unknown> = {};
    try {
      parsed = answer.body === '' ? {} : (JSON.parse(answer.body) as Record<string, unknown>);
    } catch {
      if (answer.statusCode === 200) throw new SqsCallError('InvalidResponse', 'answer is not JSON', answer.statusCode, true);
    }
    if (answer.statusCode === 200) return parsed;
    // `__type` is "com.amazonaws.sqs#QueueDoesNotExist" (or a bare name); `message` or `Message`.
    const type = typeof parsed.__type === 'string' ? parsed.__type : `Http${answer.statusCode}`;
    const code = type.slice(type.lastIndexOf('#') + 1);
    const message = String(parsed.message ?? parsed.Message ?? answer.body.slice(0, 200));
    const retryable = answer.statusCode >= 500 || answer.statusCode === 429 || THROTTLING_CODES.has(code);
    throw new SqsCallError(code, message, answer.statusCode, retryable);
  }

  // Each queue URL's origin, parsed once (a sender sends to one or two queues).
  const targets = new Map<string, URL>();
  const targetOf = (queueUrl: string) => {
    let target = targets.get(queueUrl);
    if (target === undefined) targets.set(queueUrl, (target = new URL(queueUrl)));
    return target;
  };

  async function call(queueUrl: string, operation: string, input: Record<string, unknown>, callOptions: CallOptions = {}): Promise<Record<string, unknown>> {
    const target = endpoint ?? targetOf(queueUrl);
    const payload = JSON.stringify({ QueueUrl: queueUrl, ...input });
    for (let attemptNumber = 1; ; attemptNumber++) {
      try {
        const maxResponseBytes = callOptions.maxResponseBytes ?? MAX_RESPONSE_BYTES;
        return interpret(await attempt(target, operation, payload, callOptions.timeoutMs ?? attemptTimeoutMs, callOptions.signal, maxResponseBytes));
      } catch (error) {
        // A connection dropped or reset (a kept-alive socket closed while Lambda was frozen) is
        // retried like an error answer SQS marks as transient; a refusal or an abort is not.
        const retryable = error instanceof SqsCallError ? error.retryable : callOptions.signal?.aborted !== true;
        if (!retryable || attemptNumber >= maxAttempts) throw error;
        const ceiling = Math.min(MAX_BACKOFF_MS, backoffBaseMs * 2 ** (attemptNumber - 1));
        await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
      }
    }
  }

  return {
    call,
    destroy() {
      for (const client of clients.values()) client.agent.destroy();
    },
  };
}

export const md5OfBody = md5Hex;

/** SendMessage and SendMessageBatch (the receiver's two calls) for batching-sender.ts. */
export function jsonSendTransport(options: JsonTransportOptions): SqsSendTransport & { destroy(): void } {
  const { call, destroy } = jsonSqsCaller(options);
  return {
    async sendMessage(queueUrl, body, delaySeconds) {
      const result = await call(queueUrl, 'SendMessage', { MessageBody: body, ...(delaySeconds === undefined ? {} : { DelaySeconds: delaySeconds }) });
      if (result.MD5OfMessageBody !== md5Hex(body)) {
        throw new SqsCallError('InvalidChecksum', 'MD5 of the message body SQS acknowledged differs from the one sent', 200, false);
      }
    },
    async sendMessageBatch(queueUrl, entries: readonly BatchEntry[]) {
      const result = await call(queueUrl, 'SendMessageBatch', {
        Entries: entries.map((entry) => ({
          Id: entry.id,
          MessageBody: entry.body,
          ...(entry.delaySeconds === undefined ? {} : { DelaySeconds: entry.delaySeconds }),
        })),
      });
      const bodies = new Map(entries.map((entry) => [entry.id, entry.body]));
      const refused: { id: string; code: string; message: string }[] = [];
      for (const failure of (result.Failed ?? []) as { Id?: string; Code?: string; Message?: string }[]) {
        refused.push({ id: failure.Id ?? '', code: failure.Code ?? 'Failed', message: failure.Message ?? '' });
      }
      for (const success of (result.Successful ?? []) as { Id?: string; MD5OfMessageBody?: string }[]) {
        const body = bodies.get(success.Id ?? '');
        if (body !== undefined && success.MD5OfMessageBody !== md5Hex(body)) {
          refused.push({ id: success.Id!, code: 'InvalidChecksum', message: 'MD5 of the message body SQS acknowledged differs from the one sent' });
        }
      }
      return refused;
    },
    destroy,
  };
}
