// Syncs (docs/syncs.md): list; create (the secret shown once, the connection test's answer when
// the endpoint refuses it); enable, disable, delete, run now. SQL and names are shown as text.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { CopyButton, Status, useLoad } from '../components.ts';
import { html } from '../html.ts';
import { path } from '../paths.ts';
import type { ConsolePage } from '../page.ts';
import { href, navigate } from '../router.ts';
import { parseHeaders, PingAnswer, type PingResult } from './subscriptions.ts';

export interface Sync {
  id: string;
  name: string;
  sql: string;
  primary_key: string;
  mode: string;
  mapping: { source: string; destination: string }[];
  webhook_url: string;
  webhook_http_method: 'POST' | 'GET';
  format: 'json' | 'form';
  headers: Record<string, string>;
  schedule: { kind: 'manual' } | { kind: 'every'; minutes: number } | { kind: 'cron'; expression: string };
  enabled: boolean;
  next_run_at: string | null;
  active_run_id: string | null;
}

interface ConnectionTest {
  ok: boolean;
  status_code: number | null;
  latency_ms: number;
  error_class: string | null;
  response_snippet: string | null;
}

const MODES = ['upsert', 'mirror', 'append', 'create', 'delete'];

export function scheduleText(schedule: Sync['schedule']): string {
  return schedule.kind === 'manual' ? 'manual' : schedule.kind === 'every' ? `every ${schedule.minutes} min` : `cron ${schedule.expression}`;
}

const pingResult = (test: ConnectionTest): PingResult => ({
  ok: test.ok,
  statusCode: test.status_code,
  latencyMs: test.latency_ms,
  errorClass: test.error_class,
  responseSnippet: test.response_snippet,
});

/** `a:b, c:d` → mapping pairs; throws on a pair without exactly one colon. */
function parseMapping(text: string): { source: string; destination: string }[] {
  return text
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((pair) => {
      const parts = pair.split(':').map((part) => part.trim());
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new Error(`Mapping: "${pair}" is not "source:destination"`);
      return { source: parts[0]!, destination: parts[1]! };
    });
}

const EMPTY = {
  name: '',
  sql: '',
  primaryKey: '',
  mode: 'upsert',
  url: '',
  method: 'POST',
  format: 'json',
  mapping: '',
  headers: '',
  scheduleKind: 'manual',
  every: '15',
  cron: '0 * * * ? *',
  skipTest: false,
  disabled: false,
};

