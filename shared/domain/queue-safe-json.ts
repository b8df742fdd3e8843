// Every message the project puts on a queue is JSON text made safe for both SQS and the local
// emulator. SQS refuses characters outside #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD |
// #x10000-#x10FFFF (so U+FFFE, U+FFFF, other controls and lone surrogates), and fauxqs tests the
// same ranges without the regex `u` flag, so it also refuses everything outside the BMP (emoji).
// In valid JSON text such a character can only stand inside a string, where its `\uXXXX` escape
// means the same thing: JSON.parse on the other side gives back exactly what was serialized.
// Reading one back is the same for every queue: JSON, then the message's schema (parseQueueJson).
import * as v from 'valibot';

/** One UTF-16 code unit either side could refuse (no `u` flag: surrogates match one by one). */
const QUEUE_UNSAFE = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/;
const QUEUE_UNSAFE_ALL = new RegExp(QUEUE_UNSAFE.source, 'g');

/**
 * Escapes every code unit outside the queue-safe set as `\uXXXX` (a non-BMP character becomes
 * its surrogate pair escapes). `jsonText` must be valid JSON text; the result parses to the same
 * value. Idempotent: the output contains nothing to escape.
 */
export function queueSafeJson(jsonText: string): string {
  // Valid JSON text holds no control character but tab, newline and return, so ASCII text is safe.
  // Telling ASCII apart (its UTF-8 length is its length) costs a quarter of the scan below.
  if (Buffer.byteLength(jsonText, 'utf8') === jsonText.length || !QUEUE_UNSAFE.test(jsonText)) return jsonText;
  return jsonText.replace(QUEUE_UNSAFE_ALL, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Whether SQS and fauxqs both accept this text as a message body. */
export function isQueueSafe(text: string): boolean {
  return !QUEUE_UNSAFE.test(text);
}

/**
 * A queue message read back: JSON text checked against its schema. Anything else throws
 * `Malformed` (a message that fails here never succeeds, and goes to its queue's DLQ), saying what
 * is wrong where: `not JSON`, or each issue with its path (`event.id Invalid format`). `accepts`,
 * when given, is a faster check of the same rules on a hot path: what it accepts is returned as
 * parsed, and the schema judges (and explains) only what it refuses.
 */
export function parseQueueJson<S extends v.GenericSchema>(
  text: string,
  schema: S,
  Malformed: new (message: string) => Error,
  accepts?: (json: unknown) => boolean,
): v.InferOutput<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Malformed('not JSON');
  }
  if (accepts?.(json) === true) return json as v.InferOutput<S>;
  const result = v.safeParse(schema, json);
  if (!result.success) throw new Malformed(result.issues.map((issue) => `${v.getDotPath(issue) ?? ''} ${issue.message}`).join('; '));
  return result.output;
}
