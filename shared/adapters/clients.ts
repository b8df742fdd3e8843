// AWS SDK v3 clients built from config; emulator endpoints get static test credentials.
import type { AwsConfig } from '../config.ts';

const EMULATOR_CREDENTIALS = { accessKeyId: 'hooklake', secretAccessKey: 'hooklake' };

export function clientOptions(aws: AwsConfig, endpoint: string | undefined) {
  return endpoint === undefined
    ? { region: aws.region }
    : { region: aws.region, endpoint, credentials: EMULATOR_CREDENTIALS };
}
