// Pipelines: list, create (with the inbound URL to give a sender), delete.
import { useState } from 'preact/hooks';
import { api, basePath, errorText } from '../api.ts';
import { CopyButton, Status, time, useLoad } from '../components.ts';
import { html } from '../html.ts';
import { path } from '../paths.ts';
import type { ConsolePage } from '../page.ts';
import { href } from '../router.ts';

export interface Pipeline {
  pipeline_id: number;
  name: string;
  created_at: string;
}

/** The URL a sender posts to, with the key and token left as slots to fill in. */
export function inboundUrl(pipelineId: number, key = '<KEY>', token = '<TOKEN>'): string {
  return `${location.origin}${basePath()}/?pipeline_id=${pipelineId}&key=${key}&token=${token}`;
}

function PipelinesPage() {
  const list = useLoad(() => api<{ pipelines: Pipeline[] }>('GET', path`/pipelines?limit=1000`), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<Pipeline | undefined>();
  const [error, setError] = useState<string | undefined>();

  const create = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      setCreated(await api<Pipeline>('POST', path`/pipelines`, { name }));
      setName('');
      list.reload();
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  const remove = async (pipeline: Pipeline) => {
    if (!confirm(`Delete pipeline ${pipeline.pipeline_id} (${pipeline.name})? Its lake data stays.`)) return;
    try {
      await api('DELETE', path`/pipelines/${pipeline.pipeline_id}`);
      list.reload();
    } catch (failure) {
      setError(errorText(failure));
    }
  };

  return html`<section aria-labelledby="create-pipeline">
      <h2 id="create-pipeline">Create a pipeline</h2>
      <form class="inline" onSubmit=${create}>
        <label for="pipeline-name">Name</label>
        <input id="pipeline-name" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} required maxlength="200" />
        <button type="submit">Create pipeline</button>
      </form>
      <${Status} error=${error} />
      ${created === undefined
        ? null
        : html`<div class="notice" role="status">
            <p>Created pipeline <strong>${created.pipeline_id}</strong> (${created.name}). Give senders this URL, with a token's key and token in the slots:</p>
            <p><code class="url" data-testid="inbound-url">${inboundUrl(created.pipeline_id)}</code> <${CopyButton} text=${inboundUrl(created.pipeline_id)} label="Copy URL" /></p>
          </div>`}
    </section>
    <section aria-labelledby="pipeline-list">
      <h2 id="pipeline-list">Pipelines</h2>
      <${Status} error=${list.error} loading=${list.data === undefined} />
      ${list.data === undefined
        ? null
        : list.data.pipelines.length === 0
          ? html`<p class="muted">No pipelines yet.</p>`
          : html`<table>
              <thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Inbound URL</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                ${list.data.pipelines.map(
                  (pipeline) => html`<tr>
                    <td>${pipeline.pipeline_id}</td>
                    <td><a href=${href(path`/pipelines/${pipeline.pipeline_id}`)}>${pipeline.name}</a></td>
                    <td><code class="url">${inboundUrl(pipeline.pipeline_id)}</code></td>
                    <td>${time(pipeline.created_at)}</td>
                    <td class="actions">
                      <a class="button secondary" href=${href(path`/pipelines/${pipeline.pipeline_id}/live`)}>Live</a>
                      <button type="button" class="danger" onClick=${() => remove(pipeline)} aria-label=${`Delete pipeline ${pipeline.pipeline_id}`}>Delete</button>
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
    </section>`;
}

export const pipelinesPage: ConsolePage = {
  path: '/pipelines',
  nav: 'Pipelines',
  title: () => 'Pipelines',
  render: () => html`<${PipelinesPage} />`,
};
