// When a sync runs by itself: never (manual), every N minutes, or on an EventBridge Scheduler cron
// expression (`0 * * * ? *`: minutes hours day-of-month month day-of-week year, in UTC). The same
// parsing decides on AWS (the sync function, woken every minute by one EventBridge schedule) and
// in the local stack (its own timer), so a schedule fires at the same minutes in both.
//
// Cron subset: `*`, `?`, numbers, names (JAN-DEC, SUN-SAT), lists `a,b`, ranges `a-b`, steps `*/n`
// `a/n` `a-b/n`; exactly one of day-of-month and day-of-week is `?`, as EventBridge requires.
// `L`, `W` and `#` are refused (not implemented), never approximated.
export type SyncSchedule = { kind: 'manual' } | { kind: 'every'; minutes: number } | { kind: 'cron'; expression: string };

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/** Longest interval of an `every` schedule (a year); the shortest is one minute, the tick. */
export const MAX_EVERY_MINUTES = 525_600;
const MINUTE_MS = 60_000;
const MAX_EXPRESSION_LENGTH = 256;

/** Checks a schedule and returns it normalised (a cron expression without `cron(...)`, single spaces). */
export function parseSchedule(input: unknown): SyncSchedule {
  const value = input as { kind?: unknown; minutes?: unknown; expression?: unknown } | null | undefined;
  switch (value?.kind) {
    case 'manual':
      return { kind: 'manual' };
    case 'every': {
      const minutes = value.minutes;
      if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > MAX_EVERY_MINUTES) {
        throw new ScheduleError(`every is a whole number of minutes from 1 to ${MAX_EVERY_MINUTES}`);
      }
      return { kind: 'every', minutes };
    }
    case 'cron': {
      if (typeof value.expression !== 'string') throw new ScheduleError('a cron schedule needs an expression');
      const expression = normaliseCron(value.expression);
      parseCron(expression);
      return { kind: 'cron', expression };
    }
    default:
      throw new ScheduleError('schedule kind is manual, every or cron');
  }
}

/** `15m`, `2h`, `1d` or a bare number of minutes (the CLI's `--every`) as minutes. */
export function parseEvery(text: string): number {
  const match = /^\s*(\d{1,6})\s*(m|min|h|d)?\s*$/i.exec(text);
  if (match === null) throw new ScheduleError(`'${text}' is not a duration like 15m, 2h or 1d`);
  const unit = (match[2] ?? 'm').toLowerCase();
  const minutes = Number(match[1]) * (unit === 'h' ? 60 : unit === 'd' ? 1440 : 1);
  parseSchedule({ kind: 'every', minutes });
  return minutes;
}

function normaliseCron(text: string): string {
  if (text.length > MAX_EXPRESSION_LENGTH) throw new ScheduleError(`a cron expression is at most ${MAX_EXPRESSION_LENGTH} characters`);
  let body = text.trim();
  const wrapped = /^cron\((.*)\)$/i.exec(body);
  if (wrapped !== null) body = wrapped[1]!.trim();
  return body.split(/\s+/).join(' ');
}

interface CronSpec {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  /** Undefined = `?` (the other day field decides). */
  daysOfMonth: ReadonlySet<number> | undefined;
  months: ReadonlySet<number>;
  /** 1 = Sunday … 7 = Saturday, as EventBridge numbers them; undefined = `?`. */
  daysOfWeek: ReadonlySet<number> | undefined;
  years: ReadonlySet<number>;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  question?: boolean;
}

const FIELDS: readonly FieldRule[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, question: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, question: true },
  { name: 'year', min: 1970, max: 2199 },
];

/** Parses the six fields; throws ScheduleError naming the field at fault. */
function parseCron(expression: string): CronSpec {
  const parts = expression.split(' ');
  if (parts.length !== 6) {
    throw new ScheduleError(`a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not ${parts.length}`);
  }
  const sets = parts.map((part, index) => parseField(part, FIELDS[index]!));
  const [minutes, hours, daysOfMonth, months, daysOfWeek, years] = sets;
  if ((daysOfMonth === undefined) === (daysOfWeek === undefined)) {
    throw new ScheduleError('exactly one of day-of-month and day-of-week must be ?');
  }
  return { minutes: minutes!, hours: hours!, daysOfMonth, months: months!, daysOfWeek, years: years! };
}

