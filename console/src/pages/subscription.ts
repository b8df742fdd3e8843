// One subscription: what it is, a test ping, and its delivery log (delivery-log.ts: every delivery
// with every attempt, redeliver one, or every failed one in a time range).
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { Status, useLoad } from '../components.ts';
import { DeliveryLog } from '../delivery-log.ts';
import { html } from '../html.ts';
import { path } from '../paths.ts';
import { SUBSCRIPTION_ID } from '../../../shared/domain/id-patterns.ts';
import type { ConsolePage } from '../page.ts';
import { PingAnswer, type PingResult, type Subscription } from './subscriptions.ts';

function SubscriptionPage(props: { id: string }) {
  const subscription = useLoad(() => api<Subscription>('GET', path`/webhook-subscriptions/${props.id}`), [props.id]);
  const [error, setError] = useState<string | undefined>();
  const [ping, setPing] = useState<PingResult | undefined>();
  const testPing = async () => {
    setError(undefined);
    try {
      setPing(await api<PingResult>('POST', path`/webhook-subscriptions/${props.id}/test`));
    } catch (failure) {
      setError(errorText(failure));
    }
  };

  return html`${subscription.data === undefined
      ? html`<${Status} error=${subscription.error} loading=${true} />`
      : html`<dl class="facts">
          <dt>URL</dt><dd><code class="url">${subscription.data.webhookUrl}</code></dd>
          <dt>Events</dt><dd>${subscription.data.events.join(', ')}</dd>
          <dt>Method</dt><dd>${subscription.data.webhookHttpMethod} ${subscription.data.format}</dd>
          <dt>State</dt><dd>${subscription.data.enabled ? 'enabled' : 'disabled'}</dd>
        </dl>`}
    <p class="actions"><button type="button" class="secondary" onClick=${testPing}>Test ping</button></p>
    ${ping === undefined ? null : html`<${PingAnswer} result=${ping} />`}
    <${Status} error=${error} />
    <${DeliveryLog} base=${path`/webhook-subscriptions/${props.id}`} />`;
}

export const subscriptionPage: ConsolePage = {
  path: '/subscriptions/:id',
  params: { id: SUBSCRIPTION_ID },
  title: (params) => `Subscription ${params.id}`,
  render: (params) => html`<${SubscriptionPage} id=${params.id} />`,
};
