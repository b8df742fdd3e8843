// The deadline arithmetic behind fauxqs's patched long-poll timer (infra/local/fauxqs.ts); the
// timer itself is tested against fauxqs in test/integration/queue-wake.test.ts.
import { describe, expect, it } from 'vitest';
import { MAX_QUEUE_TIMER_SLEEP_MS, nextQueueDeadline, queueTimerSleepMs } from '../../../../infra/local/fauxqs.ts';

describe('nextQueueDeadline', () => {
  it('is the earliest of the in-flight visibility deadlines and the delayed messages, FIFO groups included', () => {
    const queue = {
      inflightMessages: new Map([
        ['a', { visibilityDeadline: 5_000 }],
        ['b', { visibilityDeadline: 3_000 }],
      ]),
      delayedMessages: [{ delayUntil: 4_000 }, {}],
      fifoDelayed: new Map<string, { delayUntil?: number }[]>([['g', [{ delayUntil: 6_000 }]]]),
    };
    expect(nextQueueDeadline(queue)).toBe(3_000);
    queue.delayedMessages.push({ delayUntil: 2_000 });
    expect(nextQueueDeadline(queue)).toBe(2_000);
    queue.fifoDelayed.set('h', [{}, { delayUntil: 1_000 }]);
    expect(nextQueueDeadline(queue)).toBe(1_000);
  });

  it('is never for a queue with nothing in flight or delayed', () => {
    expect(nextQueueDeadline({ inflightMessages: new Map(), delayedMessages: [{}], fifoDelayed: new Map() })).toBe(Infinity);
  });
});

describe('queueTimerSleepMs', () => {
  it('sleeps until the deadline, at most a second and at least a millisecond', () => {
    expect(queueTimerSleepMs(10_250, 10_000)).toBe(250);
    expect(queueTimerSleepMs(10_000 + MAX_QUEUE_TIMER_SLEEP_MS, 10_000)).toBe(MAX_QUEUE_TIMER_SLEEP_MS);
    expect(queueTimerSleepMs(Infinity, 10_000)).toBe(MAX_QUEUE_TIMER_SLEEP_MS);
    expect(queueTimerSleepMs(10_000, 10_000)).toBe(1);
    expect(queueTimerSleepMs(9_000, 10_000)).toBe(1);
    expect(MAX_QUEUE_TIMER_SLEEP_MS).toBe(1000);
  });
});
