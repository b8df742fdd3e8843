// A lake laid out on local disk as in the bucket (`<dir>/webhooks/pipeline_id=N/dt=D/…`): the keys it
// holds and file sizes. No AWS: the sync query's child process loads this.
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { WEBHOOKS_OBJECT_KEY } from '../../domain/lake/views.ts';

/** Keys (`webhooks/…`) of the lake files under a local directory, all pipelines or one. */
export async function localLakeKeys(lakeDir: string, pipelineId?: number): Promise<string[]> {
  const scope = pipelineId === undefined ? 'webhooks' : `webhooks/pipeline_id=${pipelineId}`;
  let entries: string[];
  try {
    entries = await readdir(join(lakeDir, ...scope.split('/')), { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries.map((entry) => `${scope}/${entry.split(sep).join('/')}`).filter((key) => WEBHOOKS_OBJECT_KEY.test(key));
}

/** A local file's size; undefined when there is no such file. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
