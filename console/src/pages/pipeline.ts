// One pipeline: its inbound URL, a 7-day chart of rows landed and requests rejected per reason,
// its typed columns (schema.ts) and its signature verification (verification.ts).
import type { VNode } from 'preact';
import { api } from '../api.ts';
import { CopyButton, Status, time, useLoad } from '../components.ts';
import { html } from '../html.ts';
import { path } from '../paths.ts';
import { PIPELINE_ID } from '../../../shared/domain/id-patterns.ts';
import type { ConsolePage } from '../page.ts';
import { href } from '../router.ts';
import { reasonLabel, REASONS } from '../reasons.ts';
import { SchemaPanel } from '../schema.ts';
import { VerificationPanel, type Verification } from '../verification.ts';
import { inboundUrl, type Pipeline } from './pipelines.ts';

interface StatsDay {
  dt: string;
  landed: number;
  rejected: number;
  rejected_by_reason: Record<string, number>;
}

const SERIES = ['landed', ...REASONS];

/** Stacked bars per day as inline SVG; the same figures follow as a table for screen readers and copying. */
function Chart(props: { days: StatsDay[] }): VNode {
  const width = 560;
  const height = 180;
  const top = 10;
  const bottom = 30;
  const left = 40;
  const values = (day: StatsDay) => [day.landed, ...REASONS.map((reason) => day.rejected_by_reason[reason] ?? 0)];
  const max = Math.max(1, ...props.days.map((day) => values(day).reduce((a, b) => a + b, 0)));
  const slot = (width - left) / props.days.length;
  const scale = (height - top - bottom) / max;
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${width} ${height}`} role="img" aria-labelledby="chart-title">
      <title id="chart-title">Rows landed and requests rejected per day, last ${props.days.length} days</title>
      <line x1=${left} y1=${height - bottom} x2=${width} y2=${height - bottom} class="axis" />
      <text x=${left - 6} y=${top + 4} class="tick" text-anchor="end">${max}</text>
      <text x=${left - 6} y=${height - bottom} class="tick" text-anchor="end">0</text>
      ${props.days.map((day, index) => {
        let y = height - bottom;
        const x = left + index * slot + slot * 0.15;
        return html`<g>
          ${values(day).map((value, series) => {
            const h = value * scale;
            y -= h;
            return value === 0 ? null : html`<rect x=${x} y=${y} width=${slot * 0.7} height=${h} class=${`series-${series}`}><title>${day.dt}: ${value} ${series === 0 ? 'landed' : `rejected: ${reasonLabel(SERIES[series])}`}</title></rect>`;
          })}
          <text x=${x + slot * 0.35} y=${height - bottom + 16} class="tick" text-anchor="middle">${day.dt.slice(5)}</text>
        </g>`;
      })}
    </svg>
    <figcaption>
      <ul class="legend">${SERIES.map((name, series) => html`<li><span class=${`swatch series-${series}`} aria-hidden="true"></span>${name === 'landed' ? 'landed' : `rejected: ${reasonLabel(name)}`}</li>`)}</ul>
    </figcaption>
  </figure>`;
}

function PipelinePage(props: { id: string }) {
  const pipeline = useLoad(() => api<Pipeline & { verification: Verification | null }>('GET', path`/pipelines/${props.id}`), [props.id]);
  const stats = useLoad(() => api<{ days: StatsDay[] }>('GET', path`/pipelines/${props.id}/stats?days=7`), [props.id]);
  const days = stats.data?.days ?? [];
  return html`<p><a class="button" href=${href(path`/pipelines/${props.id}/live`)}>Open the live inspector</a></p>
    <${Status} error=${pipeline.error} loading=${pipeline.data === undefined} />
    ${pipeline.data === undefined
      ? null
      : html`<dl class="facts">
          <dt>Name</dt><dd>${pipeline.data.name}</dd>
          <dt>Created</dt><dd>${time(pipeline.data.created_at)}</dd>
          <dt>Inbound URL</dt><dd><code class="url">${inboundUrl(pipeline.data.pipeline_id)}</code> <${CopyButton} text=${inboundUrl(pipeline.data.pipeline_id)} label="Copy URL" /></dd>
          <dt>Signatures</dt><dd data-testid="verification-provider">${pipeline.data.verification === null ? 'not verified' : `verified: ${pipeline.data.verification.provider}`}</dd>
        </dl>`}
    <section aria-labelledby="stats-title">
      <h2 id="stats-title">Last 7 days</h2>
      <${Status} error=${stats.error} loading=${stats.data === undefined} />
      ${days.length === 0
        ? null
        : html`<${Chart} days=${days} />
          <table data-testid="stats-table">
            <caption>Per day (UTC)</caption>
            <thead><tr><th scope="col">Day</th><th scope="col">Landed</th><th scope="col">Rejected</th><th scope="col">Reasons</th></tr></thead>
            <tbody>${[...days].reverse().map(
              (day) => html`<tr><td>${day.dt}</td><td>${day.landed}</td><td>${day.rejected}</td><td>${Object.entries(day.rejected_by_reason)
                .filter(([, count]) => count > 0)
                .map(([reason, count]) => `${reasonLabel(reason)}: ${count}`)
                .join(', ') || '—'}</td></tr>`,
            )}</tbody>
          </table>`}
    </section>
    <${SchemaPanel} pipelineId=${props.id} />
    <${VerificationPanel} pipelineId=${props.id} verification=${pipeline.data?.verification} onChange=${pipeline.reload} />`;
}

export const pipelinePage: ConsolePage = {
  path: '/pipelines/:id',
  params: { id: PIPELINE_ID },
  title: (params) => `Pipeline ${params.id}`,
  render: (params) => html`<${PipelinePage} id=${params.id} />`,
};
