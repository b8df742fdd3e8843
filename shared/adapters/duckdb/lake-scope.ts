// Which day partitions and columns a query can read, found by DuckDB's own planner before
// anything is downloaded: the views are made over a skeleton lake (one empty Parquet file per
// partition and kind, `<dir>/webhooks/pipeline_id=N/dt=D/`), and EXPLAIN says for each scan how
// many files its hive filters keep ("Scanning Files: k/n") and which columns it reads. A set of
// partitions is kept whole when every file of it is scanned, dropped when none is, else halved: a
// query over a run of days takes a few plans (log n), never the query itself. What the plan cannot
// bound (a filter on a subquery's result, a time filter without `dt`) reads every partition.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { WEBHOOK_COLUMNS } from '../../domain/lake/columns.ts';
import { encodeWebhookRows, partitionPath, WEBHOOKS_PREFIX, type Partition } from '../../domain/lake/objects.ts';
import { webhookViewStatements } from '../../domain/lake/views.ts';

export interface LakeScope {
  partitions: Partition[];
  /** The Parquet columns the query reads of the compacted files ('all' when the plan does not say). */
  columns: string[] | 'all';
}

/** Columns every reading of `webhooks` needs: the deduplication's. */
const ALWAYS = ['__kdd_request_id', '__kdd_request_unix_timestamp'];

interface Probe {
  scanned: number;
  total: number;
  columns: Set<string> | 'all';
}

/** Writes the skeleton: two empty files (a compacted and a recent one) per partition under `dir`. */
export async function writeSkeleton(dir: string, partitions: readonly Partition[]): Promise<void> {
  const empty = encodeWebhookRows([]);
  for (const partition of partitions) {
    const folder = join(dir, ...partitionPath(WEBHOOKS_PREFIX, partition).split('/').filter(Boolean));
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'skeleton.hour.parquet'), empty);
    await writeFile(join(folder, 'skeleton.parquet'), empty);
  }
}

/**
 * The partitions (of `partitions`) and columns `sql` reads, on a connection allowed to read the
 * skeleton written under `dir` (writeSkeleton). `sql` is one SELECT; anything EXPLAIN cannot plan
 * reads everything.
 */
export async function lakeScope(
  connection: DuckDBConnection,
  input: { sql: string; dir: string; partitions: readonly Partition[]; raw?: boolean | undefined; views?: readonly string[] | undefined },
): Promise<LakeScope> {
  const all: LakeScope = { partitions: [...input.partitions], columns: 'all' };
  if (input.partitions.length === 0) return { partitions: [], columns: [...ALWAYS] };
  const file = (partition: Partition, name: string) => `${input.dir}/${partitionPath(WEBHOOKS_PREFIX, partition)}${name}`;

  async function probe(subset: readonly Partition[], kinds: { recent: boolean } = { recent: true }): Promise<Probe> {
    const statements = webhookViewStatements(
      {
        compacted: subset.map((partition) => file(partition, 'skeleton.hour.parquet')),
        recent: kinds.recent ? subset.map((partition) => file(partition, 'skeleton.parquet')) : [],
        compactedNearRecent: [],
      },
      { raw: input.raw },
    );
    // Views over `webhooks` (a pipeline's typed table) are planned through too.
    for (const statement of [...statements, ...(input.views ?? [])]) await connection.run(statement.replace(/^create (or replace )?view /i, 'create or replace view '));
    const reader = await connection.runAndReadAll(`explain (format json) select * from (\n${input.sql.trim().replace(/(;\s*)+$/, '')}\n)`);
    const plan = JSON.parse(String(reader.getRowObjectsJson()[0]!.explain_value)) as unknown;
    const result: Probe = { scanned: 0, total: 0, columns: new Set(ALWAYS) };
    const visit = (node: unknown) => {
      if (node === null || typeof node !== 'object') return;
      if (Array.isArray(node)) return node.forEach(visit);
      const { extra_info: info, children } = node as { extra_info?: Record<string, unknown>; children?: unknown };
      if (info !== undefined && info.Function === 'READ_PARQUET') {
        const files = /^(\d+)\/(\d+)$/.exec(String(info['Scanning Files'] ?? ''));
        result.scanned += files === null ? subset.length : Number(files[1]);
        result.total += files === null ? subset.length : Number(files[2]);
        if (info.Projections === undefined) result.columns = 'all';
        else if (result.columns !== 'all') {
          const text = `${JSON.stringify(info.Projections)} ${JSON.stringify(info.Filters ?? '')}`;
          for (const column of WEBHOOK_COLUMNS) if (text.includes(column.name)) result.columns.add(column.name);
        }
      }
      visit(children);
    };
    visit(plan);
    return result;
  }

  let first: Probe;
  let compactedOnly: Probe;
  try {
    first = await probe(input.partitions);
    // The columns are those of the compacted files' scan (recent files are copied whole).
    compactedOnly = await probe(input.partitions, { recent: false });
  } catch {
    return all;
  }
  const read = compactedOnly.columns;
  const columns = read === 'all' ? 'all' : WEBHOOK_COLUMNS.map((column) => column.name).filter((name) => read.has(name));
  async function needed(subset: readonly Partition[], known?: Probe): Promise<Partition[]> {
    const found = known ?? (await probe(subset));
    if (found.scanned === 0) return [];
    if (found.scanned >= found.total || subset.length === 1) return [...subset];
    const half = Math.ceil(subset.length / 2);
    return [...(await needed(subset.slice(0, half))), ...(await needed(subset.slice(half)))];
  }
  try {
    const sorted = [...input.partitions].sort((a, b) => a.pipelineId - b.pipelineId || (a.dt < b.dt ? -1 : a.dt > b.dt ? 1 : 0));
    return { partitions: await needed(sorted, first), columns };
  } catch {
    return all;
  }
}
