// Checks a synthesized template's resources against the CloudFormation resource schemas that
// @aws-cdk/aws-service-spec carries: every property must exist for its type (at any depth), every
// required one must be there, and values must have the schema's shape. Intrinsic functions
// (Ref, Fn::*) stand for values resolved at deploy time and are accepted wherever a value goes.
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { Json } from './cfn.ts';

type SpecDatabase = Awaited<ReturnType<typeof loadAwsServiceSpec>>;
type PropertySpec = { type: PropertyType; required?: boolean; previousTypes?: PropertyType[] };
type PropertyType =
  | { type: 'string'; allowedValues?: string[] }
  | { type: 'number' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }
  | { type: 'integer'; allowedValues?: number[] }
  | { type: 'ref'; reference: { $ref: string } }
  | { type: 'array' | 'map'; element: PropertyType }
  | { type: 'union'; types: PropertyType[] };

/** Resource types with no schema: CDK's own metadata and custom resources. */
const UNSCHEMATIZED = /^(Custom::|AWS::CDK::Metadata$)/;

export class CfnSchemaValidator {
  private readonly db: SpecDatabase;
  private constructor(db: SpecDatabase) {
    this.db = db;
  }

  static async load(): Promise<CfnSchemaValidator> {
    return new CfnSchemaValidator(await loadAwsServiceSpec());
  }

  /** One line per problem: `<logical id> (<type>).<path>: <what>`. */
  validateTemplate(template: { Resources: Record<string, Json> }): string[] {
    const problems: string[] = [];
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const type = resource.Type as string;
      if (UNSCHEMATIZED.test(type)) continue;
      const [spec] = this.db.lookup('resource', 'cloudFormationType', 'equals', type);
      if (spec === undefined) {
        problems.push(`${logicalId}: ${type} is not a CloudFormation resource type`);
        continue;
      }
      this.checkObject(resource.Properties ?? {}, spec.properties as Record<string, PropertySpec>, `${logicalId} (${type})`, problems);
    }
    return problems;
  }

  private checkObject(value: Json, properties: Record<string, PropertySpec>, at: string, problems: string[]): void {
    if (isIntrinsic(value)) return;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${at}: expected an object, got ${JSON.stringify(value)}`);
      return;
    }
    for (const [name, child] of Object.entries(value)) {
      const spec = properties[name];
      if (spec === undefined) problems.push(`${at}.${name}: unknown property`);
      else this.checkAnyOf(child, [spec.type, ...(spec.previousTypes ?? [])], `${at}.${name}`, problems);
    }
    for (const [name, spec] of Object.entries(properties)) {
      if (spec.required && !(name in value)) problems.push(`${at}.${name}: required property missing`);
    }
  }

  /** The value must have one of the types (the current one, or one the property had before). */
  private checkAnyOf(value: Json, types: PropertyType[], at: string, problems: string[]): void {
    const attempts = types.map((type) => {
      const found: string[] = [];
      this.checkValue(value, type, at, found);
      return found;
    });
    if (attempts.some((found) => found.length === 0)) return;
    problems.push(...attempts[0]!);
  }

  private checkValue(value: Json, type: PropertyType, at: string, problems: string[]): void {
    if (isIntrinsic(value)) return;
    const fail = (expected: string) => problems.push(`${at}: expected ${expected}, got ${JSON.stringify(value)?.slice(0, 80)}`);
    switch (type.type) {
      case 'string':
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return void fail('a string');
        if (type.allowedValues !== undefined && typeof value === 'string' && !type.allowedValues.includes(value)) {
          fail(`one of ${type.allowedValues.join(', ')}`);
        }
        return;
      case 'number':
      case 'integer':
        if (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) {
          if (type.type === 'integer' && !Number.isInteger(Number(value))) fail('a whole number');
          return;
        }
        return void fail('a number');
      case 'boolean':
        if (typeof value === 'boolean' || value === 'true' || value === 'false') return;
        return void fail('true or false');
      case 'date-time':
        if (typeof value !== 'string') fail('a date-time string');
        return;
      case 'json':
        return;
      case 'null':
        if (value !== null) fail('null');
        return;
      case 'tag':
        return this.checkObject(value, { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } }, at, problems);
      case 'array':
        if (!Array.isArray(value)) return void fail('a list');
        value.forEach((element, index) => this.checkValue(element, type.element, `${at}[${index}]`, problems));
        return;
      case 'map':
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return void fail('a map');
        for (const [key, element] of Object.entries(value)) this.checkValue(element, type.element, `${at}.${key}`, problems);
        return;
      case 'ref': {
        const definition = this.db.get('typeDefinition', type.reference.$ref) as unknown as { properties: Record<string, PropertySpec> };
        return this.checkObject(value, definition.properties, at, problems);
      }
      case 'union':
        return this.checkAnyOf(value, type.types, at, problems);
    }
  }
}

/** `{ "Ref": … }`, `{ "Fn::GetAtt": … }` and the other intrinsic functions and conditions. */
function isIntrinsic(value: Json): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::') || keys[0] === 'Condition');
}
