// Typed tables in HooklakeStack: the schedule that refreshes every pipeline's schema through the
// api function, within the hour, through a role that may only invoke it.
import { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/app.ts';
import { SCHEMA_REFRESH_INTERVAL_MS } from '../../infra/local/stack.ts';
import { HooklakeStack } from '../../infra/stack.ts';
import { isSchemaRefreshEvent } from '../../shared/domain/lake/schema.ts';
import { flatten, type Json, permissionsOf, resourcesOfType } from './cfn.ts';

let stack: HooklakeStack;
let resources: Record<string, Json>;
const id = (construct: IConstruct) => stack.getLogicalId((CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement);

beforeAll(() => {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  stack = new HooklakeStack(app, 'HooklakeStack');
  resources = Template.fromStack(stack).toJSON().Resources;
});

describe('typed tables', () => {
  it('every 15 minutes (as the local stack) the schedule invokes the api function with the refresh message, through a role that may only invoke it', () => {
    const schedule = resources[id(stack.typedTables.schedule)].Properties;
    expect(schedule.ScheduleExpression).toBe('rate(15 minutes)');
    expect(SCHEMA_REFRESH_INTERVAL_MS).toBe(15 * 60_000);
    const api = `<${id(stack.api.fn)}.Arn>`;
    expect(flatten(schedule.Target.Arn)).toBe(api);
    expect(isSchemaRefreshEvent(JSON.parse(schedule.Target.Input))).toBe(true);
    expect(permissionsOf(resources, id(stack.typedTables.schedulerRole))).toEqual([`lambda:InvokeFunction ${api}`]);
    expect(resources[id(stack.typedTables.schedulerRole)].Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    const policies = resourcesOfType(resources, 'AWS::IAM::Policy')
      .filter(([, policy]) => policy.Properties.Roles.some((role: Json) => role.Ref === id(stack.typedTables.schedulerRole)))
      .map(([policyId]) => policyId);
    expect(resources[id(stack.typedTables.schedule)].DependsOn).toEqual(policies);
  });

  it('a scheduled refresh has the api function\'s whole timeout; an HTTP event is never taken for one', () => {
    expect(isSchemaRefreshEvent({ version: '2.0', rawPath: '/v4/pipelines', hooklake: undefined })).toBe(false);
    expect(isSchemaRefreshEvent(null)).toBe(false);
    expect(resources[id(stack.api.fn)].Properties.Timeout).toBe(29);
  });
});
