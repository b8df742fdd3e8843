// Schemas the route modules share.
import * as v from 'valibot';

/** A time the API answers with: `Date#toISOString()`, always UTC. */
export const IsoTimestamp = v.pipe(v.string(), v.isoTimestamp(), v.examples(['2026-11-20T12:00:00.000Z']));

/** An absolute time a caller sends, with a zone (`Z` or an offset), normalised to `toISOString()`. */
export const IsoTime = v.pipe(
  v.string('must be an ISO 8601 time'),
  v.regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i,
    'must be an ISO 8601 time with a zone, e.g. 2026-11-20T12:00:00Z',
  ),
  v.check(isRealDateTime, 'is not a valid time'),
  v.transform((text) => new Date(text).toISOString()),
);

function isRealDateTime(text: string): boolean {
  const time = Date.parse(text);
  if (Number.isNaN(time)) return false;
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
