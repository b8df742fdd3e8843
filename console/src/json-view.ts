// A webhook body as a foldable JSON tree, bounded whatever the sender nested or repeated: a body of
// 100,000 nested arrays or of 100,000 keys renders as quickly as a small one.
//
// - Nothing recurses over the value itself: the first view is planned breadth-first with a budget
//   of lines, and text is written by a loop with an explicit stack (JSON.stringify recurses).
// - A node's children exist in the page only while it is open, and a page of them at a time.
// - Past TREE_DEPTH levels the rest is plain text, cut at TEXT_CHARS characters.
import type { VNode } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { html } from './html.ts';
import { CHILD_PAGE, firstViewOpen, isContainer, jsonText, TEXT_CHARS, TREE_DEPTH, type Container, type Json } from './json-plan.ts';

export type { Json };

function Label(props: { name: string | undefined }): VNode | null {
  return props.name === undefined ? null : html`<span class="json-key">${JSON.stringify(props.name)}</span>: `;
}

function Leaf(props: { value: Exclude<Json, Container>; name: string | undefined }): VNode {
  const kind = props.value === null ? 'null' : typeof props.value;
  return html`<div class="json-line"><${Label} name=${props.name} /><span class=${`json-${kind}`}>${JSON.stringify(props.value)}</span></div>`;
}

/** A value past TREE_DEPTH: its JSON as text. */
function DeepText(props: { value: Json; name: string | undefined }): VNode {
  const { text, cut } = useMemo(() => jsonText(props.value), [props.value]);
  return html`<div class="json-line json-deep"><${Label} name=${props.name} /><code class="json-text" tabindex="0" role="region" aria-label=${`Levels past ${TREE_DEPTH}, as text`}>${text}</code>${cut
      ? html`<span class="muted"> … cut at ${TEXT_CHARS.toLocaleString('en')} characters</span>`
      : null}</div>`;
}

function Node(props: { value: Json; name?: string | undefined; depth: number; opened: WeakSet<object> }): VNode {
  const { value, name, depth } = props;
  if (!isContainer(value)) return html`<${Leaf} value=${value} name=${name} />`;
  if (depth >= TREE_DEPTH) return html`<${DeepText} value=${value} name=${name} />`;
  return html`<${Branch} value=${value} name=${name} depth=${depth} opened=${props.opened} />`;
}

function Branch(props: { value: Container; name: string | undefined; depth: number; opened: WeakSet<object> }): VNode {
  const { value, name, depth } = props;
  const [open, setOpen] = useState(() => props.opened.has(value));
  const [shown, setShown] = useState(CHILD_PAGE);
  const keys = useMemo(() => (Array.isArray(value) ? undefined : Object.keys(value)), [value]);
  const count = keys === undefined ? (value as Json[]).length : keys.length;
  const [openMark, closeMark] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (count === 0) return html`<div class="json-line"><${Label} name=${name} />${openMark}${closeMark}</div>`;
  const children: VNode[] = [];
  if (open) {
    for (let index = 0; index < Math.min(count, shown); index++) {
      const key = keys?.[index];
      const child = key === undefined ? (value as Json[])[index]! : (value as Record<string, Json>)[key]!;
      children.push(html`<${Node} key=${index} value=${child} name=${key} depth=${depth + 1} opened=${props.opened} />`);
    }
  }
  const more = count - shown;
  return html`<details class="json-node" open=${open} onToggle=${(event: Event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}>
    <summary><${Label} name=${name} />${openMark}<span class="muted"> ${count.toLocaleString('en')} ${count === 1 ? 'item' : 'items'} </span></summary>
    ${open
      ? html`<div class="json-children">
          ${children}
          ${more > 0
            ? html`<button type="button" class="link json-more" onClick=${() => setShown((n) => n + CHILD_PAGE)}>Show ${Math.min(more, CHILD_PAGE)} more (${more.toLocaleString('en')} not shown)</button>`
            : null}
        </div>
        <div class="json-line">${closeMark}</div>`
      : null}
  </details>`;
}

/** A parsed JSON value as a foldable tree. */
export function JsonTree(props: { value: Json }): VNode {
  const opened = useMemo(() => firstViewOpen(props.value), [props.value]);
  return html`<${Node} value=${props.value} depth=${0} opened=${opened} />`;
}
