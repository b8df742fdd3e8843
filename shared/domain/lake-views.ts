// The lake as SQL sees it (docs/design.md): which objects hold accepted rows, the columns of the
// `webhooks` views, and which copy of a request counts. Text only: whoever runs DuckDB (the
// lake reader in shared/adapters/lake-query.ts) says where the Parquet files are.
import { WEBHOOKS_PREFIX } from './lake.ts';

/** Keys of accepted rows (`webhooks/pipeline_id=N/dt=YYYY-MM-DD/<name>.parquet`); anything else is ignored. */
export const WEBHOOKS_OBJECT_KEY = new RegExp(`^${WEBHOOKS_PREFIX}pipeline_id=(\\d+)/dt=(\\d{4}-\\d{2}-\\d{2})/[^/]+\\.parquet$`);

/**
 * The columns of `webhooks` and `webhooks_raw`, in order. `pipeline_id` and `dt` come from the
 * hive partition path, typed BIGINT and DATE; the other four are the Parquet columns.
 */
export const WEBHOOK_COLUMNS = [
  ['pipeline_id', 'BIGINT'],
  ['dt', 'DATE'],
  ['__kdd_request_id', 'VARCHAR'],
  ['__kdd_request_unix_timestamp', 'DOUBLE'],
  ['__kdd_requester_key', 'VARCHAR'],
  ['__kdd_request_body', 'VARCHAR'],
] as const;

/**
 * The DDL for the two views. `parquetGlob` names the hive-partitioned files; undefined when there
 * are none yet, and the views are then empty with the same columns, so queries still run.
 * `webhooks` keeps one row per (pipeline, request id): delivery is at-least-once, so a request may
 * be stored twice; the earliest copy counts. With `raw`, `webhooks` is every stored row.
 */
export function webhookViewStatements(parquetGlob: string | undefined, options: { raw?: boolean | undefined } = {}): string[] {
  const columnList = WEBHOOK_COLUMNS.map(([name]) => name).join(', ');
  const source =
    parquetGlob !== undefined
      ? `read_parquet(${sqlString(parquetGlob)}, hive_partitioning = true, hive_types = {'pipeline_id': BIGINT, 'dt': DATE})`
      : `(select ${WEBHOOK_COLUMNS.map(([name, type]) => `null::${type} as ${name}`).join(', ')} where false)`;
  const dedup =
    `select * from webhooks_raw qualify row_number() over (` +
    `partition by pipeline_id, __kdd_request_id order by __kdd_request_unix_timestamp, dt, __kdd_request_body) = 1`;
  return [
    `create view webhooks_raw as select ${columnList} from ${source}`,
    `create view webhooks as ${options.raw === true ? 'select * from webhooks_raw' : dedup}`,
  ];
}

const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;
