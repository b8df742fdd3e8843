import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { AwsConfig } from '../../config.ts';
import { clientOptions } from './options.ts';

export function s3Client(aws: AwsConfig): S3Client {
  const options: S3ClientConfig = clientOptions(aws, aws.endpoints.s3);
  // Emulators serve path-style URLs only.
  return new S3Client(aws.endpoints.s3 === undefined ? options : { ...options, forcePathStyle: true });
}
