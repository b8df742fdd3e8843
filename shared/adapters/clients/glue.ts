import { GlueClient } from '@aws-sdk/client-glue';
import type { AwsConfig } from '../../config.ts';
import { clientOptions } from './options.ts';

/** Glue has no emulator: `endpoints.glue` is set only by tests that record the calls. */
export function glueClient(aws: AwsConfig): GlueClient {
  return new GlueClient(clientOptions(aws, aws.endpoints.glue));
}
