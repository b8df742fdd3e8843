import { describe, expect, it } from 'vitest';
import { describeSchedule, nextFireAfter, parseEvery, parseSchedule, ScheduleError } from '../../../../../shared/domain/syncs/schedule.ts';

const at = (iso: string) => Date.parse(iso);
const next = (expression: string, after: string) => {
  const ms = nextFireAfter(parseSchedule({ kind: 'cron', expression }), at(after), 0);
  return ms === undefined ? undefined : new Date(ms).toISOString();
};

describe('cron expressions (EventBridge Scheduler format, UTC)', () => {
  it('fires hourly on the hour for 0 * * * ? *, strictly after the given time', () => {
    expect(next('0 * * * ? *', '2026-11-30T10:30:00.000Z')).toBe('2026-11-30T11:00:00.000Z');
    expect(next('0 * * * ? *', '2026-11-30T10:00:00.000Z')).toBe('2026-11-30T11:00:00.000Z');
    expect(next('0 * * * ? *', '2026-11-30T10:59:59.999Z')).toBe('2026-11-30T11:00:00.000Z');
  });

  it('honours steps, ranges, lists and day and month names', () => {
    // Every 15 minutes 9:00-17:45 on weekdays; 2026-12-05 is a Saturday.
    expect(next('0/15 9-17 ? * MON-FRI *', '2026-12-05T10:30:00Z')).toBe('2026-12-07T09:00:00.000Z');
    expect(next('0/15 9-17 ? * MON-FRI *', '2026-12-07T09:07:00Z')).toBe('2026-12-07T09:15:00.000Z');
    expect(next('30 8 1,15 JAN,JUL ? *', '2026-11-30T00:00:00Z')).toBe('2027-01-01T08:30:00.000Z');
    expect(next('0 12 ? * 1 *', '2026-11-30T00:00:00Z')).toBe('2026-12-06T12:00:00.000Z'); // 1 = Sunday
    expect(next('cron(0 0 29 2 ? *)', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('says when an expression never fires again (a date that does not exist, a past year)', () => {
    expect(next('0 0 30 2 ? *', '2026-01-01T00:00:00Z')).toBeUndefined();
    expect(next('0 0 * * ? 2020', '2026-01-01T00:00:00Z')).toBeUndefined();
  });

  it('refuses what EventBridge refuses or what is not implemented, naming the field', () => {
    const refuse = (expression: string, message: RegExp) =>
      expect(() => parseSchedule({ kind: 'cron', expression })).toThrow(message);
    refuse('0 * * * *', /6 fields/);
    refuse('* * * * * *', /exactly one of day-of-month and day-of-week must be \?/);
    refuse('0 0 ? * ? *', /exactly one/);
    refuse('60 * * * ? *', /minutes: '60' is not between 0 and 59/);
    refuse('0 0 L * ? *', /L, W and # are not supported/);
    refuse('0 0 ? * 6#3 *', /not supported/);
    refuse('0 ? * * ? *', /\? is allowed only/);
    refuse('0 5-1 * * ? *', /runs backwards/);
    refuse('1,,2 * * * ? *', /is not a value/);
    refuse('0 0 ? * FOO *', /day-of-week/);
    refuse('0 0 ? * 8 *', /between 1 and 7/);
    refuse('x'.repeat(300), /at most 256/);
  });

  it('accepts JUL and WED (names holding L and W) and normalises spacing and the cron() wrapper', () => {
    expect(parseSchedule({ kind: 'cron', expression: ' cron( 0  12 ? JUL  WED  * ) ' })).toEqual({ kind: 'cron', expression: '0 12 ? JUL WED *' });
    expect(next('0 12 ? JUL WED *', '2026-11-30T00:00:00Z')).toBe('2027-07-07T12:00:00.000Z');
  });
});

describe('every N minutes', () => {
  it('fires at anchor + k·N minutes, the first strictly after the given time', () => {
    const anchor = at('2026-11-30T10:00:20Z'); // counted from the whole minute
    const every15 = { kind: 'every' as const, minutes: 15 };
    expect(nextFireAfter(every15, anchor, anchor)).toBe(at('2026-11-30T10:15:00Z'));
    expect(nextFireAfter(every15, at('2026-11-30T10:15:00Z'), anchor)).toBe(at('2026-11-30T10:30:00Z'));
    expect(nextFireAfter(every15, at('2026-11-30T13:07:00Z'), anchor)).toBe(at('2026-11-30T13:15:00Z')); // no catch-up burst
  });

  it('parses 15m, 2h, 1d and bare minutes; refuses zero, units it does not know and more than a year', () => {
    expect([parseEvery('15m'), parseEvery('2h'), parseEvery('1d'), parseEvery('45')]).toEqual([15, 120, 1440, 45]);
    for (const bad of ['0m', '15s', 'often', '-5m', '1000000']) expect(() => parseEvery(bad), bad).toThrow(ScheduleError);
  });

  it('manual never fires; every schedule reads back as written', () => {
    expect(nextFireAfter({ kind: 'manual' }, 0, 0)).toBeUndefined();
    expect([{ kind: 'manual' }, { kind: 'every', minutes: 15 }, { kind: 'cron', expression: '0 * * * ? *' }].map((s) => describeSchedule(parseSchedule(s)))).toEqual([
      'manual',
      'every 15m',
      'cron 0 * * * ? *',
    ]);
    expect(() => parseSchedule({ kind: 'hourly' })).toThrow(/manual, every or cron/);
    expect(() => parseSchedule({ kind: 'every', minutes: 1.5 })).toThrow(/whole number/);
  });
});
