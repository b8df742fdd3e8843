// A pipeline's signature verification (docs/inbound.md, "Verifying senders' signatures"): the provider and
// how many secrets are active (never a secret), a form to set it, and "Stop verifying".
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from './api.ts';
import { Status } from './components.ts';
import { html } from './html.ts';
import { path } from './paths.ts';

export interface Verification {
  provider: string;
  header?: string;
  algorithm?: string;
  encoding?: string;
  prefix?: string;
  secrets: number;
}

const PROVIDERS: [string, string][] = [
  ['github', 'GitHub (X-Hub-Signature-256)'],
  ['stripe', 'Stripe (Stripe-Signature)'],
  ['shopify', 'Shopify (X-Shopify-Hmac-Sha256)'],
  ['slack', 'Slack (X-Slack-Signature)'],
  ['standard-webhooks', 'Standard Webhooks (Svix, Clerk, Resend, …)'],
  ['hmac', 'Any HMAC header'],
];

const EMPTY = { provider: 'github', secret: '', secret2: '', header: '', algorithm: 'sha256', encoding: 'hex', prefix: '' };

export function VerificationPanel(props: { pipelineId: string; verification: Verification | null | undefined; onChange: () => void }): VNode {
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState<string | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const field = (name: keyof typeof EMPTY) => (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value });
  const hmac = form.provider === 'hmac';
  const current = props.verification;

  const act = async (work: () => Promise<string>) => {
    setError(undefined);
    setMessage(undefined);
    try {
      setMessage(await work());
      props.onChange();
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  const save = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const body = {
        provider: form.provider,
        secrets: [form.secret, form.secret2].filter((secret) => secret !== ''),
        ...(hmac ? { header: form.header.trim(), algorithm: form.algorithm, encoding: form.encoding, ...(form.prefix === '' ? {} : { prefix: form.prefix }) } : {}),
      };
      await api('PUT', path`/pipelines/${props.pipelineId}/verification`, body);
      // The secrets leave the page as soon as they are stored.
      setForm({ ...EMPTY, provider: form.provider });
      return `Requests to this pipeline are now verified (${form.provider}).`;
    });
  };
  const clear = () => {
    if (!confirm(`Stop verifying signatures on pipeline ${props.pipelineId}? Its secrets are deleted.`)) return;
    void act(async () => {
      await api('DELETE', path`/pipelines/${props.pipelineId}/verification`);
      return 'Signatures are no longer verified.';
    });
  };

  return html`<section aria-labelledby="verification-title">
    <h2 id="verification-title">Signature verification</h2>
    <p data-testid="verification-state">
      ${current === undefined
        ? 'Loading…'
        : current === null
          ? html`Off: only the token in the URL authenticates a request.`
          : html`<strong>${current.provider}</strong>${current.header === undefined ? '' : `, header ${current.header}`}${current.algorithm === undefined ? '' : `, ${current.algorithm}`}${current.encoding === undefined ? '' : ` ${current.encoding}`}${current.prefix === undefined ? '' : `, prefix ${current.prefix}`}; ${current.secrets} ${current.secrets === 1 ? 'secret' : 'secrets'} active (never shown).`}
      ${current === null || current === undefined ? null : html` <button type="button" class="danger" onClick=${clear}>Stop verifying</button>`}
    </p>
    <form class="grid" onSubmit=${save} aria-label="Set signature verification">
      <label for="verify-provider">Provider</label>
      <select id="verify-provider" value=${form.provider} onChange=${field('provider')}>${PROVIDERS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}</select>
      <label for="verify-secret">Secret</label>
      <input id="verify-secret" type="password" autocomplete="off" value=${form.secret} onInput=${field('secret')} required />
      <label for="verify-secret2">Second secret (optional, while rotating)</label>
      <input id="verify-secret2" type="password" autocomplete="off" value=${form.secret2} onInput=${field('secret2')} />
      ${hmac
        ? html`<label for="verify-header">Signature header</label>
            <input id="verify-header" value=${form.header} onInput=${field('header')} required placeholder="X-Signature" />
            <label for="verify-algorithm">Algorithm</label>
            <select id="verify-algorithm" value=${form.algorithm} onChange=${field('algorithm')}><option>sha1</option><option>sha256</option><option>sha512</option></select>
            <label for="verify-encoding">Encoding</label>
            <select id="verify-encoding" value=${form.encoding} onChange=${field('encoding')}><option>hex</option><option>base64</option></select>
            <label for="verify-prefix">Prefix (optional)</label>
            <input id="verify-prefix" value=${form.prefix} onInput=${field('prefix')} placeholder="sha256=" />`
        : null}
      <div><button type="submit">${current === null || current === undefined ? 'Verify signatures' : 'Replace verification'}</button></div>
    </form>
    <${Status} error=${error} />
    ${message === undefined ? null : html`<p class="notice" role="status">${message}</p>`}
  </section>`;
}
