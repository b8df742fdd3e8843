// The lake as SQL sees it (docs/design.md): which objects hold accepted rows, the columns of the
// `webhooks` views, and which copy of a request counts. Text only: whoever runs DuckDB (the
// lake reader in shared/adapters/duckdb/lake-query.ts) says where the Parquet files are.
import { DUCKDB_TYPES, WEBHOOK_COLUMNS } from './columns.ts';
import { COMPACTED_SUFFIX, WEBHOOKS_PREFIX } from './objects.ts';

/** Keys of accepted rows (`webhooks/pipeline_id=N/dt=YYYY-MM-DD/<name>.parquet`); anything else is ignored. */
export const WEBHOOKS_OBJECT_KEY = new RegExp(`^${WEBHOOKS_PREFIX}pipeline_id=(\\d+)/dt=(\\d{4}-\\d{2}-\\d{2})/[^/]+\\.parquet$`);

/**
 * The columns of `webhooks` and `webhooks_raw`, in order. `pipeline_id` and `dt` come from the
 * hive partition path, typed BIGINT and DATE; the others are the Parquet columns (columns.ts).
 */
export const WEBHOOK_VIEW_COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ['pipeline_id', 'BIGINT'],
  ['dt', 'DATE'],
  ...WEBHOOK_COLUMNS.map((column) => [column.name, DUCKDB_TYPES[column.type]] as const),
];

/**
 * Which stored rows are copies of one request, and which copy counts: the one rule of every reader
 * that deduplicates (DuckDB's `webhooks`, the compaction's merge, Athena's `pipeline_<N>` views and
 * saved query `webhooks_once`). Copies of a request are one queue message stored more than once
 * (SQS's at-least-once delivery, a redriven dead-letter queue, a compacted hour and the objects it
 * replaced): same pipeline, request id and receive time, hence the same day. The earliest counts;
 * copies of equal time are the same message, identical rows, so no further order is needed (and
 * none reads the bodies). The day is in the key so that a filter on `dt` passes below the window
 * (DuckDB and Trino push a filter on a window's partition columns into its input) and prunes days.
 */
export const REQUEST_COPY_KEY = ['pipeline_id', 'dt', '__kdd_request_id'] as const;
export const REQUEST_COPY_ORDER = '__kdd_request_unix_timestamp';

/**
 * The rank of a stored row among the copies of its request (the copy with 1 counts), plain SQL that
 * DuckDB and Trino both run. `fixed`: key columns the rows at hand do not carry because they are
 * one value there (the merge reads one partition's files, which hold no partition columns).
 */
export function requestCopyRankSql(fixed: readonly string[] = []): string {
  const key = REQUEST_COPY_KEY.filter((column) => !fixed.includes(column));
  return `row_number() over (partition by ${key.join(', ')} order by ${REQUEST_COPY_ORDER})`;
}

/** Compacted objects (lake/compaction.ts): one per UTC hour of a partition, each request at most once among them. */
export const COMPACTED_FILE_GLOB = `*${COMPACTED_SUFFIX}`;
/**
 * Every other object of a partition (the processor's, and names from before times were in them).
 * DuckDB globs have no negation, but a class on the last character before `.parquet` does it:
 * compacted names end in `r` there (`.hour`), the processor's in a hex digit.
 */
export const RECENT_FILE_GLOB = '*[!r].parquet';

/** Where the views read: Parquet paths or globs of each kind (DuckDB `read_parquet` lists). Empty lists make empty views. */
export interface LakeFiles {
  /** Compacted objects; at most one live per hour, so no request is in two of them. */
  compacted: readonly string[];
  /** Everything else: the uncompacted tail, where SQS's at-least-once delivery may have stored a request twice. */
  recent: readonly string[];
  /**
   * The compacted objects a recent row may also be in (a late copy of a request already
   * compacted): those of the partitions `recent` has files in. Default: all of `compacted`.
   */
  compactedNearRecent?: readonly string[] | undefined;
}

/**
 * The files of a lake directory laid out as the bucket (`<root>/webhooks/pipeline_id=N/dt=D/…`),
 * given the keys (`webhooks/…`) it holds: a glob per partition and kind, so no glob matches
 * nothing (DuckDB refuses that), and a name neither glob takes listed on its own.
 */
export function lakeFilesOf(root: string, keys: Iterable<string>): LakeFiles {
  const base = root.replace(/\/+$/, '');
  const partitions = new Map<string, { compacted: Map<string, string[]>; recent: boolean; odd: string[] }>();
  for (const key of keys) {
    if (!WEBHOOKS_OBJECT_KEY.test(key)) continue;
    const dir = key.slice(0, key.lastIndexOf('/') + 1);
    let partition = partitions.get(dir);
    if (partition === undefined) partitions.set(dir, (partition = { compacted: new Map(), recent: false, odd: [] }));
    if (key.endsWith(COMPACTED_SUFFIX)) {
      const hour = key.slice(dir.length, dir.length + 2);
      partition.compacted.set(hour, [...(partition.compacted.get(hour) ?? []), key]);
    } else if (key.endsWith('r.parquet')) partition.odd.push(`${base}/${key}`);
    else partition.recent = true;
  }
  const files = { compacted: [] as string[], recent: [] as string[], compactedNearRecent: [] as string[] };
  for (const dir of [...partitions.keys()].sort()) {
    const partition = partitions.get(dir)!;
    const hours = [...partition.compacted.values()];
    // Two compacted objects of one hour (two passes raced): both are read as recent ones, deduplicated.
    const twice = hours.filter((list) => list.length > 1).flat().sort();
    const compacted = twice.length === 0 ? (hours.length === 0 ? [] : [`${base}/${dir}${COMPACTED_FILE_GLOB}`]) : hours.filter((list) => list.length === 1).flat().sort().map((key) => `${base}/${key}`);
    const recent = [...(partition.recent ? [`${base}/${dir}${RECENT_FILE_GLOB}`] : []), ...partition.odd, ...twice.map((key) => `${base}/${key}`)];
    files.compacted.push(...compacted);
    files.recent.push(...recent);
    if (recent.length > 0) files.compactedNearRecent.push(...compacted);
  }
  return files;
}

