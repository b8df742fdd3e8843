// Ingest tokens: create (the token is shown once, with a copy button), revoke, scope to pipelines.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { CopyButton, Status, time, useLoad } from '../components.ts';
import { html } from '../html.ts';
import { path } from '../paths.ts';
import type { ConsolePage } from '../page.ts';

interface Token {
  key: string;
  name: string;
  pipelines: number[] | null;
  created_at: string;
  revoked_at: string | null;
}

function TokensPage() {
  const list = useLoad(() => api<{ tokens: Token[] }>('GET', path`/tokens?limit=1000`), []);
  const [name, setName] = useState('');
  const [scope, setScope] = useState('');
  const [created, setCreated] = useState<(Token & { token: string }) | undefined>();
  const [error, setError] = useState<string | undefined>();

  const create = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    const ids = scope.split(',').map((part) => part.trim()).filter(Boolean);
    if (ids.some((id) => !/^[1-9][0-9]*$/.test(id))) return setError('Pipelines: a comma-separated list of pipeline ids, or empty for every pipeline.');
    try {
      setCreated(await api<Token & { token: string }>('POST', path`/tokens`, { name, ...(ids.length === 0 ? {} : { pipelines: ids.map(Number) }) }));
      setName('');
      setScope('');
      list.reload();
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  const revoke = async (token: Token) => {
    if (!confirm(`Revoke token ${token.name} (${token.key})? Webhooks sent with it are refused from then on.`)) return;
    try {
      await api('DELETE', path`/tokens/${token.key}`);
      list.reload();
    } catch (failure) {
      setError(errorText(failure));
    }
  };

  return html`<section aria-labelledby="create-token">
      <h2 id="create-token">Create a token</h2>
      <form class="grid" onSubmit=${create}>
        <label for="token-name">Name</label>
        <input id="token-name" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} required maxlength="200" />
        <label for="token-scope">Pipelines (ids, comma-separated; empty: every pipeline)</label>
        <input id="token-scope" value=${scope} onInput=${(e: Event) => setScope((e.target as HTMLInputElement).value)} inputmode="numeric" />
        <div><button type="submit">Create token</button></div>
      </form>
      <${Status} error=${error} />
      ${created === undefined
        ? null
        : html`<div class="notice" role="status">
            <p><strong>Copy the token now: it is shown only once.</strong></p>
            <dl class="facts">
              <dt>Key</dt><dd><code data-testid="created-key">${created.key}</code> <${CopyButton} text=${created.key} label="Copy key" /></dd>
              <dt>Token</dt><dd><code data-testid="created-token">${created.token}</code> <${CopyButton} text=${created.token} label="Copy token" /></dd>
            </dl>
            <button type="button" class="secondary" onClick=${() => setCreated(undefined)}>I have copied it</button>
          </div>`}
    </section>
    <section aria-labelledby="token-list">
      <h2 id="token-list">Tokens</h2>
      <${Status} error=${list.error} loading=${list.data === undefined} />
      ${list.data === undefined
        ? null
        : list.data.tokens.length === 0
          ? html`<p class="muted">No tokens yet.</p>`
          : html`<table>
              <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Pipelines</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>${list.data.tokens.map(
                (token) => html`<tr>
                  <td>${token.name}</td>
                  <td><code>${token.key}</code></td>
                  <td>${token.pipelines === null ? 'every pipeline' : token.pipelines.join(', ')}</td>
                  <td>${time(token.created_at)}</td>
                  <td>${token.revoked_at === null ? 'active' : `revoked ${time(token.revoked_at)}`}</td>
                  <td class="actions">${token.revoked_at === null
                    ? html`<button type="button" class="danger" onClick=${() => revoke(token)} aria-label=${`Revoke token ${token.name}`}>Revoke</button>`
                    : null}</td>
                </tr>`,
              )}</tbody>
            </table>`}
    </section>`;
}

export const tokensPage: ConsolePage = {
  path: '/tokens',
  nav: 'Tokens',
  title: () => 'Tokens',
  render: () => html`<${TokensPage} />`,
};
