// One subscription's delivery log: every delivery with every attempt, redeliver one, or every
// failed one in a time range.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { Status, time, useLoad } from '../components.ts';
import { html } from '../html.ts';
import type { ConsolePage } from '../page.ts';
import { PingAnswer, type PingResult, type Subscription } from './subscriptions.ts';

interface Attempt {
  number: number;
  at: string;
  statusCode: number | null;
  latencyMs: number;
  ok: boolean;
  errorClass: string | null;
  responseSnippet: string | null;
}

interface Delivery {
  id: string;
  eventType: string;
  webhookId: string;
  status: 'pending' | 'succeeded' | 'failed';
  createdAt: string;
  nextAttemptAt: string | null;
  attempts: Attempt[];
}

/** `datetime-local` input (local time) → ISO with a zone. */
const isoFromLocal = (value: string) => new Date(value).toISOString();
const localInput = (date: Date) => new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

function SubscriptionPage(props: { id: string }) {
  const subscription = useLoad(() => api<Subscription>('GET', `/webhook-subscriptions/${props.id}`), [props.id]);
  const deliveries = useLoad(() => api<{ deliveries: Delivery[] }>('GET', `/webhook-subscriptions/${props.id}/deliveries?limit=100`), [props.id]);
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [ping, setPing] = useState<PingResult | undefined>();
  const now = new Date();
  const [from, setFrom] = useState(localInput(new Date(now.getTime() - 24 * 3600_000)));
  const [to, setTo] = useState(localInput(new Date(now.getTime() + 60_000)));

  const act = async (work: () => Promise<string | undefined>) => {
    setError(undefined);
    setMessage(undefined);
    try {
      setMessage(await work());
      deliveries.reload();
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  const redeliverRange = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const answer = await api<{ queued: number }>('POST', `/webhook-subscriptions/${props.id}/redeliver`, { from: isoFromLocal(from), to: isoFromLocal(to) });
      return `${answer.queued} failed deliveries queued again.`;
    });
  };

  return html`${subscription.data === undefined
      ? html`<${Status} error=${subscription.error} loading=${true} />`
      : html`<dl class="facts">
          <dt>URL</dt><dd><code class="url">${subscription.data.webhookUrl}</code></dd>
          <dt>Events</dt><dd>${subscription.data.events.join(', ')}</dd>
          <dt>Method</dt><dd>${subscription.data.webhookHttpMethod} ${subscription.data.format}</dd>
          <dt>State</dt><dd>${subscription.data.enabled ? 'enabled' : 'disabled'}</dd>
        </dl>`}
    <p class="actions">
      <button type="button" class="secondary" onClick=${() => act(async () => (setPing(await api<PingResult>('POST', `/webhook-subscriptions/${props.id}/test`)), undefined))}>Test ping</button>
      <button type="button" class="secondary" onClick=${() => deliveries.reload()}>Refresh</button>
    </p>
    ${ping === undefined ? null : html`<${PingAnswer} result=${ping} />`}
    <form class="inline" onSubmit=${redeliverRange} aria-labelledby="redeliver-range">
      <span id="redeliver-range">Redeliver every failed delivery created</span>
      <label for="range-from">from</label><input id="range-from" type="datetime-local" value=${from} onInput=${(e: Event) => setFrom((e.target as HTMLInputElement).value)} required />
      <label for="range-to">to</label><input id="range-to" type="datetime-local" value=${to} onInput=${(e: Event) => setTo((e.target as HTMLInputElement).value)} required />
      <button type="submit">Redeliver failed</button>
    </form>
    <${Status} error=${error} />
    ${message === undefined ? null : html`<p class="notice" role="status">${message}</p>`}
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Delivery log</h2>
      <${Status} error=${deliveries.error} loading=${deliveries.data === undefined} />
      ${deliveries.data === undefined
        ? null
        : deliveries.data.deliveries.length === 0
          ? html`<p class="muted">No deliveries yet.</p>`
          : deliveries.data.deliveries.map(
              (delivery) => html`<article class="delivery" data-delivery-id=${delivery.id} aria-label=${`Delivery ${delivery.id}`}>
                <header>
                  <span class=${`badge ${delivery.status === 'succeeded' ? 'ok' : delivery.status === 'failed' ? 'bad' : ''}`}>${delivery.status}</span>
                  <strong>${delivery.eventType}</strong> <span class="muted">${time(delivery.createdAt)} · ${delivery.id}</span>
                  <button type="button" class="secondary" onClick=${() => act(async () => (await api('POST', `/webhook-subscriptions/${props.id}/deliveries/${delivery.id}/redeliver`), `Delivery ${delivery.id} queued again.`))}>Redeliver</button>
                </header>
                <table>
                  <caption class="visually-hidden">Attempts of ${delivery.id}</caption>
                  <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Status code</th><th scope="col">Latency</th><th scope="col">Error</th><th scope="col">Response</th></tr></thead>
                  <tbody>${delivery.attempts.map(
                    (attempt) => html`<tr>
                      <td>${attempt.number}</td><td>${time(attempt.at)}</td><td>${attempt.statusCode ?? '—'}</td><td>${attempt.latencyMs} ms</td>
                      <td>${attempt.errorClass ?? (attempt.ok ? '' : '—')}</td><td><code class="snippet">${attempt.responseSnippet ?? ''}</code></td>
                    </tr>`,
                  )}</tbody>
                </table>
              </article>`,
            )}
    </section>`;
}

export const subscriptionPage: ConsolePage = {
  path: '/subscriptions/:id',
  title: (params) => `Subscription ${params.id}`,
  render: (params) => html`<${SubscriptionPage} id=${params.id} />`,
};
