// One sync: its definition, "Run now", the runs page (valmi's Sync Runs: one row per run with its
// counts by op and what the receiver got; read again every 2 s while a run is going) and its
// delivery log (delivery-log.ts).
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { Status, time, useLoad } from '../components.ts';
import { DeliveryLog } from '../delivery-log.ts';
import { html } from '../html.ts';
import { path } from '../paths.ts';
import { SYNC_ID } from '../../../shared/domain/id-patterns.ts';
import type { ConsolePage } from '../page.ts';
import { scheduleText, type Sync } from './syncs.ts';

interface SyncRun {
  run_id: string;
  status: 'running' | 'delivering' | 'succeeded' | 'failed';
  trigger: string;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  rows: number;
  counts: Record<string, number>;
  failed_rows: Record<string, number>;
  delivered: number;
  failed: number;
  pending: number;
}

const REFRESH_MS = 2000;
const OPS = ['upsert', 'append', 'create', 'delete'];
const going = (run: SyncRun) => run.status === 'running' || run.status === 'delivering';

function SyncPage(props: { id: string }) {
  const sync = useLoad(() => api<Sync>('GET', path`/syncs/${props.id}`), [props.id]);
  const runs = useLoad(() => api<{ runs: SyncRun[] }>('GET', path`/syncs/${props.id}/runs?limit=50`), [props.id]);
  const [error, setError] = useState<string | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const active = (runs.data?.runs ?? []).some(going);
  // While a run is going: the runs (and the delivery log) read again by themselves.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(() => {
      runs.reload();
      setTick((n) => n + 1);
    }, REFRESH_MS);
    return () => clearTimeout(timer);
  }, [active, runs.data]);
  // And once more when a run has ended, for its final deliveries.
  useEffect(() => {
    if (!active) setTick((n) => n + 1);
  }, [active]);

  const runNow = async () => {
    setError(undefined);
    setMessage(undefined);
    try {
      const run = await api<SyncRun>('POST', path`/syncs/${props.id}/runs`);
      setMessage(`Run ${run.run_id} started.`);
      runs.reload();
      sync.reload();
    } catch (failure) {
      setError(errorText(failure));
    }
  };

  const s = sync.data;
  return html`${s === undefined
      ? html`<${Status} error=${sync.error} loading=${true} />`
      : html`<dl class="facts">
          <dt>Name</dt><dd>${s.name}</dd>
          <dt>Mode</dt><dd>${s.mode}, primary key <code>${s.primary_key}</code></dd>
          <dt>SQL</dt><dd><pre class="code" data-testid="sync-sql">${s.sql}</pre></dd>
          <dt>Mapping</dt><dd>${s.mapping.length === 0 ? 'every column under its own name' : s.mapping.map((pair) => `${pair.source} → ${pair.destination}`).join(', ')}</dd>
          <dt>Destination</dt><dd>${s.webhook_http_method}${s.webhook_http_method === 'POST' ? ` ${s.format}` : ''} <code class="url">${s.webhook_url}</code>${Object.keys(s.headers).length === 0 ? '' : ` (headers: ${Object.keys(s.headers).join(', ')})`}</dd>
          <dt>Schedule</dt><dd>${scheduleText(s.schedule)}${s.next_run_at === null ? '' : `, next ${time(s.next_run_at)}`}</dd>
          <dt>State</dt><dd>${s.enabled ? 'enabled' : 'disabled'}</dd>
        </dl>`}
    <p class="actions">
      <button type="button" onClick=${runNow} disabled=${s === undefined || !s.enabled}>Run now</button>
      <button type="button" class="secondary" onClick=${() => runs.reload()}>Refresh runs</button>
    </p>
    <${Status} error=${error} />
    ${message === undefined ? null : html`<p class="notice" role="status">${message}</p>`}
    <section aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      <${Status} error=${runs.error} loading=${runs.data === undefined} />
      ${runs.data === undefined
        ? null
        : runs.data.runs.length === 0
          ? html`<p class="muted">No runs yet.</p>`
          : html`<table data-testid="runs-table">
              <caption class="visually-hidden">Runs, newest first${active ? ' (refreshing while a run is going)' : ''}</caption>
              <thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Rows</th>${OPS.map((op) => html`<th scope="col">${op}</th>`)}<th scope="col">Delivered</th><th scope="col">Failed</th><th scope="col">Pending</th></tr></thead>
              <tbody>${runs.data.runs.map(
                (run) => html`<tr data-run-id=${run.run_id}>
                  <td><code>${run.run_id}</code><br /><span class="muted">${run.trigger}</span></td>
                  <td><span class=${`badge ${run.status === 'succeeded' ? 'ok' : run.status === 'failed' ? 'bad' : ''}`}>${run.status}</span>${run.error === null ? null : html`<br /><span class="error-text">${run.error}</span>`}</td>
                  <td>${time(run.started_at)}</td><td>${time(run.finished_at)}</td>
                  <td>${run.rows}</td>${OPS.map((op) => html`<td data-op=${op}>${run.counts[op] ?? 0}</td>`)}
                  <td data-count="delivered">${run.delivered}</td><td data-count="failed">${run.failed}</td><td data-count="pending">${run.pending}</td>
                </tr>`,
              )}</tbody>
            </table>`}
    </section>
    <${DeliveryLog} base=${path`/syncs/${props.id}`} refreshKey=${tick} />`;
}

export const syncPage: ConsolePage = {
  path: '/syncs/:id',
  params: { id: SYNC_ID },
  title: (params) => `Sync ${params.id}`,
  render: (params) => html`<${SyncPage} id=${params.id} />`,
};
