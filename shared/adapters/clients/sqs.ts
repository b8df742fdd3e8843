import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsConfig } from '../../config.ts';
import { clientOptions } from './options.ts';

export function sqsClient(aws: AwsConfig): SQSClient {
  return new SQSClient(clientOptions(aws, aws.endpoints.sqs));
}
