// The lake as SQL sees it (docs/design.md): which objects hold accepted rows, the columns of the
// `webhooks` views, and which copy of a request counts. Text only: whoever runs DuckDB (the
// lake reader in shared/adapters/duckdb/lake-query.ts) says where the Parquet files are.
import { DUCKDB_TYPES, WEBHOOK_COLUMNS } from './columns.ts';
import { WEBHOOKS_PREFIX } from './objects.ts';

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
 * The DDL for the two views. `parquetGlob` names the hive-partitioned files; undefined when there
 * are none yet, and the views are then empty with the same columns, so queries still run.
 * Files are read by column name, and a column a file lacks (written before the column existed) is
 * null: `union_by_name` across the files, then `union all by name` with an empty relation of every
 * column, for when no file has it yet.
 * `webhooks` keeps one row per (pipeline, request id): delivery is at-least-once, so a request may
 * be stored twice; the earliest copy counts. With `raw`, `webhooks` is every stored row.
 */
export function webhookViewStatements(parquetGlob: string | undefined, options: { raw?: boolean | undefined } = {}): string[] {
  const columnList = WEBHOOK_VIEW_COLUMNS.map(([name]) => name).join(', ');
  const empty = `select ${WEBHOOK_VIEW_COLUMNS.map(([name, type]) => `null::${type} as ${name}`).join(', ')} where false`;
  const source =
    parquetGlob !== undefined
      ? `(select * from read_parquet(${sqlString(parquetGlob)}, hive_partitioning = true, union_by_name = true, ` +
        `hive_types = {'pipeline_id': BIGINT, 'dt': DATE}) union all by name ${empty})`
      : `(${empty})`;
  const dedup =
    `select * from webhooks_raw qualify row_number() over (` +
    `partition by pipeline_id, __kdd_request_id order by __kdd_request_unix_timestamp, dt, __kdd_request_body) = 1`;
  return [
    `create view webhooks_raw as select ${columnList} from ${source}`,
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
