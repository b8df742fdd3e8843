import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_ATTEMPTS,
  MAX_RETRIES,
  RETRY_SCHEDULE,
  classifyResponse,
  nextAttempt,
  type AttemptOutcome,
} from '../../../../../shared/domain/delivery/retry-policy.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

describe('classifyResponse', () => {
  it.each<[AttemptOutcome, boolean, string?]>([
    [{ status: 200 }, true],
    [{ status: 201 }, true],
    [{ status: 204 }, true],
    [{ status: 299 }, true],
    [{ status: 199 }, false, 'http_status'],
    [{ status: 300 }, false, 'redirect'],
    [{ status: 301 }, false, 'redirect'],
    [{ status: 302 }, false, 'redirect'],
    [{ status: 304 }, false, 'redirect'],
    [{ status: 308 }, false, 'redirect'],
    [{ status: 399 }, false, 'redirect'],
    [{ status: 200, redirected: true }, false, 'redirect'],
    [{ status: 400 }, false, 'http_status'],
    [{ status: 404 }, false, 'http_status'],
    [{ status: 429 }, false, 'http_status'],
    [{ status: 500 }, false, 'http_status'],
    [{ status: 503 }, false, 'http_status'],
    [{ status: 200, timedOut: true }, false, 'timeout'],
    [{ timedOut: true }, false, 'timeout'],
    [{ error: 'connection' }, false, 'connection'],
    [{ error: 'dns' }, false, 'connection'],
    [{ error: 'tls' }, false, 'connection'],
    [{ error: 'unknown' }, false, 'connection'],
    [{}, false, 'connection'],
    [{ status: 200.5 }, false, 'connection'],
    // The connection broke after the status line: not a complete answer.
    [{ status: 200, error: 'connection' }, false, 'connection'],
    [{ status: 204, error: 'unknown' }, false, 'connection'],
    [{ error: 'url_too_long' }, false, 'url_too_long'],
    [{ error: 'blocked_target' }, false, 'blocked_target'],
  ])('%j → valid %s %s', (outcome, valid, errorClass) => {
    const result = classifyResponse(outcome);
    expect(result.valid).toBe(valid);
    if (!result.valid) expect(result.errorClass).toBe(errorClass);
  });

  it('keeps the status of an invalid answer, and has none when no answer came', () => {
    expect(classifyResponse({ status: 503 })).toMatchObject({ valid: false, status: 503 });
    expect(classifyResponse({ timedOut: true })).toStrictEqual({ valid: false, errorClass: 'timeout', retryable: true, countsTowardSuspension: true });
    expect(classifyResponse({ error: 'dns' })).not.toHaveProperty('status');
  });

  it('neither retries nor counts local refusals, but does both for answers from the address', () => {
    for (const error of ['url_too_long', 'blocked_target'] as const) {
      expect(classifyResponse({ error })).toMatchObject({ retryable: false, countsTowardSuspension: false });
    }
    for (const outcome of [{ status: 500 }, { timedOut: true }, { error: 'connection' as const }, { status: 302 }]) {
      expect(classifyResponse(outcome)).toMatchObject({ retryable: true, countsTowardSuspension: true });
    }
  });
});

