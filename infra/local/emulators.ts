// Protocol emulators for the local stack and the tests: fauxqs (SQS + S3) and dynalite (DynamoDB).
// The handlers talk to them through the unchanged AWS SDK v3 clients. By default they run in a
// worker thread, so the emulators and the stack's own event loop (gateway, handlers, pollers)
// use separate cores instead of queueing behind each other.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { startFauxqs } from 'fauxqs';
import { assertBoundTo, DEFAULT_HOST, localUrl, withBindAllMovedTo } from './network.ts';
import { startInWorker } from './worker-service.ts';

const require = createRequire(import.meta.url);
// dynalite is CommonJS without types.
const dynalite = require('dynalite') as (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

export interface EmulatorEndpoints {
  region: string;
  sqs: string;
  s3: string;
  dynamodb: string;
}

export interface Emulators {
  endpoints: EmulatorEndpoints;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** Persist state under this folder; in memory when absent. */
  dataDir?: string;
  /** 0 picks free ports. */
  sqsPort?: number;
  dynamodbPort?: number;
  /** The only address both emulators listen on (default 127.0.0.1). */
  host?: string;
  /** Run in a worker thread (default) or on the caller's event loop. */
  thread?: boolean;
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const { thread = true, ...rest } = options;
  return thread ? startEmulatorsInWorker(rest) : startEmulatorsHere(rest);
}

async function startEmulatorsInWorker(options: EmulatorOptions): Promise<Emulators> {
  const service = await startInWorker<EmulatorEndpoints>(new URL('./emulator-worker.ts', import.meta.url), options, 'emulators');
  return { endpoints: service.info, stop: () => service.stop() };
}

export async function startEmulatorsHere(options: EmulatorOptions = {}): Promise<Emulators> {
  const host = options.host ?? DEFAULT_HOST;
  const region = 'us-east-1';
  const persist = options.dataDir !== undefined;
  if (persist) mkdirSync(join(options.dataDir!, 'dynamodb'), { recursive: true });

  // fauxqs binds every interface whatever it is told (see withBindAllMovedTo).
  const { value: fauxqs, server: fauxqsServer } = await withBindAllMovedTo(host, () =>
    startFauxqs({
      port: options.sqsPort ?? 0,
      logger: false,
      defaultRegion: region,
      ...(persist
        ? { dataDir: join(options.dataDir!, 'fauxqs'), s3StorageDir: join(options.dataDir!, 's3') }
        : {}),
    }),
  );
  try {
    if (fauxqsServer === undefined) throw new Error('fauxqs did not listen through net.Server#listen({ host: "0.0.0.0" }); refusing to guess where it is exposed');
    assertBoundTo(fauxqsServer, host, 'fauxqs');
  } catch (error) {
    await fauxqs.stop();
    throw error;
  }

  const dynamo = dynalite({
    ...(persist ? { path: join(options.dataDir!, 'dynamodb') } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      dynamo.once('error', reject);
      dynamo.listen(options.dynamodbPort ?? 0, host, () => resolve());
    });
  } catch (error) {
    await fauxqs.stop();
    throw error;
  }
  let dynamoPort: number;
  try {
    dynamoPort = assertBoundTo(dynamo, host, 'dynalite').port;
  } catch (error) {
    await Promise.all([fauxqs.stop(), new Promise<void>((resolve) => dynamo.close(() => resolve()))]);
    throw error;
  }

  return {
    endpoints: {
      region,
      sqs: localUrl(host, fauxqs.port),
      s3: localUrl(host, fauxqs.port),
      dynamodb: localUrl(host, dynamoPort),
    },
    async stop() {
      await Promise.all([
        fauxqs.stop(),
        new Promise<void>((resolve) => {
          dynamo.close(() => resolve());
        }),
      ]);
    },
  };
}
