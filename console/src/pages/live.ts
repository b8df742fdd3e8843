// The live inspector of one pipeline: requests appear by themselves (polling the API every
// second while the tab is visible), newest first; selecting one shows its body, query and
// headers; a search box finds a request by its __kdd_request_id. Everything a sender sent is
// rendered as text.
import type { VNode } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { BodyView, CopyButton, KeyValueTable, Status, time } from '../components.ts';
import { curlCommand, type ReplayedRequest } from '../curl.ts';
import { html } from '../html.ts';
import { path } from '../paths.ts';
import { PIPELINE_ID } from '../../../shared/domain/id-patterns.ts';
import { REQUEST_ID_PATTERN } from '../../../shared/domain/request-id.ts';
import type { ConsolePage } from '../page.ts';
import { navigate } from '../router.ts';
import { reasonLabel } from '../reasons.ts';
import { inboundUrl } from './pipelines.ts';

interface RequestSummary {
  id: string;
  ts: number;
  status: 'landed' | 'rejected';
  reason: string | null;
  method: string | null;
  content_type: string | null;
  bytes: number | null;
}

interface RequestDetail extends RequestSummary, ReplayedRequest {
  body_truncated: boolean;
}

const POLL_MS = 1000;
const MAX_ROWS = 500;

function Detail(props: { pipelineId: number; request: RequestDetail }): VNode {
  const { request } = props;
  const curl = useMemo(() => curlCommand(inboundUrl(props.pipelineId, 'KEY', 'TOKEN'), request), [props.pipelineId, request]);
  const query = Object.entries(request.query ?? {}).map(([name, value]): [string, string] => [name, Array.isArray(value) ? value.join(', ') : value]);
  return html`<section class="detail" aria-labelledby="detail-title" data-testid="request-detail">
    <h2 id="detail-title">Request <code>${request.id}</code></h2>
    <dl class="facts">
      <dt>Received</dt><dd>${time(request.ts)}</dd>
      <dt>Status</dt><dd>${request.status === 'landed' ? 'landed' : `rejected: ${reasonLabel(request.reason)}`}</dd>
      <dt>Method</dt><dd>${request.method ?? '—'}</dd>
      <dt>Content type</dt><dd>${request.content_type ?? '—'}</dd>
      <dt>Size</dt><dd>${request.bytes === null ? '—' : `${request.bytes} bytes`}</dd>
    </dl>
    <h3>Body</h3>
    <${BodyView} key=${request.id} body=${request.body} truncated=${request.body_truncated} />
    <h3>Query parameters</h3>
    <${KeyValueTable} caption="pipeline_id, key and token are never stored" entries=${query} empty="No data parameters." />
    <h3>Headers</h3>
    <${KeyValueTable} caption="Credentials are redacted before they are queued" entries=${Object.entries(request.headers ?? {})} empty="No headers recorded." />
    <h3>Replay</h3>
    <p><${CopyButton} text=${curl} label="Copy as curl" /> <span class="muted">Set HOOKLAKE_KEY and HOOKLAKE_TOKEN first: the token is never stored.</span></p>
    <pre class="code" data-testid="curl" tabindex="0" role="region" aria-label="curl command">${curl}</pre>
  </section>`;
}

