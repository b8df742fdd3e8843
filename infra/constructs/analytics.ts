// Athena over the lake: a Glue table with partition projection (no crawler, no
// MSCK REPAIR) and a workgroup whose result location and encryption users cannot override.
import { Aws, Duration } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { WEBHOOK_COLUMNS } from '../../shared/domain/lake/columns.ts';
import { deliveryDedupSql, requestDedupSql } from '../../shared/domain/lake/views.ts';
import { LAKE_PREFIX, PRIVATE_BUCKET } from './lake.ts';

/**
 * The Parquet columns, in file order (shared/domain/lake/columns.ts: Kondado's four, then the
 * `__hl_*` ones). Athena reads Parquet by name, so objects written before a column existed read
 * it as null.
 */
export const WEBHOOK_TABLE_COLUMNS = WEBHOOK_COLUMNS.map(({ name, type }) => ({ name, type }));

/**
 * Partition keys, both strings.
 * - `pipeline_id` is projected as `injected`: ids are open-ended counters, so no range or
 *   enum can list them. Athena takes the value(s) from the query, which therefore must
 *   filter it with equality: `WHERE pipeline_id = '42'` (or `IN ('42','43')`).
 *   Athena documents injected projection on STRING partition keys, hence the quotes.
 * - `dt` is projected as `date` (yyyy-MM-dd, one per day) from a start date up to NOW, so a
 *   query without a dt filter still works and range filters prune days.
 */
export const WEBHOOK_PARTITION_KEYS = [
  { name: 'pipeline_id', type: 'string' },
  { name: 'dt', type: 'string' },
] as const;

/** The saved Athena query that counts each provider delivery once (docs/lake.md). */
export const DELIVERY_DEDUP_QUERY_NAME = 'webhooks_by_delivery';
export const DELIVERY_DEDUP_QUERY =
  `-- One row per provider delivery of pipeline 1 (a GitHub redelivery or Stripe retry counts once).\n` +
  `-- Edit the pipeline id: Athena needs pipeline_id = '<id>' (partition projection).\n` +
  deliveryDedupSql('webhooks', "where pipeline_id = '1'");

/**
 * The saved Athena query that reads each request once (docs/lake.md): the table reads every object,
 * and a compacted hour and the objects it replaced coexist for the grace period.
 */
export const REQUEST_DEDUP_QUERY_NAME = 'webhooks_once';
export const REQUEST_DEDUP_QUERY =
  `-- One row per request of pipeline 1, over the day range you set: a compacted hour and the objects it\n` +
  `-- replaced coexist for a grace period, and SQS may have stored a request twice.\n` +
  `-- Edit the pipeline id: Athena needs pipeline_id = '<id>' (partition projection).\n` +
  requestDedupSql('webhooks', "where pipeline_id = '1' and dt >= cast(current_date - interval '7' day as varchar)");

export interface AnalyticsProps {
  lakeBucket: s3.IBucket;
  accessLogsBucket: s3.IBucket;
  databaseName: string;
  workGroupName: string;
  /** First `dt` Athena projects, yyyy-MM-dd. */
  lakeStartDate: string;
}

export class Analytics extends Construct {
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly workGroup: athena.CfnWorkGroup;
  readonly deliveryDedupQuery: athena.CfnNamedQuery;
  readonly requestDedupQuery: athena.CfnNamedQuery;
  readonly resultsBucket: s3.Bucket;
  readonly databaseName: string;
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    if (!/^[a-z0-9_]{1,255}$/.test(props.databaseName)) {
      throw new Error(`Glue database name must be lowercase letters, digits and _ (Athena-safe), got "${props.databaseName}"`);
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(props.lakeStartDate)) {
      throw new Error(`lakeStartDate must be yyyy-MM-dd, got "${props.lakeStartDate}"`);
    }
    this.databaseName = props.databaseName;
    this.workGroupName = props.workGroupName;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: props.databaseName, description: 'Hooklake webhook lake' },
    });

    const webhooksLocation = `s3://${props.lakeBucket.bucketName}/${LAKE_PREFIX.webhooks}`;
    this.table = new glue.CfnTable(this, 'WebhooksTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.database.ref,
      tableInput: {
        name: 'webhooks',
        description: 'Accepted inbound webhooks: a Parquet file per processed batch, compacted by UTC hour (read each request once with the saved query webhooks_once)',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: WEBHOOK_PARTITION_KEYS.map((key) => ({ ...key })),
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'parquet',
          'projection.enabled': 'true',
          'projection.pipeline_id.type': 'injected',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': `${props.lakeStartDate},NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          // Must spell the same layout the processor writes.
          'storage.location.template': `${webhooksLocation}pipeline_id=\${pipeline_id}/dt=\${dt}/`,
        },
        storageDescriptor: {
          location: webhooksLocation,
          columns: WEBHOOK_TABLE_COLUMNS.map((column) => ({ ...column })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            parameters: { 'serialization.format': '1' },
          },
        },
      },
    });

    // Query results are copies of lake data: kept apart from the lake so analysts need no
    // write access to it, and expired because nobody reads old result files.
    this.resultsBucket = new s3.Bucket(this, 'ResultsBucket', {
      ...PRIVATE_BUCKET,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [{ id: 'expire-results', expiration: Duration.days(30) }],
    });

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'Hooklake lake queries',
      state: 'ENABLED',
      // Lets `cdk destroy` remove the workgroup even when it holds saved queries.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    // Saved in the workgroup (Athena console → Saved queries): the same SQL as DuckDB's local view.
    this.deliveryDedupQuery = new athena.CfnNamedQuery(this, 'DeliveryDedupQuery', {
      name: DELIVERY_DEDUP_QUERY_NAME,
      description: 'Webhooks deduplicated by the provider delivery id (__hl_provider_delivery_id), else by request id',
      database: props.databaseName,
      workGroup: this.workGroup.ref,
      queryString: DELIVERY_DEDUP_QUERY,
    });
    this.deliveryDedupQuery.addDependency(this.database);
    this.requestDedupQuery = new athena.CfnNamedQuery(this, 'RequestDedupQuery', {
      name: REQUEST_DEDUP_QUERY_NAME,
      description: 'Webhooks, each request once (a compacted hour and the objects it replaced coexist for a grace period)',
      database: props.databaseName,
      workGroup: this.workGroup.ref,
      queryString: REQUEST_DEDUP_QUERY,
    });
    this.requestDedupQuery.addDependency(this.database);
  }
}
