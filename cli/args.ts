// Argument parsers shared by the commands; a bad value is a usage error (exit code 2).
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return Number(value);
}

/** `1,2,3` → [1, 2, 3]. */
export function positiveIntList(value: string): number[] {
  const parts = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (parts.length === 0) throw new InvalidArgumentError('expected a comma-separated list of pipeline ids.');
  return parts.map((part) => {
    try {
      return positiveInt(part);
    } catch {
      throw new InvalidArgumentError(`"${part}" is not a pipeline id (a positive integer).`);
    }
  });
}

export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty.');
  return value;
}

/** `a,b` → ['a', 'b'] (trimmed, empty parts dropped). */
export function commaList(value: string): string[] {
  const parts = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (parts.length === 0) throw new InvalidArgumentError('expected a comma-separated list.');
  return parts;
}

const DURATION_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A point in time as an ISO string: an ISO 8601 time with a zone (`2026-11-20T12:00:00Z`), a UTC
 * date (`2026-11-20`, midnight UTC), or a duration ago (`90s`, `30m`, `2h`, `7d`).
 */
export function pointInTime(value: string, nowMs: number = Date.now()): string {
  const text = value.trim();
  const duration = /^(\d{1,7})([smhd])$/.exec(text);
  if (duration !== null) {
    return new Date(nowMs - Number(duration[1]) * DURATION_MS[duration[2] as keyof typeof DURATION_MS]).toISOString();
  }
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i.test(text);
  const time = iso && isRealDay(text.slice(0, 10)) ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new InvalidArgumentError('expected an ISO time with a zone (2026-11-20T12:00:00Z), a date (2026-11-20) or a duration ago (30m, 2h, 7d).');
  }
  return new Date(time).toISOString();
}

/** `YYYY-MM-DD` names a day that exists (no 2026-02-30). */
function isRealDay(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const utc = new Date(Date.UTC(year, month - 1, day));
  return utc.getUTCFullYear() === year && utc.getUTCMonth() === month - 1 && utc.getUTCDate() === day;
}