function LivePage(props: { id: string }): VNode {
  const pipelineId = Number(props.id);
  const [rows, setRows] = useState<RequestSummary[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<RequestDetail | undefined>();
  const [detailError, setDetailError] = useState<string | undefined>();
  const [search, setSearch] = useState('');
  const [skipped, setSkipped] = useState(0);
  const cursor = useRef<string | undefined>(undefined);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    cursor.current = undefined;
    setRows([]);
    const poll = async () => {
      if (stopped) return;
      if (document.visibilityState === 'visible') {
        try {
          const list = cursor.current === undefined ? path`/pipelines/${pipelineId}/requests` : path`/pipelines/${pipelineId}/requests?cursor=${cursor.current}`;
          const answer = await api<{ requests: RequestSummary[]; cursor: string; skipped_objects: number }>('GET', list);
          if (stopped) return;
          cursor.current = answer.cursor;
          setError(undefined);
          if (answer.skipped_objects > 0) setSkipped((n) => n + answer.skipped_objects);
          if (answer.requests.length > 0) {
            setRows((previous) => {
              const byId = new Map(previous.map((row) => [row.id, row]));
              for (const row of answer.requests) byId.set(row.id, row);
              return [...byId.values()].sort((a, b) => b.ts - a.ts).slice(0, MAX_ROWS);
            });
          }
        } catch (failure) {
          if (!stopped) setError(errorText(failure));
        }
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [pipelineId]);

  const open = async (id: string) => {
    setDetailError(undefined);
    try {
      setSelected(await api<RequestDetail>('GET', path`/pipelines/${pipelineId}/requests/${id}`));
    } catch (failure) {
      setSelected(undefined);
      setDetailError(errorText(failure));
    }
  };
  const find = (event: Event) => {
    event.preventDefault();
    const id = search.trim();
    if (!REQUEST_ID_PATTERN.test(id)) return setDetailError('A request id (__kdd_request_id) is 20 lowercase letters.');
    void open(id);
  };

  return html`<p class="muted">Requests to this pipeline appear here within about two seconds of being processed (landed or rejected), newest first. Only requests of the last 10 minutes are listed; find older ones by id.</p>
    <form class="inline" role="search" onSubmit=${find}>
      <label for="request-search">Find by request id</label>
      <input id="request-search" value=${search} onInput=${(e: Event) => setSearch((e.target as HTMLInputElement).value)} placeholder="__kdd_request_id" spellcheck=${false} autocomplete="off" />
      <button type="submit">Find</button>
      <button type="button" class="secondary" onClick=${() => navigate(path`/pipelines/${pipelineId}`)}>Pipeline ${pipelineId}</button>
    </form>
    <${Status} error=${error} />
    ${skipped > 0 ? html`<p class="muted" role="status">${skipped} objects were skipped to keep up (a flood of requests).</p>` : null}
    <div class="split">
      <section aria-labelledby="requests-title" class="list">
        <h2 id="requests-title">Requests <span class="muted" aria-live="polite">(${rows.length})</span></h2>
        ${rows.length === 0
          ? html`<p class="muted">Waiting for requests…</p>`
          : html`<table data-testid="live-table">
              <thead><tr><th scope="col">Time</th><th scope="col">Method</th><th scope="col">Content type</th><th scope="col">Size</th><th scope="col">Request id</th><th scope="col">Status</th></tr></thead>
              <tbody>${rows.map(
                (row) => html`<tr class=${selected?.id === row.id ? 'selected' : ''} data-request-id=${row.id}>
                  <td>${time(row.ts)}</td>
                  <td>${row.method ?? '—'}</td>
                  <td>${row.content_type ?? '—'}</td>
                  <td>${row.bytes ?? '—'}</td>
                  <td><button type="button" class="link" onClick=${() => open(row.id)}>${row.id}</button></td>
                  <td>${row.status === 'landed' ? html`<span class="badge ok">landed</span>` : html`<span class="badge bad" data-reason=${row.reason ?? ''}>rejected: ${reasonLabel(row.reason)}</span>`}</td>
                </tr>`,
              )}</tbody>
            </table>`}
      </section>
      <div class="detail-pane">
        <${Status} error=${detailError} />
        ${selected === undefined ? html`<p class="muted">Select a request to see its body, query and headers.</p>` : html`<${Detail} pipelineId=${pipelineId} request=${selected} />`}
      </div>
    </div>`;
}

export const livePage: ConsolePage = {
  path: '/pipelines/:id/live',
  params: { id: PIPELINE_ID },
  title: (params) => `Live: pipeline ${params.id}`,
  render: (params) => html`<${LivePage} id=${params.id} key=${params.id} />`,
};
