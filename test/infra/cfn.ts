// Reading synthesized CloudFormation in infra tests: references rendered the way cdk-nag names
// them, and the exact (action, resource) pairs a role is allowed.
import { expect } from 'vitest';

export type Json = any; // CloudFormation template fragments

/** Renders Ref/GetAtt/Join like cdk-nag does: `<Logical.Arn>/claims/*`. */
export function flatten(value: Json): string {
  if (typeof value === 'string') return value;
  if (value?.Ref) return `<${value.Ref}>`;
  if (value?.['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map(flatten).join(value['Fn::Join'][0]);
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every (action, resource) pair the role's attached policies allow, sorted. */
export function permissionsOf(resources: Record<string, Json>, roleLogicalId: string): string[] {
  const pairs: string[] = [];
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    if (!resource.Properties.Roles.some((role: Json) => role.Ref === roleLogicalId)) continue;
    for (const statement of resource.Properties.PolicyDocument.Statement) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Condition).toBeUndefined();
      for (const action of asArray(statement.Action)) {
        for (const target of asArray(statement.Resource)) pairs.push(`${action} ${flatten(target)}`);
      }
    }
  }
  return pairs.sort();
}

export function resourcesOfType(resources: Record<string, Json>, type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}
