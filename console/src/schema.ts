// A pipeline's typed columns (docs/lake.md, "Typed tables"): the view `pipeline_<id>` its webhooks
// can be queried through, each column's type, share of rows, first and last seen and an example,
// and "Refresh now". Examples are webhook data: rendered as text, like every body.
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from './api.ts';
import { Status, time, useLoad } from './components.ts';
import { html } from './html.ts';
import { path } from './paths.ts';

export interface SchemaColumn {
  name: string;
  path: string[];
  type: string;
  first_seen: string;
  last_seen: string;
  share: number;
  rows: number;
  example: string | null;
}

export interface PipelineSchema {
  pipeline_id: number;
  view: string;
  version: number;
  rows_sampled: number;
  refreshed_at: string | null;
  omitted_fields: number;
  max_columns: number;
  columns: SchemaColumn[];
}

const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

export function SchemaPanel(props: { pipelineId: string }): VNode {
  const schema = useLoad(() => api<PipelineSchema>('GET', path`/pipelines/${props.pipelineId}/schema`), [props.pipelineId]);
  const [refreshing, setRefreshing] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const refresh = async () => {
    setRefreshing(true);
    setError(undefined);
    try {
      await api<PipelineSchema>('POST', path`/pipelines/${props.pipelineId}/schema/refresh`);
      schema.reload();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setRefreshing(false);
    }
  };
  const data = schema.data;
  return html`<section aria-labelledby="schema-title" data-testid="schema-panel">
    <h2 id="schema-title">Typed columns</h2>
    <${Status} error=${schema.error ?? error} loading=${data === undefined && schema.error === undefined} />
    ${data === undefined
      ? null
      : html`<p>Query this pipeline's webhooks with a column per field: <code>select * from ${data.view}</code> in <code>hooklake query</code> and in a sync's query, and in Athena (Glue database).</p>
          <p class="muted">${data.refreshed_at === null
            ? 'Not sampled yet; a refresh runs every 15 minutes.'
            : `Refreshed ${time(data.refreshed_at)} from ${data.rows_sampled} sampled ${data.rows_sampled === 1 ? 'row' : 'rows'} (schema version ${data.version}); a refresh runs every 15 minutes.`}</p>
          <p><button type="button" class="secondary" onClick=${refresh} disabled=${refreshing}>${refreshing ? 'Refreshing…' : 'Refresh now'}</button></p>
          ${data.columns.length === 0
            ? html`<p class="muted">No typed columns yet: they appear once webhooks have landed and a refresh ran (every 15 minutes, or Refresh now).</p>`
            : html`<div class="table-scroll">
                <table data-testid="schema-table">
                  <caption>Columns of ${data.view} from the bodies (besides pipeline_id, dt and the __kdd_ and __hl_ columns)</caption>
                  <thead><tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col">Share of rows</th><th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col">Example</th></tr></thead>
                  <tbody>${data.columns.map(
                    (column) => html`<tr>
                      <th scope="row"><code title=${column.path.join(' › ')}>${column.name}</code></th>
                      <td>${column.type}</td>
                      <td>${percent(column.share)}</td>
                      <td>${time(column.first_seen)}</td>
                      <td>${time(column.last_seen)}</td>
                      <td>${column.example === null ? '—' : html`<code class="example">${column.example}</code>`}</td>
                    </tr>`,
                  )}</tbody>
                </table>
              </div>
              ${data.omitted_fields > 0
                ? html`<p class="muted">${data.omitted_fields} more ${data.omitted_fields === 1 ? 'field' : 'fields'} of the last sample stay in <code>__kdd_request_body</code> only (at most ${data.max_columns} columns).</p>`
                : null}`}`}
  </section>`;
}
