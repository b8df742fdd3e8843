// The receiver's claim-check store: bodies too large for an SQS message go to S3 first. The S3
// client is most of what this module weighs, and almost no request needs it, so the Lambda asset
// carries it as a file of its own (claims.mjs beside index.mjs, built by infra/constructs/
// function.ts), imported on the first such body; the local stack imports this source directly.
import { s3Client } from '../../shared/adapters/clients/s3.ts';
import { s3ClaimStore } from '../../shared/adapters/s3/objects.ts';
import type { AwsConfig } from '../../shared/config.ts';
import type { ClaimStore } from '../../shared/ports/ingest.ts';

export function claimStore(aws: AwsConfig): ClaimStore {
  return s3ClaimStore(s3Client(aws));
}
