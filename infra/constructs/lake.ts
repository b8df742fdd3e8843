// The S3 side of the lake: one bucket holding webhooks/, quarantine/, claims/ and compaction/, plus the bucket
// that receives S3 server access logs.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Key prefixes of the lake bucket (docs/design.md, "Lake"). */
export const LAKE_PREFIX = {
  webhooks: 'webhooks/',
  quarantine: 'quarantine/',
  claims: 'claims/',
  /** Compaction manifests (shared/domain/lake/compaction.ts): what each hour's compaction read, until it is removed. */
  compaction: 'compaction/',
} as const;

/** Claim checks only live as long as the SQS messages that point at them (see ingest.ts). */
export const CLAIMS_EXPIRY_DAYS = 7;

export interface LakeProps {
  /** Days before quarantined (rejected) requests are deleted. */
  quarantineDays: number;
}

/** Settings every Hooklake bucket shares: private, encrypted, TLS only, kept on stack delete. */
export const PRIVATE_BUCKET: s3.BucketProps = {
  encryption: s3.BucketEncryption.S3_MANAGED,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  removalPolicy: RemovalPolicy.RETAIN,
};

export class Lake extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeProps) {
    super(scope, id);
    if (!Number.isInteger(props.quarantineDays) || props.quarantineDays < 1) {
      throw new Error(`quarantineDays must be a whole number of days >= 1, got ${props.quarantineDays}`);
    }

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      ...PRIVATE_BUCKET,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      // Parquet objects are immutable and a retried batch rewrites the same key on purpose
      // (content-derived names), so versions would only keep duplicates.
      versioned: false,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        { id: 'expire-quarantine', prefix: LAKE_PREFIX.quarantine, expiration: Duration.days(props.quarantineDays) },
        { id: 'expire-claims', prefix: LAKE_PREFIX.claims, expiration: Duration.days(CLAIMS_EXPIRY_DAYS) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }

  /** ARN pattern for the objects under one prefix, e.g. `claims/*`. */
  objectsArn(prefix: string): string {
    return this.bucket.arnForObjects(`${prefix}*`);
  }
}