describe('nextAttempt', () => {
  const mid = (): number => 0.5; // jitter factor exactly 1

  it('follows the base schedule 1 min, 5 min, 15 min, 30 min, then gives up', () => {
    let now = T0;
    const times: number[] = [];
    for (let attemptNumber = 1; attemptNumber <= MAX_RETRIES; attemptNumber++) {
      const next = nextAttempt({ attemptNumber, firstAttemptAt: T0, now, random: mid });
      expect(next).toEqual({ kind: 'retry', retryNumber: attemptNumber, at: expect.any(Number) });
      if (next.kind !== 'retry') throw new Error('unreachable');
      times.push(next.at - T0);
      now = next.at;
    }
    expect(times).toEqual([1 * MINUTE, 6 * MINUTE, 21 * MINUTE, 51 * MINUTE]);
    expect(nextAttempt({ attemptNumber: 5, firstAttemptAt: T0, now, random: mid })).toEqual({ kind: 'exhausted' });
    expect(MAX_ATTEMPTS).toBe(5);
  });

  it('applies ±20% jitter', () => {
    const at = (r: number): number => {
      const next = nextAttempt({ attemptNumber: 2, firstAttemptAt: T0, now: T0 + MINUTE, random: () => r });
      if (next.kind !== 'retry') throw new Error('expected a retry');
      return next.at - (T0 + MINUTE);
    };
    expect(at(0)).toBe(4 * MINUTE); // 5 min × 0.8
    expect(at(0.5)).toBe(5 * MINUTE);
    expect(at(0.9999999)).toBe(Math.round(5 * MINUTE * (1 + 0.2 * (2 * 0.9999999 - 1))));
    expect(at(0.9999999)).toBeLessThanOrEqual(6 * MINUTE);
    expect(at(0.9999999)).toBeGreaterThan(5.99 * MINUTE);
  });

  it('clamps a retry that would land after the hour to the end of the hour, less a margin for queue latency', () => {
    const next = nextAttempt({ attemptNumber: 4, firstAttemptAt: T0, now: T0 + 50 * MINUTE, random: () => 0.99 });
    expect(RETRY_SCHEDULE.deadlineMarginMs).toBe(10_000);
    expect(next).toEqual({ kind: 'retry', retryNumber: 4, at: T0 + HOUR - 10_000 });
  });

  it('is exhausted within the margin before the end of the hour', () => {
    expect(nextAttempt({ attemptNumber: 2, firstAttemptAt: T0, now: T0 + HOUR - 10_000, random: mid })).toEqual({ kind: 'exhausted' });
    expect(nextAttempt({ attemptNumber: 2, firstAttemptAt: T0, now: T0 + HOUR - 10_001, random: mid })).toMatchObject({ kind: 'retry' });
  });

  it('is exhausted once the hour has passed, even with retries left (e.g. after a suspension)', () => {
    expect(nextAttempt({ attemptNumber: 2, firstAttemptAt: T0, now: T0 + HOUR, random: mid })).toEqual({ kind: 'exhausted' });
    expect(nextAttempt({ attemptNumber: 1, firstAttemptAt: T0, now: T0 + 2 * HOUR, random: mid })).toEqual({ kind: 'exhausted' });
  });

  it('refuses nonsense input', () => {
    expect(() => nextAttempt({ attemptNumber: 0, firstAttemptAt: T0, now: T0, random: mid })).toThrow(RangeError);
    expect(() => nextAttempt({ attemptNumber: 1.5, firstAttemptAt: T0, now: T0, random: mid })).toThrow(RangeError);
    expect(() => nextAttempt({ attemptNumber: 1, firstAttemptAt: T0, now: T0 - 1, random: mid })).toThrow(RangeError);
    expect(() => nextAttempt({ attemptNumber: 1, firstAttemptAt: T0, now: T0, random: () => 1 })).toThrow(RangeError);
    expect(() => nextAttempt({ attemptNumber: 1, firstAttemptAt: T0, now: T0, random: () => Number.NaN })).toThrow(RangeError);
  });

  it('says what was wrong with the input', () => {
    const input = { attemptNumber: 1, firstAttemptAt: T0, now: T0, random: mid };
    expect(() => nextAttempt({ ...input, attemptNumber: 0 })).toThrow(new RangeError('attemptNumber starts at 1'));
    for (const times of [{ firstAttemptAt: Number.NaN }, { now: Number.POSITIVE_INFINITY }, { firstAttemptAt: Number.NEGATIVE_INFINITY, now: Number.NaN }]) {
      expect(() => nextAttempt({ ...input, ...times }), JSON.stringify(times)).toThrow(new RangeError('times are finite epoch milliseconds'));
    }
    expect(() => nextAttempt({ ...input, now: T0 - 1 })).toThrow(new RangeError('now is before the first attempt'));
    expect(() => nextAttempt({ ...input, random: () => -0.25 })).toThrow(new RangeError('random() must return a number in [0, 1), got -0.25'));
    expect(() => nextAttempt({ ...input, random: () => 1 })).toThrow(new RangeError('random() must return a number in [0, 1), got 1'));
  });

  it('property: at most 4 retries, all within the hour, strictly increasing, jitter within bounds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 10, maxLength: 10 }),
        // how long each attempt takes before its failure is known (up to a 2-minute timeout)
        fc.array(fc.integer({ min: 0, max: 2 * MINUTE }), { minLength: 10, maxLength: 10 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (randoms, durations, firstAttemptAt) => {
          let attemptAt = firstAttemptAt;
          let attempts = 1;
          let draws = 0;
          for (;;) {
            const now = attemptAt + durations[attempts - 1]!;
            const next = nextAttempt({ attemptNumber: attempts, firstAttemptAt, now, random: () => randoms[draws++]! });
            if (next.kind === 'exhausted') break;
            const base = RETRY_SCHEDULE.baseDelaysMs[attempts - 1]!;
            expect(next.retryNumber).toBe(attempts);
            expect(next.at).toBeGreaterThan(now);
            expect(next.at).toBeGreaterThan(attemptAt);
            expect(next.at).toBeLessThanOrEqual(firstAttemptAt + HOUR - RETRY_SCHEDULE.deadlineMarginMs);
            if (next.at < firstAttemptAt + HOUR - RETRY_SCHEDULE.deadlineMarginMs) {
              expect(next.at - now).toBeGreaterThanOrEqual(base * 0.8);
              expect(next.at - now).toBeLessThanOrEqual(base * 1.2);
            }
            attemptAt = next.at;
            attempts++;
            expect(attempts).toBeLessThanOrEqual(MAX_ATTEMPTS);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: attempt numbers past the 5th are always exhausted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 1000 }), fc.integer({ min: 0, max: HOUR - 1 }), (attemptNumber, elapsed) => {
        expect(nextAttempt({ attemptNumber, firstAttemptAt: T0, now: T0 + elapsed, random: () => 0 })).toEqual({ kind: 'exhausted' });
      }),
    );
  });
});
