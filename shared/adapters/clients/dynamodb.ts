import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsConfig } from '../../config.ts';
import { clientOptions } from './options.ts';

export function dynamoDbClient(aws: AwsConfig): DynamoDBClient {
  return new DynamoDBClient(clientOptions(aws, aws.endpoints.dynamodb));
}
