// Typed tables on AWS (docs/lake.md, "Typed tables"): an EventBridge Scheduler schedule that asks
// the api function to refresh every pipeline's schema every 15 minutes (so a new field is in the
// views within the hour), and the api's Glue grants to publish each pipeline's Athena view.
// The api function does the refresh: it already reads the lake (the console's inspector) and owns
// the pipelines, so no new function, bundle or lake grant is needed; its Glue writes are limited
// to the `pipeline_*` tables of the Hooklake database.
import { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { SCHEMA_REFRESH_EVENT } from '../../shared/domain/lake/schema.ts';
import { scheduleAs, schedulerRole } from './schedules.ts';

/** How often every pipeline's schema is refreshed (the local stack uses the same period). */
export const SCHEMA_REFRESH_RATE = 'rate(15 minutes)';

export interface TypedTablesProps {
  /** The api function: it runs the refresh (functions/api/app.ts, the schedule's entry). */
  api: lambda.IFunction;
  databaseName: string;
}

export class TypedTables extends Construct {
  readonly schedule: scheduler.CfnSchedule;
  readonly schedulerRole: iam.Role;
  /** What the api may do in Glue: create and update the views of the Hooklake database. */
  readonly glueActions = ['glue:CreateTable', 'glue:UpdateTable'];
  readonly glueResources: string[];

  constructor(scope: Construct, id: string, props: TypedTablesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const glue = (resource: string, resourceName?: string) => stack.formatArn({ service: 'glue', resource, ...(resourceName === undefined ? {} : { resourceName }) });
    this.glueResources = [glue('catalog'), glue('database', props.databaseName), glue('table', `${props.databaseName}/pipeline_*`)];

    const description = 'Hooklake typed tables: EventBridge Scheduler invokes the api function to refresh the schemas';
    this.schedulerRole = schedulerRole(this, description, 'lambda:InvokeFunction', props.api.functionArn);
    this.schedule = scheduleAs(this, 'Refresh', this.schedulerRole, props.api.functionArn, {
      description: "Hooklake: refreshes every pipeline's typed columns and its Athena view",
      scheduleExpression: SCHEMA_REFRESH_RATE,
      input: JSON.stringify(SCHEMA_REFRESH_EVENT),
      // A missed run is made up by the next one: no point retrying for long.
      retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 600 },
    });
  }
}
