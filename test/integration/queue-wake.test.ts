// fauxqs's long polls wake on deadlines, not every 20 ms (infra/local/fauxqs.ts): a waiting
// ReceiveMessage on an empty queue costs about one timer a second, and the messages that become
// visible while it waits (a visibility timeout ending, a delay ending) still arrive on time.
// Over the network through the SDK, against fauxqs on this thread so its queues can be watched.
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorsHere, type Emulators } from '../../infra/local/emulators.ts';
import { fauxqsQueuePrototype, wakeWaitingQueuesOnDeadlines } from '../../infra/local/fauxqs.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';

let emulators: Emulators;
let sqs: SQSClient;
let timerRuns = 0;
let restoreProcessTimers: () => void;

beforeAll(async () => {
  emulators = await startEmulatorsHere();
  sqs = sqsClient({ region: emulators.endpoints.region, endpoints: emulators.endpoints });
  // Count the queue timer's runs: the method the timer calls, on the store fauxqs loaded.
  const queue = (await fauxqsQueuePrototype<{ processTimers(): void }>())!;
  const original = queue.processTimers;
  queue.processTimers = function countedProcessTimers(this: unknown) {
    timerRuns++;
    original.call(this);
  };
  restoreProcessTimers = () => (queue.processTimers = original);
});

afterAll(async () => {
  restoreProcessTimers?.();
  sqs?.destroy();
  await emulators?.stop();
});

async function createQueue(name: string, visibilityTimeoutSeconds: number): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds) } }));
  return QueueUrl!;
}

async function receive(queueUrl: string, waitSeconds: number) {
  const started = performance.now();
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: waitSeconds, MaxNumberOfMessages: 10 }));
  return { messages: Messages, elapsedMs: performance.now() - started };
}

describe('fauxqs long polls wake on deadlines', () => {
  it('applies to the fauxqs this project pins', async () => {
    expect(await wakeWaitingQueuesOnDeadlines()).toBe(true);
  });

  it('a long poll on an empty queue runs the queue timer about once a second, not every 20 ms', async () => {
    const queueUrl = await createQueue('wake-idle', 30);
    const runsBefore = timerRuns;
    const { messages, elapsedMs } = await receive(queueUrl, 3);
    expect(messages).toEqual([]);
    expect(elapsedMs).toBeGreaterThanOrEqual(2900);
    // Two dequeues (before and after the wait) and ~3 timer runs; fauxqs's interval made ~150.
    expect(timerRuns - runsBefore).toBeLessThanOrEqual(8);
  });

  it('a send wakes a waiting long poll at once', async () => {
    const queueUrl = await createQueue('wake-send', 30);
    const waiting = receive(queueUrl, 10);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'now' }));
    const { messages, elapsedMs } = await waiting;
    expect(messages.map((message) => message.Body)).toEqual(['now']);
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('a message whose visibility timeout ends while a long poll waits reaches it at the deadline', async () => {
    const queueUrl = await createQueue('wake-visibility', 2);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'again' }));
    const first = await receive(queueUrl, 0);
    expect(first.messages).toHaveLength(1);
    const received = performance.now();
    const again = await receive(queueUrl, 10);
    const sinceFirstReceive = performance.now() - received;
    expect(again.messages.map((message) => message.Body)).toEqual(['again']);
    expect(sinceFirstReceive).toBeGreaterThanOrEqual(1900);
    expect(sinceFirstReceive).toBeLessThan(2600);
  });

  it('a delayed message reaches a waiting long poll when its delay ends', async () => {
    const queueUrl = await createQueue('wake-delay', 30);
    const sent = performance.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'later', DelaySeconds: 2 }));
    const { messages } = await receive(queueUrl, 10);
    const sinceSend = performance.now() - sent;
    expect(messages.map((message) => message.Body)).toEqual(['later']);
    expect(sinceSend).toBeGreaterThanOrEqual(1900);
    expect(sinceSend).toBeLessThan(2600);
  });
});