/**
 * The DDL of the views. `webhooks_compacted` and `webhooks_recent` read the two kinds of file
 * (`files`; no file, an empty view with the same columns), `webhooks_raw` is both, and `webhooks`
 * keeps one row per (pipeline, request id), deduplicating only where copies can be: the recent
 * files among themselves, and a recent row whose request is already compacted. So a filter on
 * time, id or day reaches the compacted files' row-group statistics through `webhooks`, and a
 * `count(*)` over compacted hours reads only their footers. The earliest copy counts.
 * Copies of a request share its receive time (one queue message), hence its day: the window is
 * partitioned by day too, so a filter on `dt` reaches the recent files' scan (and prunes its
 * partitions), as it does the compacted ones'.
 * Files are read by column name, and a column a file lacks (written before it existed) is null:
 * `union_by_name` across the files, then `union all by name` with an empty relation of every
 * column. With `raw`, `webhooks` is every stored row.
 */
export function webhookViewStatements(files: LakeFiles | undefined, options: { raw?: boolean | undefined } = {}): string[] {
  const columnList = WEBHOOK_VIEW_COLUMNS.map(([name]) => name).join(', ');
  const empty = `select ${WEBHOOK_VIEW_COLUMNS.map(([name, type]) => `null::${type} as ${name}`).join(', ')} where false`;
  const source = (paths: readonly string[]) =>
    paths.length > 0
      ? `(select * from read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = true, union_by_name = true, ` +
        `hive_types = {'pipeline_id': BIGINT, 'dt': DATE}) union all by name ${empty})`
      : `(${empty})`;
  const compacted = files?.compacted ?? [];
  const recent = files?.recent ?? [];
  const near = files?.compactedNearRecent ?? compacted;
  const recentOnce = `select * from webhooks_recent qualify ${requestCopyRankSql()} = 1`;
  const dedup =
    recent.length === 0
      ? 'select * from webhooks_compacted'
      : near.length === 0
        ? `select * from webhooks_compacted union all ${recentOnce}`
        : `select * from webhooks_compacted union all select * from (${recentOnce}) as recent where not exists (` +
          `select 1 from (select pipeline_id, dt, __kdd_request_id from ${source(near)}) as compacted ` +
          `where compacted.pipeline_id = recent.pipeline_id and compacted.dt = recent.dt and compacted.__kdd_request_id = recent.__kdd_request_id)`;
  return [
    `create view webhooks_compacted as select ${columnList} from ${source(compacted)}`,
    `create view webhooks_recent as select ${columnList} from ${source(recent)}`,
    `create view webhooks_raw as select * from webhooks_compacted union all select * from webhooks_recent`,
    `create view webhooks as ${options.raw === true ? 'select * from webhooks_raw' : dedup}`,
    `create view webhooks_by_delivery as ${deliveryDedupSql('webhooks_raw')}`,
  ];
}

/**
 * One row per provider delivery: rows with the same `__hl_provider_delivery_id` in a
 * pipeline are one delivery (a GitHub redelivery, a Stripe retry), rows without one count per
 * request id (which also folds SQS's duplicates); the earliest copy counts. Plain SQL that DuckDB
 * and Athena (Trino) both run: the local `webhooks_by_delivery` view is this over `webhooks_raw`,
 * and the deployment saves it as an Athena named query over the Glue table `webhooks`, where
 * `where` must filter `pipeline_id` by equality (injected partition projection).
 */
export function deliveryDedupSql(source: string, where = ''): string {
  const columns = WEBHOOK_VIEW_COLUMNS.map(([name]) => name).join(', ');
  const deliveryKey = `coalesce('delivery:' || __hl_provider_delivery_id, 'request:' || __kdd_request_id)`;
  return (
    `select ${columns} from (select *, row_number() over (partition by pipeline_id, ${deliveryKey} ` +
    `order by __kdd_request_unix_timestamp, __kdd_request_id) as hl_delivery_rank from ${source}${where === '' ? '' : ` ${where}`}) ` +
    `where hl_delivery_rank = 1`
  );
}

const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * One row per request over every stored copy (requestCopyRankSql): what a reader of all the objects
 * (Athena over the Glue table) needs, since a compacted hour and the objects it replaced both exist
 * for the grace period, and SQS may have stored a request twice. Plain SQL for DuckDB and Athena
 * (Trino); `where` must filter `pipeline_id` by equality in Athena (injected partition projection).
 */
export function requestDedupSql(source: string, where = ''): string {
  const columns = WEBHOOK_VIEW_COLUMNS.map(([name]) => name).join(', ');
  return (
    `select ${columns} from (select *, ${requestCopyRankSql()} as hl_copy from ${source}${where === '' ? '' : ` ${where}`}) ` +
    `where hl_copy = 1`
  );
}
