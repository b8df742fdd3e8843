// EventBridge Scheduler schedules, as the typed tables and the syncs use them: a role the
// scheduler assumes, allowed one action on its target, and schedules that wait for that role's
// policy. A schedule starts firing as soon as it exists; without the dependency its first runs can
// come before the policy (a resource of its own) and be refused. (The role itself a schedule
// already waits for, through its RoleArn.)
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';

export interface ScheduleProps {
  description: string;
  scheduleExpression: string;
  /** The event the target receives (text). */
  input: string;
  retryPolicy: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number };
}

/** The role (`<scope>/SchedulerRole`) a scheduler assumes to do `action` on `targetArn`. */
export function schedulerRole(scope: Construct, description: string, action: string, targetArn: string): iam.Role {
  const role = new iam.Role(scope, 'SchedulerRole', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'), description });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [action], resources: [targetArn] }));
  return role;
}

/** A schedule that sends `props.input` to `targetArn` as `role`, created after the role's policy. */
export function scheduleAs(scope: Construct, id: string, role: iam.Role, targetArn: string, props: ScheduleProps): scheduler.CfnSchedule {
  const schedule = new scheduler.CfnSchedule(scope, id, {
    description: props.description,
    scheduleExpression: props.scheduleExpression,
    flexibleTimeWindow: { mode: 'OFF' },
    target: { arn: targetArn, roleArn: role.roleArn, input: props.input, retryPolicy: props.retryPolicy },
  });
  schedule.node.addDependency(role.node.findChild('DefaultPolicy'));
  return schedule;
}
