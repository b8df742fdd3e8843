// The payload of one row-op, valmi's webhook format (seed 004): the mapped fields at the top level,
// `_valmi_meta` first, then `_message_id` and `_sync_mode`:
//
//   {"_valmi_meta":{"_valmi_row_num":347,"_valmi_sync_op":"upsert"},"my_first_name":"Ryan",...,
//    "_message_id":346,"_sync_mode":"upsert"}
//
// GET flattens exactly this object (`_valmi_meta__valmi_row_num=347&...&_message_id=346&_sync_mode=upsert`)
// and form posts bracket-encode it; both come from the delivery engine's encoders, fed the payload
// itself instead of the event envelope (a sync row is a raw-payload event, delivery/events.ts).
//
// `_valmi_row_num` counts the run's row-ops from 1, in the query's order (deletes of mirror last);
// `_message_id` is the same position from 0, as in the seed's example (row 347, message 346).
import type { SyncMode, SyncOp } from './definition.ts';

/**
 * The payload as JSON text. `rowJson` is the mapped row as DuckDB wrote it (`to_json`), spliced in
 * as it is, so big integers and nested JSON values keep their exact text.
 */
export function syncPayloadJson(input: { rowJson: string; rowNum: number; op: SyncOp; mode: SyncMode }): string {
  const inner = objectBody(input.rowJson);
  const meta = `"_valmi_meta":{"_valmi_row_num":${input.rowNum},"_valmi_sync_op":${JSON.stringify(input.op)}}`;
  const tail = `"_message_id":${input.rowNum - 1},"_sync_mode":${JSON.stringify(input.mode)}`;
  return `{${meta},${inner === '' ? '' : `${inner},`}${tail}}`;
}

/** The members of a JSON object text, without its braces ('' for `{}`). */
function objectBody(rowJson: string): string {
  const text = rowJson.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) throw new RangeError('a mapped row is a JSON object');
  return text.slice(1, -1).trim();
}
