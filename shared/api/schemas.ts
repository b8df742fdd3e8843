// Schemas the route modules share: times, names, pipeline ids, a list's query.
import * as v from 'valibot';
import { PIPELINE_ID } from '../domain/id-patterns.ts';
import { PAGE_QUERY } from './pagination.ts';

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

/** A name for humans (pipelines, tokens, admins). */
export const Name = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(200, 'must be at most 200 characters'),
  v.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
  v.description('A name for humans: 1 to 200 characters, no control characters (trimmed).'),
);

/** A pipeline id in a body. */
export const PipelineId = v.pipe(
  v.number('must be a number'),
  v.safeInteger('must be a positive integer'),
  v.minValue(1, 'must be a positive integer'),
);

/** `/v4/pipelines/{id}` and the routes under it. */
export const PipelineIdParams = v.object({
  id: v.pipe(
    v.string(),
    v.regex(PIPELINE_ID, 'the pipeline id must be a positive integer'),
    v.transform(Number),
    v.safeInteger('the pipeline id must be a positive integer'),
  ),
});

/** `limit` and `cursor` of every list; any other query parameter is refused (router.ts). */
export const ListQuery = v.strictObject(PAGE_QUERY);
