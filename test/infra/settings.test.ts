// Every deploy setting is checked at synth, through the real app (cdk.json context plus -c
// overrides), with a message that names the setting: one case per rule, each next to a value the
// same rule lets through.
import { describe, expect, it } from 'vitest';
import { cdkJsonContext, createApp } from '../../infra/app.ts';
import { CONTEXT_KEYS, SettingsError } from '../../infra/settings.ts';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const synth = (overrides: Record<string, unknown>) => () => createApp({ context: { ...cdkJsonContext(), ...NO_BUNDLING, ...overrides } });

/** [what, overrides AWS or the stack would refuse, the message, overrides the same rule accepts]. */
const RULES: [string, Record<string, unknown>, RegExp, Record<string, unknown>][] = [
  ['a batch over 10 without a batching window', { 'hooklake:maxBatchingWindowSeconds': 0 }, /hooklake:maxBatchingWindowSeconds must be at least 1 when hooklake:processorBatchSize is over 10.*got 0 with a batch size of 100/, { 'hooklake:maxBatchingWindowSeconds': 0, 'hooklake:processorBatchSize': 10 }],
  ['a batching window over 300 s', { 'hooklake:maxBatchingWindowSeconds': 301 }, /hooklake:maxBatchingWindowSeconds must be a whole number in \[0, 300\]/, { 'hooklake:maxBatchingWindowSeconds': 300 }],
  ['a batch size of 0', { 'hooklake:processorBatchSize': 0 }, /hooklake:processorBatchSize must be a whole number in \[1, 10000\]/, { 'hooklake:processorBatchSize': 10_000 }],
  ['a batch size over 10,000', { 'hooklake:processorBatchSize': 10_001 }, /hooklake:processorBatchSize/, { 'hooklake:processorBatchSize': '1' }],
  ['a delivery timeout under 100 ms', { 'hooklake:deliveryTimeoutMs': 99 }, /hooklake:deliveryTimeoutMs must be a whole number in \[100, 20000\]/, { 'hooklake:deliveryTimeoutMs': 100 }],
  ['a delivery timeout the api cannot wait for', { 'hooklake:deliveryTimeoutMs': 20_001 }, /hooklake:deliveryTimeoutMs/, { 'hooklake:deliveryTimeoutMs': 20_000 }],
  ['a delivery retention shorter than the events DLQ keeps messages', { 'hooklake:deliveryRetentionDays': 13 }, /hooklake:deliveryRetentionDays must be a whole number >= 14/, { 'hooklake:deliveryRetentionDays': 14 }],
  ['a quarantine of 0 days', { 'hooklake:quarantineDays': 0 }, /hooklake:quarantineDays must be a whole number >= 1/, { 'hooklake:quarantineDays': 1 }],
  ['a log retention CloudWatch does not offer', { 'hooklake:logRetentionDays': 2 }, /hooklake:logRetentionDays: 2 is not a CloudWatch Logs retention period/, { 'hooklake:logRetentionDays': 3 }],
  ['a Glue database name Athena cannot query', { 'hooklake:glueDatabase': 'Hook-Lake' }, /hooklake:glueDatabase must be 1-255 lowercase letters/, { 'hooklake:glueDatabase': 'hook_lake_2' }],
  ['an Athena workgroup name with a space', { 'hooklake:athenaWorkGroup': 'hook lake' }, /hooklake:athenaWorkGroup must be 1-128 letters/, { 'hooklake:athenaWorkGroup': 'Hook-Lake.2' }],
  ['a lake start date that is no date', { 'hooklake:lakeStartDate': '2024-02-30' }, /hooklake:lakeStartDate must be a date written yyyy-MM-dd/, { 'hooklake:lakeStartDate': '2024-02-29' }],
  ['a lake start date in the future', { 'hooklake:lakeStartDate': '2999-01-01' }, /hooklake:lakeStartDate must not be in the future/, { 'hooklake:lakeStartDate': new Date().toISOString().slice(0, 10) }],
  ['an ingest rate limit of 0', { 'hooklake:ingestThrottleRateLimit': 0 }, /hooklake:ingestThrottleRateLimit must be a whole number >= 1/, { 'hooklake:ingestThrottleRateLimit': 1 }],
  ['an ingest burst of 0', { 'hooklake:ingestThrottleBurstLimit': 0 }, /hooklake:ingestThrottleBurstLimit/, { 'hooklake:ingestThrottleBurstLimit': 1 }],
  ['a management rate limit of 0', { 'hooklake:managementThrottleRateLimit': 0 }, /hooklake:managementThrottleRateLimit/, { 'hooklake:managementThrottleRateLimit': 1 }],
  ['a management burst of 0', { 'hooklake:managementThrottleBurstLimit': 0 }, /hooklake:managementThrottleBurstLimit/, { 'hooklake:managementThrottleBurstLimit': 1 }],
  ['a concurrency quota under Lambda\'s 10', { 'hooklake:lambdaConcurrencyQuota': 9 }, /hooklake:lambdaConcurrencyQuota must be a whole number >= 10/, { 'hooklake:lambdaConcurrencyQuota': 1000 }],
  ['a reservation on a quota of 10 (Lambda keeps 10 unreserved)', { 'hooklake:apiReservedConcurrency': 1 }, /hooklake:apiReservedConcurrency \(1\) would leave fewer than 10 of hooklake:lambdaConcurrencyQuota \(10\) unreserved.*get-account-settings/, { 'hooklake:apiReservedConcurrency': 0 }],
  ['a reservation over quota less 10', { 'hooklake:lambdaConcurrencyQuota': 30, 'hooklake:apiReservedConcurrency': 21 }, /reserve at most 20/, { 'hooklake:lambdaConcurrencyQuota': 30, 'hooklake:apiReservedConcurrency': 20, 'hooklake:processorMaxConcurrency': 2 }],
  ['a negative reservation', { 'hooklake:apiReservedConcurrency': -1 }, /hooklake:apiReservedConcurrency must be a whole number >= 0/, { 'hooklake:apiReservedConcurrency': '0' }],
  ['a processor cap of 1 (event sources take 2-1000)', { 'hooklake:processorMaxConcurrency': 1 }, /hooklake:processorMaxConcurrency must be a whole number in \[2, 1000\]/, { 'hooklake:processorMaxConcurrency': 2 }],
  ['a fan-out cap over 1000', { 'hooklake:lambdaConcurrencyQuota': 5000, 'hooklake:fanoutMaxConcurrency': 1001 }, /hooklake:fanoutMaxConcurrency must be a whole number in \[2, 1000\]/, { 'hooklake:lambdaConcurrencyQuota': 5000, 'hooklake:fanoutMaxConcurrency': 1000 }],
  ['a sync cap of 1', { 'hooklake:syncMaxConcurrency': 1 }, /hooklake:syncMaxConcurrency must be a whole number in \[2, 1000\]/, { 'hooklake:syncMaxConcurrency': 2 }],
  [
    'queue consumers that would take more than the quota leaves the receiver and the api',
    { 'hooklake:processorMaxConcurrency': 10 },
    /hooklake:processorMaxConcurrency \+ hooklake:fanoutMaxConcurrency \+ hooklake:syncMaxConcurrency \(10 \+ 4 \+ 2 = 16\) must leave 2 of hooklake:lambdaConcurrencyQuota \(10\).*at most 8/,
    { 'hooklake:processorMaxConcurrency': 10, 'hooklake:lambdaConcurrencyQuota': 18 },
  ],
  [
    'queue consumers over what a reservation leaves',
    { 'hooklake:lambdaConcurrencyQuota': 20, 'hooklake:apiReservedConcurrency': 10, 'hooklake:processorMaxConcurrency': 4 },
    /less hooklake:apiReservedConcurrency \(10\).*at most 8/,
    { 'hooklake:lambdaConcurrencyQuota': 20, 'hooklake:apiReservedConcurrency': 10 },
  ],
  ['a front door that is neither the HTTP API nor a function URL', { 'hooklake:frontDoor': 'cloudfront' }, /hooklake:frontDoor must be "apiGateway" or "functionUrl".*got "cloudfront"/, { 'hooklake:frontDoor': 'functionUrl' }],
  ['a negative receiver reservation', { 'hooklake:receiverReservedConcurrency': -1 }, /hooklake:receiverReservedConcurrency must be a whole number >= 0/, { 'hooklake:receiverReservedConcurrency': 0 }],
  [
    'a receiver reservation on a quota of 10 (the bound a function URL would need)',
    { 'hooklake:frontDoor': 'functionUrl', 'hooklake:receiverReservedConcurrency': 5 },
    /hooklake:receiverReservedConcurrency \(5\) would leave fewer than 10 of hooklake:lambdaConcurrencyQuota \(10\) unreserved/,
    { 'hooklake:frontDoor': 'functionUrl', 'hooklake:receiverReservedConcurrency': 5, 'hooklake:lambdaConcurrencyQuota': 100 },
  ],
  [
    'the api and receiver reservations together over quota less 10',
    { 'hooklake:lambdaConcurrencyQuota': 40, 'hooklake:apiReservedConcurrency': 10, 'hooklake:receiverReservedConcurrency': 21 },
    /hooklake:apiReservedConcurrency \(10\) \+ hooklake:receiverReservedConcurrency \(21\) would leave fewer than 10.*reserve at most 30 in all/,
    { 'hooklake:lambdaConcurrencyQuota': 40, 'hooklake:apiReservedConcurrency': 10, 'hooklake:receiverReservedConcurrency': 20, 'hooklake:processorMaxConcurrency': 2 },
  ],
  [
    'queue consumers over what the receiver reservation leaves',
    { 'hooklake:lambdaConcurrencyQuota': 30, 'hooklake:receiverReservedConcurrency': 20, 'hooklake:fanoutMaxConcurrency': 8 },
    /less hooklake:receiverReservedConcurrency \(20\).*at most 8/,
    { 'hooklake:lambdaConcurrencyQuota': 30, 'hooklake:receiverReservedConcurrency': 20 },
  ],
  ['a negative compaction grace', { 'hooklake:compactionGraceMinutes': -1 }, /hooklake:compactionGraceMinutes must be a whole number in \[0, 10080\] \(0 removes replaced objects at the next pass/, { 'hooklake:compactionGraceMinutes': 0 }],
  ['a compaction grace over a week', { 'hooklake:compactionGraceMinutes': 10_081 }, /hooklake:compactionGraceMinutes/, { 'hooklake:compactionGraceMinutes': '10080' }],
  ['an alarm e-mail that is no address', { 'hooklake:alarmEmail': 'ops at example.com' }, /hooklake:alarmEmail must be an e-mail address/, { 'hooklake:alarmEmail': 'ops@example.com' }],
  ['a boolean that is neither', { 'hooklake:tracing': 'yes' }, /hooklake:tracing must be true or false, got "yes"/, { 'hooklake:tracing': 'true' }],
  ['private targets that are neither', { 'hooklake:allowPrivateTargets': 'maybe' }, /hooklake:allowPrivateTargets must be true or false/, { 'hooklake:allowPrivateTargets': '0' }],
  ['a number that is not whole', { 'hooklake:quarantineDays': '1.5' }, /hooklake:quarantineDays must be a whole number, got "1.5"/, { 'hooklake:quarantineDays': ' 2 ' }],
  ['a misspelt setting', { 'hooklake:processorBatchsize': 50 }, /hooklake:processorBatchsize is not a Hooklake setting/, {}],
  ['a renamed setting', { 'hooklake:throttleRateLimit': 100 }, /hooklake:throttleRateLimit was renamed to hooklake:ingestThrottleRateLimit/, {}],
];

describe('deploy settings are validated at synth, each message naming its setting', () => {
  it.each(RULES)('refuses %s', (_what, bad, message, good) => {
    expect(synth(bad)).toThrow(message);
    expect(synth(bad)).toThrow(SettingsError);
    expect(synth(good)).not.toThrow();
  });

  it('every setting has at least one rule above', () => {
    const tested = new Set(RULES.flatMap(([, bad]) => Object.keys(bad)));
    for (const key of Object.values(CONTEXT_KEYS)) expect(tested, key).toContain(key);
  });

  it('reports every problem at once', () => {
    expect(synth({ 'hooklake:quarantineDays': 0, 'hooklake:alarmEmail': 'x', 'hooklake:maxBatchingWindowSeconds': 0 })).toThrow(
      /quarantineDays[\s\S]*maxBatchingWindowSeconds[\s\S]*alarmEmail/,
    );
  });
});
