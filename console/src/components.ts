// Small pieces the pages share: loading/error states, copy buttons, times, a body (json-view.ts).
import type { VNode } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { errorText } from './api.ts';
import { html } from './html.ts';
import { JsonTree, type Json } from './json-view.ts';

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

/** The body as a JSON tree when it parses, else as preformatted text. */
export function BodyView(props: { body: string | null; truncated: boolean }): VNode {
  const parsed = useMemo(() => parseJson(props.body), [props.body]);
  if (props.body === null) return html`<p class="muted">The body could not be read within the console's bounds; query the lake for it.</p>`;
  return html`<div class="body-view">
    ${props.truncated ? html`<p class="muted">Only the start of the body is shown.</p>` : null}
    ${parsed === undefined
      ? html`<pre class="code" tabindex="0" role="region" aria-label="Body as text">${props.body}</pre>`
      : html`<div class="json-tree code" tabindex="0" role="region" aria-label="Body as a JSON tree"><${JsonTree} value=${parsed} /></div>`}
  </div>`;
}

function parseJson(body: string | null): Json | undefined {
  if (body === null) return undefined;
  try {
    return JSON.parse(body) as Json;
  } catch {
    return undefined;
  }
}

export function KeyValueTable(props: { caption: string; entries: [string, string][]; empty: string }): VNode {
  if (props.entries.length === 0) return html`<p class="muted">${props.empty}</p>`;
  return html`<table class="kv">
    <caption>${props.caption}</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">Value</th></tr></thead>
    <tbody>${props.entries.map(([name, value]) => html`<tr><th scope="row">${name}</th><td><code>${value}</code></td></tr>`)}</tbody>
  </table>`;
}
