import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as forkpool from '../dist/index.js';

const page = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('every code has its row in docs/errors.md, and every row is a code', () => {
    const rows = [...page.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(rows.sort()).toEqual([...forkpool.ERROR_CODES].sort());
  });

  it('every exported error class has a listed code and is a ForkpoolError', () => {
    const classes = Object.entries(forkpool).filter(
      ([name, value]) => typeof value === 'function' && name.endsWith('Error') && name !== 'ForkpoolError',
    );
    expect(classes.length).toBeGreaterThan(10);
    for (const [name, Ctor] of classes) {
      // The prototype chain itself, not instanceof (which also accepts branded look-alikes).
      expect(Object.prototype.isPrototypeOf.call(forkpool.ForkpoolError.prototype, (Ctor as { prototype: object }).prototype), name).toBe(true);
    }
    const codes = new Set<string>(forkpool.ERROR_CODES);
    const samples: forkpool.ForkpoolError[] = [
      new forkpool.InvalidOptionError('x', 'y'),
      new forkpool.PoolClosedError(),
      new forkpool.JobTimeoutError(1),
      new forkpool.WorkerCrashedError({ exitCode: 1, signal: null, pid: 1, stderr: '', attempts: 1 }),
      new forkpool.WorkerInitError('the worker module failed to start'),
      new forkpool.UnserializableError('job'),
      new forkpool.MessageTooLargeError('job', 2, 1),
      new forkpool.NoPendingJobsError(),
      new forkpool.QueueFullError(1),
      new forkpool.CallbackUnknownError('a', []),
      new forkpool.TaskUnknownError('resize', ['default', 'thumbnail']),
      new forkpool.CallbackFailedError('a', new Error('b')),
      new forkpool.CallbackTimeoutError('a', 1),
      new forkpool.ProtocolError('invalid frame length'),
      new forkpool.PreforkChildOnlyError('finish'),
      new forkpool.AbortError(),
    ];
    // One sample per exported class, so a new class cannot go unchecked.
    expect(samples.map((error) => error.constructor.name).sort()).toEqual(classes.map(([name]) => name).sort());
    for (const error of samples) {
      expect(error.name, error.code).toBe(error.constructor.name);
      expect(codes.has(error.code), error.code).toBe(true);
      expect(error).toBeInstanceOf(Error);
      expect(error.message.length).toBeGreaterThan(5);
    }
  });

  it('TaskUnknownError names the task asked for and lists the tasks the module has', () => {
    const error = new forkpool.TaskUnknownError('resize', ['default', 'thumbnail']);
    expect(error.message).toBe('The worker module has no task "resize"; its tasks are: default, thumbnail.');
    expect([error.code, error.task, error.tasks]).toEqual(['ERR_TASK_UNKNOWN', 'resize', ['default', 'thumbnail']]);
    expect(new forkpool.TaskUnknownError('resize', []).message).toMatch(/exports no tasks/);
  });

  it('instanceof ForkpoolError holds for an error branded by another copy of the package', () => {
    const foreign = new Error('x');
    Object.defineProperty(foreign, Symbol.for('forkpool.error'), { value: true });
    expect(foreign instanceof forkpool.ForkpoolError).toBe(true);
    expect(new Error('plain') instanceof forkpool.ForkpoolError).toBe(false);
  });
});
