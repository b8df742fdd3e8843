// The single table's attribute codec, for every store of it: keys, reading and writing typed
// attributes (absent stays absent), and telling a failed condition from any other error.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;
export type Key = { pk: { S: string }; sk: { S: string } };

export const key = (pk: string, sk: string): Key => ({ pk: { S: pk }, sk: { S: sk } });

/** A string attribute, or undefined. */
export const str = (item: Item, name: string): string | undefined => item[name]?.S;

/** A number attribute, or undefined. */
export const num = (item: Item, name: string): number | undefined => {
  const value = item[name]?.N;
  return value === undefined ? undefined : Number(value);
};

/** A string attribute to spread into an item: none when the value is absent. */
export const optS = (name: string, value: string | undefined): Item => (value === undefined ? {} : { [name]: { S: value } });

/** A number attribute to spread into an item: none when the value is absent. */
export const optN = (name: string, value: number | undefined): Item => (value === undefined ? {} : { [name]: { N: String(value) } });

/** JSON kept in a string attribute, or `fallback` when the attribute is absent. */
export const json = <T>(text: string | undefined, fallback: T): T => (text === undefined ? fallback : (JSON.parse(text) as T));

/** A conditional write's condition did not hold (by name: it holds across copies of the SDK). */
export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

/** Runs a conditional write: false when its condition did not hold, any other error thrown. */
export async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
