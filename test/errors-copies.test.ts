/**
 * `instanceof` across two copies of the built package (what nested installs produce), and across
 * the ES module and CommonJS builds of one copy, for every error class.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type ErrorClass = new (...args: never[]) => Error & { code: string };
type Classes = Map<string, ErrorClass>;

const DIST = fileURLToPath(new URL('../dist', import.meta.url));
/** The modules that define error classes, relative to dist/. */
const MODULES = ['index.js', 'cli/errors.js', 'bullmq/errors.js'];

/** Arguments that build one instance of each class; a class missing here fails the test. */
const ARGS: Record<string, unknown[]> = {
  InvalidOptionError: ['workers', 'expected an integer'],
  PoolClosedError: [],
  JobTimeoutError: [10],
  WorkerCrashedError: [{ exitCode: 1, signal: null, pid: 1, stderr: '', attempts: 1 }],
  WorkerInitError: ['no default export'],
  UnserializableError: ['job'],
  MessageTooLargeError: ['job', 2, 1],
  NoPendingJobsError: [],
  QueueFullError: [1],
  CallbackUnknownError: ['log', []],
  TaskUnknownError: ['resize', ['default']],
  CallbackFailedError: ['log', new Error('boom')],
  CallbackTimeoutError: ['log', 5],
  ProtocolError: ['invalid frame length'],
  PreforkChildOnlyError: ['finish'],
  AbortError: [],
  UsageError: ['no worker module'],
  BadInputError: ['Unexpected token'],
  BadOutputError: ['BigInt'],
  RedisUnavailableError: ['connect'],
  WorkerHostLostError: ['stalled 3 times'],
  JobLostError: ['42'],
};

function collect(modules: Array<Record<string, unknown>>): Classes {
  const classes: Classes = new Map();
  for (const mod of modules) {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === 'function' && value.prototype instanceof Error) classes.set(name, value as ErrorClass);
    }
  }
  return classes;
}

const make = (classes: Classes, name: string) => new (classes.get(name) as new (...args: unknown[]) => Error & { code: string })(...(ARGS[name] ?? []));

let root: string;
const copies: Classes[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'forkpool-copies-'));
  for (const copy of ['a', 'b']) {
    await cp(DIST, join(root, copy, 'dist'), { recursive: true });
    await writeFile(join(root, copy, 'package.json'), '{ "type": "module" }\n');
    copies.push(collect(await Promise.all(MODULES.map((mod) => import(pathToFileURL(join(root, copy, 'dist', mod)).href) as Promise<Record<string, unknown>>))));
  }
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** Every class of `from` made once, checked against every class of `to`. */
function checkAcross(from: Classes, to: Classes): void {
  for (const name of from.keys()) {
    if (name === 'ForkpoolError') continue;
    const error = make(from, name);
    expect(Symbol.for(`forkpool.error.${error.code}`) in error, `${name} is branded with its code ${error.code}`).toBe(true);
    for (const [other, Class] of to) {
      expect(error instanceof Class, `${name} instanceof the other copy's ${other}`).toBe(other === name || other === 'ForkpoolError');
    }
  }
}

describe('instanceof across copies of the package', () => {
  it('finds every error class and knows how to build it', () => {
    const [a, b] = copies as [Classes, Classes];
    expect([...a.keys()].sort()).toEqual(['ForkpoolError', ...Object.keys(ARGS)].sort());
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    // Two copies: the classes differ, so only the brands can make instanceof hold.
    expect(a.get('JobTimeoutError')).not.toBe(b.get('JobTimeoutError'));
  });

  it('holds for each subclass and the base, both ways, and for no other class', () => {
    const [a, b] = copies as [Classes, Classes];
    checkAcross(a, b);
    checkAcross(b, a);
  });

  it('holds between the ES module and CommonJS builds of one copy', () => {
    const require = createRequire(import.meta.url);
    const esm = copies[0] as Classes;
    // The CLI runs as an ES module only: its classes have no CommonJS build.
    const cjs = collect(MODULES.filter((mod) => !mod.startsWith('cli/')).map((mod) => require(join(DIST, 'cjs', mod)) as Record<string, unknown>));
    expect([...cjs.keys()].sort()).toEqual([...esm.keys()].filter((name) => !['UsageError', 'BadInputError', 'BadOutputError'].includes(name)).sort());
    checkAcross(esm, cjs);
    checkAcross(cjs, esm);
  });

  it('does not hold for unrelated values, look-alikes or a subclass of a subclass', () => {
    const [a, b] = copies as [Classes, Classes];
    const lookAlike = Object.assign(new Error('late'), { name: 'JobTimeoutError', code: 'ERR_JOB_TIMEOUT' });
    const unrelated: unknown[] = [new Error('plain'), new TypeError('type'), lookAlike, { code: 'ERR_JOB_TIMEOUT' }, null, undefined, 'ERR_JOB_TIMEOUT', 42];
    for (const value of unrelated) {
      for (const [name, Class] of b) expect(value instanceof Class, `${String(value)} instanceof ${name}`).toBe(false);
    }
    // A user's subclass has no brand of its own: it matches only its own instances.
    const Timeout = a.get('JobTimeoutError') as unknown as new (ms: number) => Error;
    class LongJobTimeout extends Timeout {}
    expect(new LongJobTimeout(5) instanceof (b.get('JobTimeoutError') as ErrorClass)).toBe(true);
    expect(new Timeout(5) instanceof LongJobTimeout).toBe(false);
    expect(make(b, 'JobTimeoutError') instanceof LongJobTimeout).toBe(false);
  });
});
