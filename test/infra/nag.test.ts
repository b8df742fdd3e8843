// cdk-nag (AWS Solutions pack) over the real app: no unacknowledged errors or warnings, and every
// acknowledgment carries a specific reason. Bundling is skipped (stack.test.ts covers it):
// the checks read the construct tree, not the bundles.
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext, createApp } from '../../infra/app.ts';
import type { HooklakeStack } from '../../infra/stack.ts';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe.each([
  { name: 'defaults (cdk.json)', context: {} },
  { name: 'with X-Ray tracing', context: { 'hooklake:tracing': true } },
  {
    name: 'with the function URL front door, its flood bounded by a receiver reservation',
    context: { 'hooklake:frontDoor': 'functionUrl', 'hooklake:lambdaConcurrencyQuota': 1000, 'hooklake:receiverReservedConcurrency': 50 },
  },
])('cdk-nag AwsSolutions, $name', ({ context }) => {
  let app: App;
  let stack: HooklakeStack;

  beforeAll(() => {
    ({ app, stack } = createApp({ context: { ...cdkJsonContext(), ...NO_BUNDLING, ...context } }));
    // Synthesis runs the registered AwsSolutionsChecks plugin and throws on unacknowledged errors.
    app.synth();
  });

  it('finds no unacknowledged errors or warnings', () => {
    const result = new AwsSolutionsChecks(app).validateScope(app);
    const findings = result.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('leaves no error or warning annotations on the stack', () => {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('gives every acknowledgment a specific reason', () => {
    const acks = acknowledgments(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(40);
    }
    // Wildcards are only ever acknowledged for S3 key prefixes, the typed views' Glue table names
    // (pipeline_*) and X-Ray, which has no ARNs.
    for (const ack of acks.filter((a) => a.id.startsWith('AwsSolutions-IAM5'))) {
      expect(ack.id).toMatch(
        /^AwsSolutions-IAM5\[Resource::(<\w+\.Arn>\/(claims|webhooks|quarantine|syncs|compaction)\/\*|\*|arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table\/[a-z0-9_]+\/pipeline_\*)\]$/,
      );
    }
  });

  it('acknowledges only findings the pack really raises (no stale acknowledgments)', () => {
    const raw = new AwsSolutionsChecks(app);
    (raw as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const findings = raw
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })));
    for (const ack of acknowledgments(app)) {
      const raised = findings.some((f) => f.id === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
      expect(raised, `${ack.id} at ${ack.path}`).toBe(true);
    }
  });
});

describe('cdk-nag canary', () => {
  it('does report an unacknowledged finding (so an empty result above means something)', () => {
    const app = new App();
    const stack = new Stack(app, 'Canary');
    new sqs.Queue(stack, 'PlainQueue'); // no DLQ, no TLS-only policy
    const result = new AwsSolutionsChecks(app).validateScope(app);
    expect(result.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
