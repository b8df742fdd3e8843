// Outbound subscriptions: list, create (URL, events, method, format, pipeline, headers), enable,
// disable, delete, and a test ping whose answer is shown.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { CopyButton, Status, useLoad } from '../components.ts';
import { html } from '../html.ts';
import { path } from '../paths.ts';
import type { ConsolePage } from '../page.ts';
import { href } from '../router.ts';

export interface Subscription {
  id: string;
  webhookUrl: string;
  webhookHttpMethod: 'POST' | 'GET';
  events: string[];
  pipelineId: number | null;
  description: string | null;
  headers: Record<string, string>;
  format: 'json' | 'form';
  enabled: boolean;
}

export interface PingResult {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  errorClass: string | null;
  responseSnippet: string | null;
}

export function PingAnswer(props: { result: PingResult }) {
  const { result } = props;
  return html`<div class=${result.ok ? 'notice' : 'notice bad'} role="status" data-testid="ping-result">
    <p><strong>${result.ok ? 'OK' : 'Failed'}</strong>: ${result.statusCode === null ? 'no HTTP answer' : `HTTP ${result.statusCode}`} in ${result.latencyMs} ms${result.errorClass === null ? '' : ` (${result.errorClass})`}</p>
    ${result.responseSnippet === null || result.responseSnippet === '' ? null : html`<pre class="code">${result.responseSnippet}</pre>`}
  </div>`;
}

/** `Name: value` lines → an object; throws on a line without a colon. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n').map((part) => part.trim()).filter(Boolean)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`Headers: "${line}" is not "Name: value"`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function SubscriptionsPage() {
  const list = useLoad(() => api<{ subscriptions: Subscription[] }>('GET', path`/webhook-subscriptions?limit=1000`), []);
  const events = useLoad(() => api<{ events: { type: string; subscribable: boolean }[] }>('GET', path`/events?limit=1000`), []);
  const [form, setForm] = useState({ url: '', events: 'webhook_received', method: 'POST', format: 'json', pipeline: '', headers: '', description: '' });
  const [created, setCreated] = useState<(Subscription & { secret: string }) | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [ping, setPing] = useState<{ id: string; result: PingResult } | undefined>();
  const field = (name: keyof typeof form) => (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value });

  const act = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      list.reload();
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  const create = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const body = {
        webhookUrl: form.url.trim(),
        events: form.events.split(',').map((part) => part.trim()).filter(Boolean),
        webhookHttpMethod: form.method,
        ...(form.method === 'POST' ? { format: form.format } : {}),
        ...(form.pipeline.trim() === '' ? {} : { pipelineId: Number(form.pipeline) }),
        ...(form.headers.trim() === '' ? {} : { headers: parseHeaders(form.headers) }),
        ...(form.description.trim() === '' ? {} : { description: form.description.trim() }),
      };
      setCreated(await api<Subscription & { secret: string }>('POST', path`/webhook-subscriptions`, body));
    });
  };
  const testPing = (subscription: Subscription) =>
    act(async () => setPing({ id: subscription.id, result: await api<PingResult>('POST', path`/webhook-subscriptions/${subscription.id}/test`) }));

  return html`<section aria-labelledby="create-subscription">
      <h2 id="create-subscription">Create a subscription</h2>
      <form class="grid" onSubmit=${create}>
        <label for="sub-url">Webhook URL</label>
        <input id="sub-url" type="url" value=${form.url} onInput=${field('url')} required placeholder="https://…" />
        <label for="sub-events">Events (comma-separated)</label>
        <input id="sub-events" value=${form.events} onInput=${field('events')} required list="known-events" />
        <datalist id="known-events">${(events.data?.events ?? []).filter((item) => item.subscribable).map((item) => html`<option value=${item.type} />`)}</datalist>
        <label for="sub-method">Method</label>
        <select id="sub-method" value=${form.method} onChange=${field('method')}><option>POST</option><option>GET</option></select>
        <label for="sub-format">Format (POST)</label>
        <select id="sub-format" value=${form.format} onChange=${field('format')} disabled=${form.method === 'GET'}><option value="json">json</option><option value="form">form</option></select>
        <label for="sub-pipeline">Pipeline (optional id)</label>
        <input id="sub-pipeline" value=${form.pipeline} onInput=${field('pipeline')} inputmode="numeric" pattern="[1-9][0-9]*" />
        <label for="sub-headers">Custom headers (one "Name: value" per line)</label>
        <textarea id="sub-headers" rows="2" value=${form.headers} onInput=${field('headers')}></textarea>
        <label for="sub-description">Description (optional)</label>
        <input id="sub-description" value=${form.description} onInput=${field('description')} maxlength="500" />
        <div><button type="submit">Create subscription</button></div>
      </form>
      <${Status} error=${error} />
      ${created === undefined
        ? null
        : html`<div class="notice" role="status">
            <p>Created <code>${created.id}</code>. <strong>Copy its signing secret now: it is shown only once.</strong></p>
            <p><code data-testid="created-secret">${created.secret}</code> <${CopyButton} text=${created.secret} label="Copy secret" /></p>
            <button type="button" class="secondary" onClick=${() => setCreated(undefined)}>I have copied it</button>
          </div>`}
    </section>
    <section aria-labelledby="subscription-list">
      <h2 id="subscription-list">Subscriptions</h2>
      ${ping === undefined ? null : html`<p>Test ping of <code>${ping.id}</code>:</p><${PingAnswer} result=${ping.result} />`}
      <${Status} error=${list.error} loading=${list.data === undefined} />
      ${list.data === undefined
        ? null
        : list.data.subscriptions.length === 0
          ? html`<p class="muted">No subscriptions yet.</p>`
          : html`<table>
              <thead><tr><th scope="col">Id</th><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Method</th><th scope="col">Pipeline</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>${list.data.subscriptions.map(
                (sub) => html`<tr data-subscription-id=${sub.id}>
                  <td><a href=${href(path`/subscriptions/${sub.id}`)}>${sub.id}</a></td>
                  <td><code class="url">${sub.webhookUrl}</code></td>
                  <td>${sub.events.join(', ')}</td>
                  <td>${sub.webhookHttpMethod}${sub.webhookHttpMethod === 'POST' ? ` ${sub.format}` : ''}</td>
                  <td>${sub.pipelineId ?? 'any'}</td>
                  <td>${sub.enabled ? 'enabled' : 'disabled'}</td>
                  <td class="actions">
                    <button type="button" class="secondary" onClick=${() => testPing(sub)}>Test ping</button>
                    <button type="button" class="secondary" onClick=${() => act(() => api('PATCH', path`/webhook-subscriptions/${sub.id}`, { enabled: !sub.enabled }))}>${sub.enabled ? 'Disable' : 'Enable'}</button>
                    <a class="button secondary" href=${href(path`/subscriptions/${sub.id}`)}>Deliveries</a>
                    <button type="button" class="danger" onClick=${() => confirm(`Delete subscription ${sub.id}?`) && act(() => api('DELETE', path`/webhook-subscriptions/${sub.id}`))}>Delete</button>
                  </td>
                </tr>`,
              )}</tbody>
            </table>`}
    </section>`;
}

export const subscriptionsPage: ConsolePage = {
  path: '/subscriptions',
  nav: 'Subscriptions',
  title: () => 'Subscriptions',
  render: () => html`<${SubscriptionsPage} />`,
};
