// `npm start`: runs the local stack until Ctrl-C. See README "Quick start".
import { availableParallelism } from 'node:os';
import { lakeSettingsFromEnv, syncQueryLimitsFromEnv } from '../../shared/config.ts';
import { localSyncQueryLimits, type SyncQueryLimits } from '../../shared/domain/syncs/query-limits.ts';
import { isLoopbackHost } from '../../shared/domain/delivery/ssrf.ts';
import { DEFAULT_HOST, privateTargetsPolicy, type PrivateTargetsPolicy } from './network.ts';
import { FRONT_DOORS, type FrontDoor } from '../front-door.ts';
import { startLocalStack } from './stack.ts';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`${name} must be a port number, got '${raw}'`);
    process.exit(2);
  }
  return value;
}

const host = process.env.HOST || DEFAULT_HOST;
// The deployment's hooklake:frontDoor, locally: a function URL of the receiver on its own port.
const frontDoor = (process.env.HOOKLAKE_FRONT_DOOR || 'apiGateway') as FrontDoor;
if (!FRONT_DOORS.includes(frontDoor)) {
  console.error(`HOOKLAKE_FRONT_DOOR must be ${FRONT_DOORS.join(' or ')}, got '${frontDoor}'`);
  process.exit(2);
}
let privateTargets: PrivateTargetsPolicy;
try {
  privateTargets = privateTargetsPolicy(host, process.env.HOOKLAKE_ALLOW_PRIVATE_TARGETS);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const allowPrivateTargets = privateTargets.allow;
let syncQueryLimits: SyncQueryLimits;
let lakeSettings: ReturnType<typeof lakeSettingsFromEnv>;
try {
  syncQueryLimits = syncQueryLimitsFromEnv(process.env, localSyncQueryLimits(availableParallelism()));
  lakeSettings = lakeSettingsFromEnv(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
// Said before anything listens, so it shows even when binding fails.
if (!isLoopbackHost(host)) {
  console.warn(`WARNING: HOST=${host} is not a loopback address. The gateway AND the emulators (SQS, S3 and
DynamoDB, which have no authentication) will be reachable from the network: anyone who reaches
them can read the lake and the table, or queue events that are signed with your secrets.
Outbound targets on private/loopback addresses: ${allowPrivateTargets ? 'ALLOWED' : 'refused'} (${privateTargets.reason}).
`);
}
const stack = await startLocalStack({
  dataDir: process.env.HOOKLAKE_DATA_DIR || '.data',
  port: intFromEnv('PORT', 3000),
  host,
  sqsPort: intFromEnv('HOOKLAKE_SQS_PORT', 4566),
  dynamodbPort: intFromEnv('HOOKLAKE_DYNAMODB_PORT', 4567),
  allowPrivateTargets,
  frontDoor,
  receiverPort: intFromEnv('HOOKLAKE_RECEIVER_PORT', 3001),
  functionsInWorker: true,
  syncQueryLimits,
  lakeSettings,
});

// Handlers go in before "ready" is printed, so a stop asked for as soon as it shows is graceful.
// Ctrl-C on `npm start` delivers SIGINT twice (the terminal's, and npm's forward of it): a second
// signal within a second is the same press; a later one forces the exit.
let stoppingSince: number | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince > 1000) process.exit(1);
      return;
    }
    stoppingSince = Date.now();
    console.log('\nstopping…');
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

const { info } = stack;
console.log(`Hooklake local stack is ready.

  Inbound webhooks:  ${info.inboundUrl}/?pipeline_id=<N>&key=<KEY>&token=<TOKEN>${info.frontDoor === 'functionUrl' ? '   (the receiver\'s function URL)' : ''}
  Management API:    ${info.apiUrl}/v4/   (admin credential in ${stack.stackFile})
  Console:           ${info.apiUrl}/console/   (sign in with that admin credential)
  SQS + S3 (fauxqs): ${info.endpoints.sqs}
  DynamoDB:          ${info.endpoints.dynamodb}
  Outbound targets on private/loopback addresses: ${allowPrivateTargets ? 'ALLOWED' : 'refused'} (${privateTargets.reason})

Try:  npx hooklake pipelines create --name shop
      npx hooklake tokens create --name shop
Stop with Ctrl-C.`);
