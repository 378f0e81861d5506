import { InvalidArgumentError } from 'commander';

/** A commander argument parser for a task name: an export of the worker module, never empty. */
export function taskArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected the name of a function the worker module exports, e.g. --task resize.');
  return value;
}

/** A commander argument parser for integers >= `min`; the message says what to pass instead. */
export function integerArg(min: number, example: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}, e.g. ${example}.`);
    }
    return Number(value);
  };
}
