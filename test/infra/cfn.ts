// Reading synthesized CloudFormation in infra tests: references rendered the way cdk-nag names
// them, and the exact (action, resource, condition) triples a role is allowed.
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

/**
 * A statement's Condition block as one line, e.g.
 * `ForAllValues:StringLike dynamodb:LeadingKeys=REJECTED#*`; operators, keys and values sorted.
 */
export function conditionText(condition: Json): string {
  return Object.keys(condition)
    .sort()
    .flatMap((operator) =>
      Object.keys(condition[operator])
        .sort()
        .map((key) => `${operator} ${key}=${asArray(condition[operator][key]).map(flatten).sort().join(',')}`),
    )
    .join(' & ');
}

/**
 * Every (action, resource[, condition]) triple the role's attached policies allow, sorted:
 * `dynamodb:UpdateItem <Table.Arn> if ForAllValues:StringLike dynamodb:LeadingKeys=REJECTED#*`.
 * Only Allow statements exist; a condition is part of the permission, so dropping one shows.
 */
export function permissionsOf(resources: Record<string, Json>, roleLogicalId: string): string[] {
  const pairs: string[] = [];
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    if (!resource.Properties.Roles.some((role: Json) => role.Ref === roleLogicalId)) continue;
    for (const statement of resource.Properties.PolicyDocument.Statement) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.NotAction).toBeUndefined();
      expect(statement.NotResource).toBeUndefined();
      const condition = statement.Condition === undefined ? '' : ` if ${conditionText(statement.Condition)}`;
      for (const action of asArray(statement.Action)) {
        for (const target of asArray(statement.Resource)) pairs.push(`${action} ${flatten(target)}${condition}`);
      }
    }
  }
  return pairs.sort();
}

export function resourcesOfType(resources: Record<string, Json>, type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}
