// Small pieces the pages share: loading/error states, copy buttons, times, the JSON tree.
import type { VNode } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorText } from './api.ts';
import { html } from './html.ts';

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: string | undefined }>({ data: undefined, error: undefined });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data, error: undefined }),
      (error: unknown) => live && setState({ data: undefined, error: errorText(error) }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: useCallback(() => setTick((n) => n + 1), []) };
}

export function Status(props: { error?: string | undefined; loading?: boolean }): VNode | null {
  if (props.error !== undefined) return html`<p class="error" role="alert">${props.error}</p>`;
  if (props.loading === true) return html`<p class="muted">Loading…</p>`;
  return null;
}

export function CopyButton(props: { text: string; label?: string }): VNode {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  return html`<button type="button" class="secondary" onClick=${copy}>${copied ? 'Copied' : (props.label ?? 'Copy')}</button>`;
}

export const time = (iso: string | number | null | undefined): string => {
  if (iso === null || iso === undefined) return '—';
  const date = typeof iso === 'number' ? new Date(iso * 1000) : new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toISOString().replace('T', ' ').replace('Z', ' UTC');
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON value as a foldable tree: objects and arrays are <details>, leaves text. */
export function JsonTree(props: { value: Json; name?: string; depth?: number }): VNode {
  const { value, name } = props;
  const depth = props.depth ?? 0;
  const label = name === undefined ? null : html`<span class="json-key">${JSON.stringify(name)}</span>: `;
  if (value !== null && typeof value === 'object') {
    const entries: [string | undefined, Json][] = Array.isArray(value) ? value.map((item) => [undefined, item]) : Object.entries(value);
    const open = Array.isArray(value) ? '[' : '{';
    const close = Array.isArray(value) ? ']' : '}';
    if (entries.length === 0) return html`<div class="json-line">${label}${open}${close}</div>`;
    return html`<details class="json-node" open=${depth < 6}>
      <summary>${label}${open}<span class="muted"> ${entries.length} ${entries.length === 1 ? 'item' : 'items'} </span></summary>
      <div class="json-children">${entries.map(([key, item]) => html`<${JsonTree} value=${item} name=${key} depth=${depth + 1} />`)}</div>
      <div class="json-line">${close}</div>
    </details>`;
  }
  const kind = value === null ? 'null' : typeof value;
  return html`<div class="json-line">${label}<span class=${`json-${kind}`}>${JSON.stringify(value)}</span></div>`;
}

/** The body as a JSON tree when it parses, else as preformatted text. */
export function BodyView(props: { body: string | null; truncated: boolean }): VNode {
  if (props.body === null) return html`<p class="muted">The body could not be read within the console's bounds; query the lake for it.</p>`;
  let parsed: Json | undefined;
  try {
    parsed = JSON.parse(props.body) as Json;
  } catch {
    parsed = undefined;
  }
  return html`<div class="body-view">
    ${props.truncated ? html`<p class="muted">Only the start of the body is shown.</p>` : null}
    ${parsed === undefined ? html`<pre class="code">${props.body}</pre>` : html`<div class="json-tree code"><${JsonTree} value=${parsed} /></div>`}
  </div>`;
}

export function KeyValueTable(props: { caption: string; entries: [string, string][]; empty: string }): VNode {
  if (props.entries.length === 0) return html`<p class="muted">${props.empty}</p>`;
  return html`<table class="kv">
    <caption>${props.caption}</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">Value</th></tr></thead>
    <tbody>${props.entries.map(([name, value]) => html`<tr><th scope="row">${name}</th><td><code>${value}</code></td></tr>`)}</tbody>
  </table>`;
}