function parseField(text: string, rule: FieldRule): Set<number> | undefined {
  if (text === '?') {
    if (rule.question !== true) throw new ScheduleError(`${rule.name}: ? is allowed only in day-of-month and day-of-week`);
    return undefined;
  }
  if (/[LW#]/i.test(text.replace(/[A-Z]{3}/gi, (name) => (rule.names?.includes(name.toUpperCase()) ? 'x' : name)))) {
    throw new ScheduleError(`${rule.name}: L, W and # are not supported`);
  }
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/(\d+))?$/.exec(item);
    if (match === null) throw new ScheduleError(`${rule.name}: '${item}' is not a value, range or step`);
    const [, range, stepText] = match;
    let low = rule.min;
    let high = rule.max;
    if (range !== '*') {
      const [from, to] = range!.split('-');
      low = fieldValue(from!, rule);
      high = to === undefined ? (stepText === undefined ? low : rule.max) : fieldValue(to, rule);
      if (low > high) throw new ScheduleError(`${rule.name}: range ${range} runs backwards`);
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!(step >= 1 && step <= rule.max)) throw new ScheduleError(`${rule.name}: step ${stepText} is out of range`);
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return values;
}

function fieldValue(text: string, rule: FieldRule): number {
  const named = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + 1 : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= rule.min && value <= rule.max)) {
    throw new ScheduleError(`${rule.name}: '${text}' is not between ${rule.min} and ${rule.max}${rule.names ? ` (or a name)` : ''}`);
  }
  return value;
}

/**
 * The first time after `afterMs` (epoch ms, exclusive) the schedule fires, on a whole minute; undefined
 * for a manual schedule or a cron expression that never fires again. `anchorMs` is where an `every`
 * schedule counts from (the sync's creation or its last enabling): it fires at anchor + k·N minutes.
 */
export function nextFireAfter(schedule: SyncSchedule, afterMs: number, anchorMs: number): number | undefined {
  if (schedule.kind === 'manual') return undefined;
  if (schedule.kind === 'every') {
    const step = schedule.minutes * MINUTE_MS;
    const anchor = Math.floor(anchorMs / MINUTE_MS) * MINUTE_MS;
    if (afterMs < anchor) return anchor + step;
    return anchor + (Math.floor((afterMs - anchor) / step) + 1) * step;
  }
  return nextCronFire(parseCron(schedule.expression), afterMs);
}

function nextCronFire(spec: CronSpec, afterMs: number): number | undefined {
  let t = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  // Each step moves to the next candidate year, month, day, hour or minute: at most a few hundred
  // thousand steps even for an expression that never fires (a date like 30 FEB), then undefined.
  for (let steps = 0; steps < 1_000_000; steps++) {
    const date = new Date(t);
    const year = date.getUTCFullYear();
    if (year > 2199) return undefined;
    const month = date.getUTCMonth(); // 0-based
    const day = date.getUTCDate();
    const hour = date.getUTCHours();
    if (!spec.years.has(year)) {
      t = Date.UTC(year + 1, 0, 1);
    } else if (!spec.months.has(month + 1)) {
      t = Date.UTC(year, month + 1, 1);
    } else if (!dayMatches(spec, day, date.getUTCDay() + 1)) {
      t = Date.UTC(year, month, day + 1);
    } else if (!spec.hours.has(hour)) {
      t = Date.UTC(year, month, day, hour + 1);
    } else if (!spec.minutes.has(date.getUTCMinutes())) {
      t += MINUTE_MS;
    } else {
      return t;
    }
  }
  return undefined;
}

function dayMatches(spec: CronSpec, dayOfMonth: number, dayOfWeek: number): boolean {
  if (spec.daysOfMonth !== undefined) return spec.daysOfMonth.has(dayOfMonth);
  return spec.daysOfWeek!.has(dayOfWeek);
}

/** How a schedule reads in a list (`manual`, `every 15m`, `cron 0 * * * ? *`). */
export function describeSchedule(schedule: SyncSchedule): string {
  if (schedule.kind === 'manual') return 'manual';
  if (schedule.kind === 'every') return `every ${schedule.minutes}m`;
  return `cron ${schedule.expression}`;
}
