// Human output: aligned plain-text tables and key/value blocks.

const MAX_CELL = 80;

/** One line per value: control characters escaped, long values cut with an ellipsis. */
export function cell(value: unknown, max = MAX_CELL): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') text = String(value);
  else text = JSON.stringify(value);
  text = text.replace(/\r\n|\n|\r/g, '\\n').replace(/\t/g, '\\t');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Columns separated by two spaces under a header (upper case by default); numbers right-aligned; cells cut at `maxCell` (80). */
export function table(
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  options: { upperCaseHeader?: boolean; maxCell?: number } = {},
): string {
  const cells = rows.map((row) => columns.map((_, index) => cell(row[index], options.maxCell)));
  const numeric = columns.map((_, index) =>
    rows.length > 0 && rows.every((row) => typeof row[index] === 'number' || row[index] === null || row[index] === undefined),
  );
  const widths = columns.map((name, index) => Math.max(name.length, ...cells.map((row) => row[index]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((value, index) => (numeric[index] ? value.padStart(widths[index]!) : value.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  const header = options.upperCaseHeader === false ? columns : columns.map((name) => name.toUpperCase());
  return [line(header), ...cells.map(line)].join('\n');
}

/** `key  value` lines with aligned values. */
export function keyValues(entries: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${cell(value, 200)}`).join('\n');
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
