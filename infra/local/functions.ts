// The processor and the fan-out behind their SQS pollers, as Lambda runs them beside API Gateway:
// on the caller's event loop, or (functionsInWorker) in a worker thread of their own, so the
// gateway's request path does not wait behind batch work.
import type { ResourceLimits } from 'node:worker_threads';
import { createFanoutHandler, fanoutDeps } from '../../functions/fanout/app.ts';
import { createProcessorHandler, processorDeps } from '../../functions/processor/app.ts';
import { EMULATOR_CREDENTIALS } from '../../shared/adapters/clients/options.ts';
import { jsonSqsCaller } from '../../shared/adapters/sqs/json-transport.ts';
import type { LookupAll } from '../../shared/adapters/http/sender.ts';
import type { AwsConfig, FanoutConfig, ProcessorConfig } from '../../shared/config.ts';
import { createFanout } from '../../shared/services/delivery/fanout.ts';
import { jsonPollingQueue, startSqsPoller, type SqsHandler } from './sqs-poller.ts';
import { startInWorker } from './worker-service.ts';

/** Plain data only: it crosses to the worker thread. */
export interface FunctionsSettings {
  aws: AwsConfig;
  processor: ProcessorConfig;
  fanout: FanoutConfig;
  ingestQueueUrl: string;
  eventsQueueUrl: string;
  /** Processor batching, as the event-source mapping's BatchSize / MaximumBatchingWindow. */
  batchSize: number;
  batchWindowMs: number;
}

export interface RunningFunctions {
  /** Set when the functions' worker thread ended on its own (e.g. out of memory). */
  readonly failure?: Error | undefined;
  stop(): Promise<void>;
}

export async function startFunctions(settings: FunctionsSettings, extras: { fanoutLookupAll?: LookupAll } = {}): Promise<RunningFunctions> {
  const processor = createProcessorHandler(processorDeps(settings.processor)) as unknown as SqsHandler;
  const fanoutResources = fanoutDeps(settings.fanout, extras.fanoutLookupAll === undefined ? {} : { lookupAll: extras.fanoutLookupAll });
  const fanout = createFanoutHandler(createFanout(fanoutResources)) as unknown as SqsHandler;
  const caller = jsonSqsCaller({ region: settings.aws.region, endpoint: settings.aws.endpoints.sqs, credentials: EMULATOR_CREDENTIALS });
  const queue = jsonPollingQueue(caller);
  const pollers = [
    startSqsPoller({
      name: 'processor',
      queue,
      queueUrl: settings.ingestQueueUrl,
      queueArn: queueArn(settings.ingestQueueUrl),
      handler: processor,
      batchSize: settings.batchSize,
      batchWindowMs: settings.batchWindowMs,
      concurrency: 2,
    }),
    // Several loops, as the event-source mapping scales out: a batch held by a slow endpoint
    // never holds the next one.
    startSqsPoller({
      name: 'fanout',
      queue,
      queueUrl: settings.eventsQueueUrl,
      queueArn: queueArn(settings.eventsQueueUrl),
      handler: fanout,
      batchSize: 10,
      batchWindowMs: 0,
      concurrency: 4,
    }),
  ];
  return {
    async stop() {
      await Promise.all(pollers.map((poller) => poller.stop()));
      await fanoutResources.close();
      caller.destroy();
    },
  };
}

/** `resourceLimits` caps the worker's heap, as a Lambda's memory size caps the function's (tests). */
export async function startFunctionsInWorker(settings: FunctionsSettings, resourceLimits?: ResourceLimits): Promise<RunningFunctions> {
  return startInWorker<undefined>(new URL('./functions-worker.ts', import.meta.url), settings, 'functions', { resourceLimits });
}

function queueArn(queueUrl: string): string {
  const name = queueUrl.split('/').pop()!;
  return `arn:aws:sqs:us-east-1:000000000000:${name}`;
}
