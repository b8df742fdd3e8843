// The synthesized template against the CloudFormation resource schemas (@aws-cdk/aws-service-spec):
// no unknown property, no missing required one, values of the schema's shape, for the default
// settings and for a stack with every optional resource turned on.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/app.ts';
import { HooklakeStack, propsFromContext } from '../../infra/stack.ts';
import { CfnSchemaValidator } from './cfn-schema.ts';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

let validator: CfnSchemaValidator;
beforeAll(async () => {
  validator = await CfnSchemaValidator.load();
}, 60_000);

const templateOf = (context: Record<string, unknown>) => {
  const app = new App({ context: { ...cdkJsonContext(), ...NO_BUNDLING, ...context } });
  const stack = new HooklakeStack(app, 'HooklakeStack', propsFromContext(app.node));
  return Template.fromStack(stack).toJSON() as { Resources: Record<string, unknown> };
};

describe('CloudFormation resource schemas', () => {
  it.each([
    ['the defaults (cdk.json)', {}],
    [
      'every optional resource and property on (alarm e-mail, tracing, reservations)',
      {
        'hooklake:alarmEmail': 'ops@example.com',
        'hooklake:tracing': true,
        'hooklake:lambdaConcurrencyQuota': 1000,
        'hooklake:apiReservedConcurrency': 10,
        'hooklake:receiverReservedConcurrency': 50,
      },
    ],
    ['the function URL front door (hooklake:frontDoor=functionUrl)', { 'hooklake:frontDoor': 'functionUrl' }],
  ])('every resource of %s has only known properties, all the required ones, of the right shape', (_name, context) => {
    const template = templateOf(context);
    expect(Object.keys(template.Resources).length).toBeGreaterThan(50);
    expect(validator.validateTemplate(template as never)).toEqual([]);
  }, 120_000);

  it('reports an unknown property, a missing required one, a wrong shape and an unknown type (so an empty list above means something)', () => {
    const template = {
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30, VisibiltyTimeout: 30, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 } } },
        Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: 'arn', ScalingConfig: { MaximumConcurency: 2 } } },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { Ref: 'R' }, Code: { ZipFile: 'x' }, MemorySize: 'lots', Architectures: 'arm64' } },
        Odd: { Type: 'AWS::Nope::Thing', Properties: {} },
        Meta: { Type: 'AWS::CDK::Metadata', Properties: { Analytics: 'x' } },
      },
    };
    expect(validator.validateTemplate(template).sort()).toEqual(
      [
        'Queue (AWS::SQS::Queue).VisibiltyTimeout: unknown property',
        'Mapping (AWS::Lambda::EventSourceMapping).FunctionName: required property missing',
        'Mapping (AWS::Lambda::EventSourceMapping).ScalingConfig.MaximumConcurency: unknown property',
        'Fn (AWS::Lambda::Function).MemorySize: expected a number, got "lots"',
        'Fn (AWS::Lambda::Function).Architectures: expected a list, got "arm64"',
        'Odd: AWS::Nope::Thing is not a CloudFormation resource type',
      ].sort(),
    );
  });
});
