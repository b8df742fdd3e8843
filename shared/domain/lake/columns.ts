// The columns of a `webhooks` Parquet object, in file order: Kondado's four, then Hooklake's own
// (`__hl_*`, nullable, since objects written before a column existed do not have it). The one
// list the Parquet writer (lake.ts), the Glue table (infra/constructs/analytics.ts) and the DuckDB
// views (views.ts) are built from: a new column is a new entry here, plus its value in
// `webhookRowOf` (lake.ts), which the row type makes the compiler ask for.

export type LakeColumnType = 'string' | 'double';

export interface LakeColumn {
  name: string;
  /** Glue/Athena spelling; the Parquet and DuckDB types follow from it. */
  type: LakeColumnType;
  /** False for Kondado's four, which every object has; true for every `__hl_*` column. */
  nullable: boolean;
}

export const WEBHOOK_COLUMNS = [
  { name: '__kdd_request_id', type: 'string', nullable: false },
  { name: '__kdd_request_unix_timestamp', type: 'double', nullable: false },
  { name: '__kdd_requester_key', type: 'string', nullable: false },
  { name: '__kdd_request_body', type: 'string', nullable: false },
  /** `POST` or `GET`. */
  { name: '__hl_request_method', type: 'string', nullable: true },
  /** JSON text of the captured headers (credentials redacted; request-capture.ts). */
  { name: '__hl_request_headers', type: 'string', nullable: true },
  /** JSON text of the query's data parameters (never pipeline_id, key or token). */
  { name: '__hl_request_query', type: 'string', nullable: true },
  /** The provider's id of the delivery (X-GitHub-Delivery, Stripe's event id, webhook-id, …; signatures/delivery-id.ts), null when none. */
  { name: '__hl_provider_delivery_id', type: 'string', nullable: true },
] as const satisfies readonly LakeColumn[];

export type WebhookColumn = (typeof WEBHOOK_COLUMNS)[number];

type ValueOf<C extends LakeColumn> = (C['type'] extends 'double' ? number : string) | (C['nullable'] extends true ? null : never);

/** One row of the `webhooks` table. */
export type WebhookRow = { [C in WebhookColumn as C['name']]: ValueOf<C> };

export const PARQUET_TYPES = { string: 'STRING', double: 'DOUBLE' } as const satisfies Record<LakeColumnType, string>;
export const DUCKDB_TYPES = { string: 'VARCHAR', double: 'DOUBLE' } as const satisfies Record<LakeColumnType, string>;
