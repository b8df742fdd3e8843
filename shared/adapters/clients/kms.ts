import { KMSClient } from '@aws-sdk/client-kms';
import type { AwsConfig } from '../../config.ts';

/** KMS only on AWS: locally, secrets are sealed with AES (crypto/secret-cipher.ts), so no emulator endpoint. */
export function kmsClient(aws: AwsConfig): KMSClient {
  return new KMSClient({ region: aws.region });
}
