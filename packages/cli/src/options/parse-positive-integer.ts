import { InvalidArgumentError } from 'commander';

/** Parses an option that must be a whole number above zero (e.g. `--max-tokens`). */
export function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError('expected a whole number above 0.');
  }
  return number;
}
