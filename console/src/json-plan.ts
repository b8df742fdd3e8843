// The plan of a JSON tree view, kept apart from its rendering (json-view.ts) so it stays plain
// code: nothing here recurses over the sender's value, so a body of 100,000 nested arrays or of
// 100,000 keys costs what a small one does.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Container = Json[] | { [key: string]: Json };

/** Levels of nodes; deeper values are plain text. */
export const TREE_DEPTH = 40;
/** Children shown at once under one node ("Show more" adds as many). */
export const CHILD_PAGE = 100;
/** Characters of a value shown as text. */
export const TEXT_CHARS = 20_000;
/** Lines the first view opens by itself: nodes open breadth-first, up to OPEN_DEPTH levels, while they fit. */
const FIRST_VIEW_LINES = 400;
const OPEN_DEPTH = 6;

export const isContainer = (value: Json): value is Container => value !== null && typeof value === 'object';
const childCount = (value: Container) => (Array.isArray(value) ? value.length : Object.keys(value).length);

/** The nodes open in the first view: breadth-first from the root (always open) while the lines fit. */
export function firstViewOpen(root: Json): WeakSet<object> {
  const open = new WeakSet<object>();
  if (!isContainer(root)) return open;
  let lines = 1;
  let level: Container[] = [root];
  for (let depth = 0; depth < OPEN_DEPTH && level.length > 0; depth++) {
    const next: Container[] = [];
    for (const node of level) {
      const shown = Math.min(childCount(node), CHILD_PAGE);
      if (depth > 0 && lines + shown > FIRST_VIEW_LINES) continue;
      open.add(node);
      lines += shown;
      const children = Array.isArray(node) ? node.slice(0, shown) : Object.keys(node).slice(0, shown).map((key) => node[key]!);
      for (const child of children) if (isContainer(child)) next.push(child);
    }
    level = next;
  }
  return open;
}

/** Compact JSON text of `value`, without recursion, cut after `maxChars` characters. */
export function jsonText(value: Json, maxChars = TEXT_CHARS): { text: string; cut: boolean } {
  let text = '';
  // Each frame: a container, its keys (objects) and the next child to write.
  const stack: { node: Container; keys: string[] | undefined; index: number }[] = [];
  const write = (item: Json): void => {
    if (isContainer(item)) {
      text += Array.isArray(item) ? '[' : '{';
      stack.push({ node: item, keys: Array.isArray(item) ? undefined : Object.keys(item), index: 0 });
    } else {
      text += JSON.stringify(item);
    }
  };
  write(value);
  while (stack.length > 0 && text.length <= maxChars) {
    const frame = stack[stack.length - 1]!;
    const length = frame.keys === undefined ? (frame.node as Json[]).length : frame.keys.length;
    if (frame.index >= length) {
      text += frame.keys === undefined ? ']' : '}';
      stack.pop();
      continue;
    }
    if (frame.index > 0) text += ',';
    if (frame.keys === undefined) {
      write((frame.node as Json[])[frame.index]!);
    } else {
      const key = frame.keys[frame.index]!;
      text += `${JSON.stringify(key)}:`;
      write((frame.node as Record<string, Json>)[key]!);
    }
    frame.index++;
  }
  return text.length > maxChars || stack.length > 0 ? { text: text.slice(0, maxChars), cut: true } : { text, cut: false };
}
