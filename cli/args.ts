// Argument parsers shared by the commands; a bad value is a usage error (exit code 2).
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return Number(value);
}

/** `1,2,3` → [1, 2, 3]. */
export function positiveIntList(value: string): number[] {
  const parts = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (parts.length === 0) throw new InvalidArgumentError('expected a comma-separated list of pipeline ids.');
  return parts.map((part) => {
    try {
      return positiveInt(part);
    } catch {
      throw new InvalidArgumentError(`"${part}" is not a pipeline id (a positive integer).`);
    }
  });
}

export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty.');
  return value;
}
