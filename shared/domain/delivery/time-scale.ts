// Simulated time for demos and tests of the local stack: the fan-out's clock runs `scale` times
// faster than the wall clock from `originMs` on, and every SQS delay shrinks by the same factor,
// so the one-hour retry window and the five-minute suspension play out in seconds. On AWS the
// scale is 1 and this is the system clock.
import { systemClock, type Clock } from '../clock.ts';

/** SQS's longest DelaySeconds; longer waits are re-delayed on receipt until due. */
export const MAX_SQS_DELAY_SECONDS = 900;

export function scaledClock(scale: number, originMs: number, base: Clock = systemClock): Clock {
  if (!(scale >= 1) || !Number.isFinite(scale)) throw new RangeError('the time scale is a finite number ≥ 1');
  if (scale === 1) return base;
  return { nowMs: () => originMs + (base.nowMs() - originMs) * scale };
}

/**
 * The DelaySeconds that makes a message visible no earlier than `dueAt` on a clock running
 * `scale` times faster: rounded up to whole seconds, at most 900 (the receiver re-delays until due).
 */
export function sqsDelaySeconds(dueAt: number, now: number, scale = 1): number {
  const realMs = (dueAt - now) / scale;
  if (!(realMs > 0)) return 0;
  return Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(realMs / 1000));
}