function SyncsPage() {
  const list = useLoad(() => api<{ syncs: Sync[] }>('GET', path`/syncs?limit=1000`), []);
  const [form, setForm] = useState(EMPTY);
  const [created, setCreated] = useState<(Sync & { secret: string; connection_test: ConnectionTest | null }) | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const field = (name: keyof typeof EMPTY) => (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value });
  const check = (name: 'skipTest' | 'disabled') => (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).checked });

  const act = async (work: () => Promise<string | undefined>) => {
    setError(undefined);
    setMessage(undefined);
    try {
      setMessage(await work());
      list.reload();
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  const create = (event: Event) => {
    event.preventDefault();
    setCreated(undefined);
    void act(async () => {
      const schedule =
        form.scheduleKind === 'every'
          ? { kind: 'every', minutes: Number(form.every) }
          : form.scheduleKind === 'cron'
            ? { kind: 'cron', expression: form.cron.trim() }
            : { kind: 'manual' };
      const body = {
        name: form.name.trim(),
        sql: form.sql,
        primary_key: form.primaryKey.trim(),
        mode: form.mode,
        webhook_url: form.url.trim(),
        webhook_http_method: form.method,
        ...(form.method === 'POST' ? { format: form.format } : {}),
        ...(form.mapping.trim() === '' ? {} : { mapping: parseMapping(form.mapping) }),
        ...(form.headers.trim() === '' ? {} : { headers: parseHeaders(form.headers) }),
        schedule,
        ...(form.skipTest ? { skip_test: true } : {}),
        ...(form.disabled ? { enabled: false } : {}),
      };
      setCreated(await api<Sync & { secret: string; connection_test: ConnectionTest | null }>('POST', path`/syncs`, body));
      setForm(EMPTY);
      return undefined;
    });
  };
  const runNow = (sync: Sync) =>
    act(async () => {
      const run = await api<{ run_id: string }>('POST', path`/syncs/${sync.id}/runs`);
      navigate(path`/syncs/${sync.id}`);
      return `Run ${run.run_id} started.`;
    });

  return html`<section aria-labelledby="create-sync">
      <h2 id="create-sync">Create a sync</h2>
      <form class="grid" onSubmit=${create}>
        <label for="sync-name">Name</label>
        <input id="sync-name" value=${form.name} onInput=${field('name')} required maxlength="200" />
        <label for="sync-sql">SQL (one SELECT over <code>webhooks</code> or <code>webhooks_raw</code>)</label>
        <textarea id="sync-sql" rows="5" class="code" value=${form.sql} onInput=${field('sql')} required spellcheck=${false}></textarea>
        <label for="sync-key">Primary key (a column of the result)</label>
        <input id="sync-key" value=${form.primaryKey} onInput=${field('primaryKey')} required />
        <label for="sync-mode">Mode</label>
        <select id="sync-mode" value=${form.mode} onChange=${field('mode')}>${MODES.map((mode) => html`<option>${mode}</option>`)}</select>
        <label for="sync-url">Webhook URL</label>
        <input id="sync-url" type="url" value=${form.url} onInput=${field('url')} required placeholder="https://…" />
        <label for="sync-method">Method</label>
        <select id="sync-method" value=${form.method} onChange=${field('method')}><option>POST</option><option>GET</option></select>
        <label for="sync-format">Format (POST)</label>
        <select id="sync-format" value=${form.format} onChange=${field('format')} disabled=${form.method === 'GET'}><option value="json">json</option><option value="form">form</option></select>
        <label for="sync-mapping">Mapping (source:destination, comma-separated; empty: every column)</label>
        <input id="sync-mapping" value=${form.mapping} onInput=${field('mapping')} placeholder="first_name:my_first_name,email:email" />
        <label for="sync-headers">Custom headers (one "Name: value" per line)</label>
        <textarea id="sync-headers" rows="2" value=${form.headers} onInput=${field('headers')}></textarea>
        <label for="sync-schedule">Schedule</label>
        <div class="inline">
          <select id="sync-schedule" value=${form.scheduleKind} onChange=${field('scheduleKind')}><option value="manual">manual</option><option value="every">every N minutes</option><option value="cron">cron (UTC)</option></select>
          ${form.scheduleKind === 'every'
            ? html`<label for="sync-every">Minutes</label><input id="sync-every" type="number" min="1" value=${form.every} onInput=${field('every')} required />`
            : form.scheduleKind === 'cron'
              ? html`<label for="sync-cron">Cron expression</label><input id="sync-cron" value=${form.cron} onInput=${field('cron')} required />`
              : null}
        </div>
        <span>Options</span>
        <div class="inline">
          <input id="sync-skip-test" type="checkbox" checked=${form.skipTest} onChange=${check('skipTest')} /><label for="sync-skip-test">Skip the connection test</label>
          <input id="sync-disabled" type="checkbox" checked=${form.disabled} onChange=${check('disabled')} /><label for="sync-disabled">Create disabled</label>
        </div>
        <div><button type="submit">Create sync</button></div>
      </form>
      <${Status} error=${error} />
      ${message === undefined ? null : html`<p class="notice" role="status">${message}</p>`}
      ${created === undefined
        ? null
        : html`<div class="notice" role="status">
            <p>Created sync <code>${created.id}</code> (${created.name}). <strong>Copy its signing secret now: it is shown only once.</strong></p>
            <p><code data-testid="created-secret">${created.secret}</code> <${CopyButton} text=${created.secret} label="Copy secret" /></p>
            ${created.connection_test === null ? html`<p>Connection test skipped.</p>` : html`<p>Connection test:</p><${PingAnswer} result=${pingResult(created.connection_test)} />`}
            <button type="button" class="secondary" onClick=${() => setCreated(undefined)}>I have copied it</button>
          </div>`}
    </section>
    <section aria-labelledby="sync-list">
      <h2 id="sync-list">Syncs</h2>
      <${Status} error=${list.error} loading=${list.data === undefined} />
      ${list.data === undefined
        ? null
        : list.data.syncs.length === 0
          ? html`<p class="muted">No syncs yet.</p>`
          : html`<table>
              <thead><tr><th scope="col">Name</th><th scope="col">Mode</th><th scope="col">URL</th><th scope="col">Schedule</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>${list.data.syncs.map(
                (sync) => html`<tr data-sync-id=${sync.id}>
                  <td><a href=${href(path`/syncs/${sync.id}`)}>${sync.name}</a><br /><code class="muted">${sync.id}</code></td>
                  <td>${sync.mode}</td>
                  <td><code class="url">${sync.webhook_url}</code></td>
                  <td>${scheduleText(sync.schedule)}</td>
                  <td>${sync.enabled ? (sync.active_run_id === null ? 'enabled' : 'running') : 'disabled'}</td>
                  <td class="actions">
                    <button type="button" onClick=${() => runNow(sync)} disabled=${!sync.enabled}>Run now</button>
                    <button type="button" class="secondary" onClick=${() => act(async () => (await api('PATCH', path`/syncs/${sync.id}`, { enabled: !sync.enabled }), undefined))}>${sync.enabled ? 'Disable' : 'Enable'}</button>
                    <a class="button secondary" href=${href(path`/syncs/${sync.id}`)}>Runs</a>
                    <button type="button" class="danger" aria-label=${`Delete sync ${sync.name}`} onClick=${() => confirm(`Delete sync ${sync.id}?`) && act(async () => (await api('DELETE', path`/syncs/${sync.id}`), undefined))}>Delete</button>
                  </td>
                </tr>`,
              )}</tbody>
            </table>`}
    </section>`;
}

export const syncsPage: ConsolePage = {
  path: '/syncs',
  nav: 'Syncs',
  title: () => 'Syncs',
  render: () => html`<${SyncsPage} />`,
};
