import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SUSPENSION_RULE,
  emptySuspensionState,
  isSuspended,
  recordInvalid,
  retryNotBefore,
  RESUME_SPREAD_MS,
  stateExpiresAt,
  type SuspensionState,
} from '../../../../../shared/domain/delivery/suspension.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

/** An injected clock that advances by `step` ms per invalid response. */
function recordMany(state: SuspensionState, count: number, start: number, step: number): SuspensionState {
  let s = state;
  for (let i = 0; i < count; i++) s = recordInvalid(s, start + i * step);
  return s;
}

describe('suspension', () => {
  it('exactly 100 invalid responses within 5 minutes do not suspend', () => {
    const state = recordMany(emptySuspensionState(), 100, T0, SECOND);
    expect(state.suspendedUntil).toBeUndefined();
    expect(isSuspended(state, T0 + 100 * SECOND)).toBe(false);
  });

  it('the 101st suspends from its own moment for 5 minutes, then lifts by itself', () => {
    const before = recordMany(emptySuspensionState(), 100, T0, SECOND);
    const at101 = T0 + 100 * SECOND;
    const state = recordInvalid(before, at101);
    expect(state.suspendedUntil).toBe(at101 + 5 * MINUTE);
    expect(isSuspended(state, at101)).toBe(true);
    expect(isSuspended(state, at101 + 5 * MINUTE - 1)).toBe(true);
    expect(isSuspended(state, at101 + 5 * MINUTE)).toBe(false);
  });

  it('101 invalid responses at the very same instant suspend too', () => {
    const state = recordMany(emptySuspensionState(), 101, T0, 0);
    expect(isSuspended(state, T0)).toBe(true);
  });

  it('invalid responses older than the window do not count', () => {
    // 60 early failures, then 100 more once every early one is at least 5 minutes old.
    let state = recordMany(emptySuspensionState(), 60, T0, SECOND);
    const later = T0 + 59 * SECOND + 5 * MINUTE;
    state = recordMany(state, 100, later, 100);
    expect(state.suspendedUntil).toBeUndefined();
    state = recordInvalid(state, later + 100 * 100);
    expect(isSuspended(state, later + 100 * 100)).toBe(true);
  });

  it('an invalid response exactly 5 minutes old has left the window; one a millisecond younger has not', () => {
    const first = recordInvalid(emptySuspensionState(), T0);
    const rest = recordMany(first, 99, T0 + MINUTE, SECOND); // 100 in total
    expect(recordInvalid(rest, T0 + 5 * MINUTE).suspendedUntil).toBeUndefined();
    expect(recordInvalid(rest, T0 + 5 * MINUTE - 1).suspendedUntil).toBe(T0 + 5 * MINUTE - 1 + 5 * MINUTE);
  });

  it('failures during a suspension do not extend it', () => {
    const suspended = recordMany(emptySuspensionState(), 101, T0, SECOND);
    const until = suspended.suspendedUntil!;
    const more = recordMany(suspended, 50, T0 + 101 * SECOND, SECOND);
    expect(more.suspendedUntil).toBe(until);
  });

  it('a flood that goes on past the suspension suspends again on the next failure after it lifts', () => {
    const suspended = recordMany(emptySuspensionState(), 101, T0, 100);
    const until = suspended.suspendedUntil!;
    const during = recordMany(suspended, 200, T0 + 101 * 100, (until - T0 - 101 * 100) / 200);
    expect(isSuspended(during, until)).toBe(false);
    const again = recordInvalid(during, until + 1);
    expect(again.suspendedUntil).toBe(until + 1 + 5 * MINUTE);
  });

  it('a failure at the very moment a suspension ends is judged on the window as it is then', () => {
    // Failures every 100 ms keep more than 100 in the window: the one at the end suspends again at once.
    const suspended = recordMany(emptySuspensionState(), 101, T0, 100);
    const until = suspended.suspendedUntil!;
    const during = recordMany(suspended, 200, T0 + 101 * 100, (until - T0 - 101 * 100) / 200);
    expect(recordInvalid(during, until).suspendedUntil).toBe(until + 5 * MINUTE);
    // A lone failure at the end of a suspension that was set long ago: no suspension stays recorded.
    expect(recordInvalid({ recentInvalids: [], suspendedUntil: T0, version: 3 }, T0)).toStrictEqual({ recentInvalids: [T0], version: 4 });
  });

  it('stores no suspension end for an address that is not suspended', () => {
    expect(recordInvalid(emptySuspensionState(), T0)).toStrictEqual({ recentInvalids: [T0], version: 1 });
    expect(recordMany(emptySuspensionState(), 100, T0, SECOND)).not.toHaveProperty('suspendedUntil');
  });

  it('refuses a time that is not a finite number', () => {
    for (const now of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => recordInvalid(emptySuspensionState(), now)).toThrow(new RangeError('now is finite epoch milliseconds'));
    }
  });

  it('keeps the stored item small however many failures there are', () => {
    const state = recordMany(emptySuspensionState(), 5000, T0, 10);
    expect(state.recentInvalids).toHaveLength(SUSPENSION_RULE.threshold + 1);
    expect(JSON.stringify(state).length).toBeLessThan(2000);
    expect(state.version).toBe(5000);
  });

  it('keeps timestamps ordered when clocks of concurrent writers disagree', () => {
    let state = recordInvalid(emptySuspensionState(), T0 + 10);
    state = recordInvalid(state, T0);
    state = recordInvalid(state, T0 + 5);
    expect(state.recentInvalids).toEqual([T0, T0 + 5, T0 + 10]);
  });

  it('property: agrees with a naive model that keeps every failure', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 * SECOND }), { minLength: 1, maxLength: 400 }), (gaps) => {
        let state = emptySuspensionState();
        const all: number[] = [];
        let modelUntil: number | undefined;
        let now = T0;
        for (const gap of gaps) {
          now += gap;
          all.push(now);
          const inWindow = all.filter((t) => t > now - 5 * MINUTE && t <= now).length;
          const modelSuspended = modelUntil !== undefined && now < modelUntil;
          if (!modelSuspended && inWindow > 100) modelUntil = now + 5 * MINUTE;
          state = recordInvalid(state, now);
          expect(isSuspended(state, now)).toBe(modelUntil !== undefined && now < modelUntil);
          if (isSuspended(state, now)) expect(state.suspendedUntil).toBe(modelUntil);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('retryNotBefore with a spread', () => {
  it('spreads held retries over the minute after the suspension ends, never before it', () => {
    let state = emptySuspensionState();
    for (let i = 0; i < 101; i++) state = recordInvalid(state, T0 + i);
    const until = state.suspendedUntil!;
    const now = T0 + 1000;
    expect(retryNotBefore(state, now, now + 1000, () => 0)).toBe(until);
    expect(retryNotBefore(state, now, now + 1000, () => 0.5)).toBe(until + RESUME_SPREAD_MS / 2);
    expect(retryNotBefore(state, now, now + 1000, () => 0.999999)).toBeLessThan(until + RESUME_SPREAD_MS);
    // a retry due after the end, or exactly at it, is not moved
    expect(retryNotBefore(state, now, until + 5, () => 0.9)).toBe(until + 5);
    expect(retryNotBefore(state, now, until, () => 0.9)).toBe(until);
  });
});

describe('retryNotBefore', () => {
  const suspended = recordMany(emptySuspensionState(), 101, T0, SECOND);
  const until = suspended.suspendedUntil!;
  const now = T0 + 101 * SECOND;

  it('holds a retry that falls due during the suspension until its end', () => {
    expect(retryNotBefore(suspended, now, now + MINUTE)).toBe(until);
    expect(retryNotBefore(suspended, now, now - MINUTE)).toBe(until); // overdue, still held
  });

  it('leaves a retry due after the suspension alone', () => {
    expect(retryNotBefore(suspended, now, until)).toBe(until);
    expect(retryNotBefore(suspended, now, until + MINUTE)).toBe(until + MINUTE);
  });

  it('leaves retries alone when not suspended (never, or no longer)', () => {
    expect(retryNotBefore(emptySuspensionState(), now, now + 7)).toBe(now + 7);
    expect(retryNotBefore(suspended, until, until - 10)).toBe(until - 10);
  });
});

describe('stateExpiresAt', () => {
  it('is the later of the newest failure leaving the window and the end of the suspension', () => {
    expect(stateExpiresAt(emptySuspensionState())).toBeUndefined();
    const one = recordInvalid(emptySuspensionState(), T0);
    expect(stateExpiresAt(one)).toBe(T0 + 5 * MINUTE);
    const suspended = recordMany(emptySuspensionState(), 101, T0, 0);
    expect(stateExpiresAt({ ...suspended, suspendedUntil: T0 + 20 * MINUTE })).toBe(T0 + 20 * MINUTE);
  });
});
