import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utcDay } from '../../../../shared/domain/clock.ts';

const plainUtcDay = (unixSeconds: number) => new Date(Math.floor(unixSeconds * 1000)).toISOString().slice(0, 10);

describe('utcDay', () => {
  it("is each timestamp's own UTC day, whatever came before it (the last day's text is reused)", () => {
    // Seconds from 1970 to 2100, with the edges of days close together.
    const second = fc.oneof(
      fc.double({ min: 0, max: 4_102_444_800, noNaN: true }),
      fc.integer({ min: 0, max: 47_000 }).chain((day) => fc.constantFrom(day * 86_400 - 0.001, day * 86_400, day * 86_400 + 0.0001, day * 86_400 + 86_399.999)),
    );
    fc.assert(
      fc.property(fc.array(second.filter((s) => s >= 0), { minLength: 1, maxLength: 20 }), (seconds) => {
        for (const s of seconds) expect(utcDay(s), String(s)).toBe(plainUtcDay(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('turns the day at midnight UTC both ways', () => {
    expect([utcDay(1577059199.999), utcDay(1577059200), utcDay(1577059199.999), utcDay(1577059200)]).toEqual(['2019-12-22', '2019-12-23', '2019-12-22', '2019-12-23']);
  });

  it('refuses a timestamp that is not a time, every time', () => {
    expect(() => utcDay(Number.NaN)).toThrow(RangeError);
    expect(() => utcDay(Number.NaN)).toThrow(RangeError);
  });
});
