// The delivery log of a subscription or a sync: every delivery with every attempt, redeliver one,
// or every failed one in a time range. A delivery has one form whichever its destination
// (docs/openapi.json, `Delivery` and `SyncDelivery`).
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from './api.ts';
import { Status, time, useLoad } from './components.ts';
import { html } from './html.ts';
import { path, type Path } from './paths.ts';

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
  attempts: Attempt[];
}

/** `datetime-local` input (local time) → ISO with a zone. */
const isoFromLocal = (value: string) => new Date(value).toISOString();
const localInput = (date: Date) => new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/**
 * `base` is the owner's API path (`/webhook-subscriptions/<id>`, `/syncs/<id>`); its
 * `/deliveries`, `/deliveries/<id>/redeliver` and `/redeliver {from, to}` are the same for both.
 * Changing `refreshKey` reads the log again (the sync page does while a run delivers).
 */
export function DeliveryLog(props: { base: Path; refreshKey?: unknown }): VNode {
  const deliveries = useLoad(
    async () => (await api<{ deliveries: Delivery[] }>('GET', path`${props.base}/deliveries?limit=100`)).deliveries,
    [props.base.text, props.refreshKey],
  );
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const now = new Date();
  const [from, setFrom] = useState(localInput(new Date(now.getTime() - 24 * 3600_000)));
  const [to, setTo] = useState(localInput(new Date(now.getTime() + 60_000)));

  const act = async (work: () => Promise<string>) => {
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
      const answer = await api<{ queued: number }>('POST', path`${props.base}/redeliver`, { from: isoFromLocal(from), to: isoFromLocal(to) });
      return `${answer.queued} failed deliveries queued again.`;
    });
  };
  const redeliver = (delivery: Delivery) =>
    act(async () => {
      await api('POST', path`${props.base}/deliveries/${delivery.id}/redeliver`);
      return `Delivery ${delivery.id} queued again.`;
    });

  return html`<section aria-labelledby="deliveries-title">
    <h2 id="deliveries-title">Delivery log</h2>
    <p class="actions"><button type="button" class="secondary" onClick=${() => deliveries.reload()}>Refresh</button></p>
    <form class="inline" onSubmit=${redeliverRange} aria-labelledby="redeliver-range">
      <span id="redeliver-range">Redeliver every failed delivery created</span>
      <label for="range-from">from</label><input id="range-from" type="datetime-local" value=${from} onInput=${(e: Event) => setFrom((e.target as HTMLInputElement).value)} required />
      <label for="range-to">to</label><input id="range-to" type="datetime-local" value=${to} onInput=${(e: Event) => setTo((e.target as HTMLInputElement).value)} required />
      <button type="submit">Redeliver failed</button>
    </form>
    <${Status} error=${error} />
    ${message === undefined ? null : html`<p class="notice" role="status">${message}</p>`}
    <${Status} error=${deliveries.error} loading=${deliveries.data === undefined} />
    ${deliveries.data === undefined
      ? null
      : deliveries.data.length === 0
        ? html`<p class="muted">No deliveries yet.</p>`
        : deliveries.data.map(
            (delivery) => html`<article class="delivery" data-delivery-id=${delivery.id} aria-label=${`Delivery ${delivery.id}`}>
              <header>
                <span class=${`badge ${delivery.status === 'succeeded' ? 'ok' : delivery.status === 'failed' ? 'bad' : ''}`}>${delivery.status}</span>
                <strong>${delivery.eventType}</strong> <span class="muted">${time(delivery.createdAt)} · ${delivery.id}</span>
                <button type="button" class="secondary" onClick=${() => redeliver(delivery)}>Redeliver</button>
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
