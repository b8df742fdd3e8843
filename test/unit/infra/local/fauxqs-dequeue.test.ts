// A receive from a long fauxqs queue in one move (infra/local/fauxqs.ts, dequeueInOneMove), run
// side by side with fauxqs's own dequeue on twin queues: the same messages in the same order, the
// same queue left behind, the same in-flight messages, the same moves to the dead-letter queue.
import { describe, expect, it } from 'vitest';
import { dequeueInOneMove, LONG_QUEUE_MESSAGES, receiveFromLongQueuesInOneMove } from '../../../../infra/local/fauxqs.ts';

interface Message {
  messageId: string;
  approximateReceiveCount: number;
}
interface Queue {
  messages: Message[];
  inflightMessages: Map<string, { message: Message }>;
  isFifo(): boolean;
  dequeue(maxCount: number, visibilityTimeoutOverride: number | undefined, dlqResolver: unknown): { MessageId: string }[];
  enqueue(message: Message): void;
  changeVisibility(receiptHandle: string, seconds: number): void;
  deleteMessage(receiptHandle: string): boolean;
}
interface Store {
  SqsQueue: { new (name: string, url: string, arn: string, attributes: Record<string, string>): Queue; prototype: Queue };
  SqsStore: { createMessage(body: string): Message };
}

// This file's fauxqs is unpatched (each test file runs in its own process): its dequeue is the original.
const { SqsQueue, SqsStore } = (await import(new URL('./sqs/sqsStore.js', import.meta.resolve('fauxqs')).href)) as Store;
const original = SqsQueue.prototype.dequeue;
const inOneMove = dequeueInOneMove(original as never) as Queue['dequeue'];

const DLQ_ARN = 'arn:aws:sqs:us-east-1:000000000000:dlq';
function twins(count: number, attributes: Record<string, string> = {}) {
  const make = (dequeue: Queue['dequeue']) => {
    const queue = new SqsQueue('q', 'http://127.0.0.1/000000000000/q', 'arn:aws:sqs:us-east-1:000000000000:q', { VisibilityTimeout: '30', ...attributes });
    const dlq = new SqsQueue('dlq', 'http://127.0.0.1/000000000000/dlq', DLQ_ARN, {});
    return { queue, dlq, receive: (max: number, visibility?: number) => dequeue.call(queue, max, visibility, (arn: string) => (arn === DLQ_ARN ? dlq : undefined)) };
  };
  const a = make(original);
  const b = make(inOneMove);
  for (let i = 0; i < count; i++) {
    const message = SqsStore.createMessage(`body ${i}`);
    a.queue.enqueue(message);
    b.queue.enqueue({ ...message });
  }
  return { a, b };
}
const ids = (messages: { MessageId: string }[]) => messages.map((message) => message.MessageId);
const state = (twin: { queue: Queue; dlq: Queue }) => ({
  queued: twin.queue.messages.map((message) => [message.messageId, message.approximateReceiveCount]),
  inflight: [...twin.queue.inflightMessages.values()].map((entry) => entry.message.messageId).sort(),
  dlq: twin.dlq.messages.map((message) => message.messageId),
});

describe('dequeueInOneMove', () => {
  it('receives what fauxqs receives from a long queue, and leaves the same queue behind', () => {
    const { a, b } = twins(LONG_QUEUE_MESSAGES + 500);
    for (const max of [10, 1, 7, 10, 3, 10]) {
      expect(ids(b.receive(max))).toEqual(ids(a.receive(max)));
      expect(state(b)).toEqual(state(a));
    }
    expect(b.queue.messages).toHaveLength(LONG_QUEUE_MESSAGES + 500 - 41);
  });

  it('keeps the order of messages made visible again: at the queue\'s end, as fauxqs puts them', () => {
    const { a, b } = twins(LONG_QUEUE_MESSAGES + 20);
    // Received with a visibility timeout of 0: visible again at the next receive's timer pass.
    for (const twin of [a, b]) twin.receive(10, 0);
    for (let round = 0; round < 4; round++) {
      expect(ids(b.receive(10))).toEqual(ids(a.receive(10)));
      expect(state(b)).toEqual(state(a));
    }
  });

  it('moves messages past their receive count to the dead-letter queue and makes up the receive from the next ones', () => {
    const redrive = { RedrivePolicy: JSON.stringify({ maxReceiveCount: 1, deadLetterTargetArn: DLQ_ARN }) };
    const { a, b } = twins(LONG_QUEUE_MESSAGES + 40, redrive);
    // Received once and made visible again (visibility 0) at the front, they are over maxReceiveCount.
    for (const twin of [a, b]) {
      twin.receive(10, 0);
      for (const handle of [...twin.queue.inflightMessages.keys()]) twin.queue.changeVisibility(handle, 0);
      // changeVisibility(0) appends them to the end; move them to the front, where a timer pass would not.
      twin.queue.messages.unshift(...twin.queue.messages.splice(-10));
    }
    const first = ids(b.receive(10));
    expect(first).toEqual(ids(a.receive(10)));
    expect(first).toHaveLength(10);
    expect(state(b)).toEqual(state(a));
    expect(state(b).dlq).toHaveLength(10);
  });

  it('leaves short queues to fauxqs\'s own dequeue', () => {
    const { a, b } = twins(LONG_QUEUE_MESSAGES - 1);
    expect(ids(b.receive(10))).toEqual(ids(a.receive(10)));
    expect(state(b)).toEqual(state(a));
  });

  it('applies to the fauxqs this project pins', async () => {
    expect(await receiveFromLongQueuesInOneMove()).toBe(true);
    expect(SqsQueue.prototype.dequeue).not.toBe(original);
    SqsQueue.prototype.dequeue = original;
  });
});
