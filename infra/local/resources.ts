// Creates the stack's queues, bucket and table on the emulators, idempotently, through the SDK.
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';
import { s3Client } from '../../shared/adapters/clients/s3.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';
import type { EmulatorEndpoints } from './emulators.ts';

export interface LocalResources {
  ingestQueueUrl: string;
  ingestDlqUrl: string;
  /** New outbound events and delivery jobs (fan-out input), with its DLQ. */
  eventsQueueUrl: string;
  eventsDlqUrl: string;
  lakeBucket: string;
  tableName: string;
}

export interface ResourceNames {
  prefix?: string;
  /** Receives before a message moves to the DLQ (the deployed stack uses the same). */
  maxReceiveCount?: number;
  /** Seconds a received message stays invisible; failed messages come back after it. */
  visibilityTimeoutSeconds?: number;
  /** The same for the events queue, whose batches wait on HTTP endpoints (default 30). */
  eventsVisibilityTimeoutSeconds?: number;
}

export async function provisionResources(
  endpoints: EmulatorEndpoints,
  names: ResourceNames = {},
): Promise<LocalResources> {
  const prefix = names.prefix ?? 'hooklake';
  const aws = { region: endpoints.region, endpoints };
  const sqs = sqsClient(aws);
  const s3 = s3Client(aws);
  const dynamodb = dynamoDbClient(aws);
  try {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-ingest-dlq` }));
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const ingest = await sqs.send(
      new CreateQueueCommand({
        QueueName: `${prefix}-ingest`,
        Attributes: {
          VisibilityTimeout: String(names.visibilityTimeoutSeconds ?? 30),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: names.maxReceiveCount ?? 5 }),
        },
      }),
    );

    const eventsDlq = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-events-dlq` }));
    const eventsDlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: eventsDlq.QueueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const events = await sqs.send(
      new CreateQueueCommand({
        QueueName: `${prefix}-events`,
        Attributes: {
          VisibilityTimeout: String(names.eventsVisibilityTimeoutSeconds ?? 30),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: eventsDlqArn, maxReceiveCount: names.maxReceiveCount ?? 5 }),
        },
      }),
    );

    const lakeBucket = `${prefix}-lake`;
    await s3.send(new CreateBucketCommand({ Bucket: lakeBucket })).catch((error: { name?: string }) => {
      if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
    });

    const tableName = prefix;
    await dynamodb
      .send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ResourceInUseException)) throw error;
      });
    await waitForTable(dynamodb, tableName);

    return {
      ingestQueueUrl: ingest.QueueUrl!,
      ingestDlqUrl: dlq.QueueUrl!,
      eventsQueueUrl: events.QueueUrl!,
      eventsDlqUrl: eventsDlq.QueueUrl!,
      lakeBucket,
      tableName,
    };
  } finally {
    sqs.destroy();
    s3.destroy();
    dynamodb.destroy();
  }
}

async function waitForTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
