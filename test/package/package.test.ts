/**
 * The package as users get it: `npm pack`, installed into a scratch project that holds an ES
 * module folder and a CommonJS folder, each requiring or importing every entry point and
 * running real jobs, and type-checked as a TypeScript consumer under node16, nodenext and bundler.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRedis, startRedis, type RedisHandle } from '../bullmq/redis.js';
import '../helpers.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRATCH = fileURLToPath(new URL('./scratch', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');
const requireFromRoot = createRequire(join(ROOT, 'package.json'));
/** The versions this repository was tested with, so npm finds them in its cache. */
const version = (name: string) => (requireFromRoot(`${name}/package.json`) as { version: string }).version;

interface Packed {
  filename: string;
  files: Array<{ path: string }>;
}

let dir: string;
let app: string;
let tarball: string;
let packed: Packed;

async function run(file: string, args: string[], cwd: string, timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(file, args, { cwd, timeout, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forkpool-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], ROOT);
  packed = (JSON.parse(stdout) as Packed[])[0] as Packed;
  tarball = join(dir, packed.filename);
  app = join(dir, 'app');
  await cp(SCRATCH, app, { recursive: true });
  await writeFile(join(app, 'package.json'), '{ "name": "scratch", "private": true }\n');
  // --prefer-offline: the npm cache has every package after `npm ci`; a fresh cache fetches them.
  const deps = [tarball, `bullmq@${version('bullmq')}`, `ioredis@${version('ioredis')}`, `@types/node@${version('@types/node')}`];
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...deps], app, 170_000);
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const LOCAL = { pool: 49, closed: 'ERR_POOL_CLOSED', compat: 64 };

/** Every file an `exports` entry names, e.g. `dist/cjs/index.d.ts`. */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [normalize(value)];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(exportTargets);
}

describe('the packed tarball', () => {
  it('ships LICENSE, README, CHANGELOG, package.json, both builds and no tests', () => {
    const files = new Set(packed.files.map((file) => file.path));
    for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/index.js', 'dist/cjs/index.js', 'dist/cjs/package.json', 'dist/cli/main.js']) {
      expect(files, file).toContain(file);
    }
    expect([...files].filter((file) => /^(test|bench|scripts)\//.test(file) || file.endsWith('.test.ts'))).toEqual([]);
  });

  it('ships every file its package.json points at', async () => {
    const manifest = JSON.parse(await readFile(join(app, 'node_modules', 'forkpool', 'package.json'), 'utf8')) as Record<string, unknown>;
    const files = new Set(packed.files.map((file) => file.path));
    const bin = manifest['bin'] as Record<string, string>;
    const targets = [...exportTargets(manifest['exports']), normalize(manifest['main'] as string), normalize(manifest['types'] as string), ...Object.values(bin).map((path) => normalize(path))];
    expect(targets.length).toBeGreaterThan(16);
    for (const target of targets) expect(files, target).toContain(target);
  });

  it('ships the sources its source maps name', async () => {
    const files = new Set(packed.files.map((file) => file.path));
    const maps = [...files].filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(30);
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(app, 'node_modules', 'forkpool', map), 'utf8')) as { sources: string[] };
      expect(sources.length, map).toBeGreaterThan(0);
      for (const source of sources) expect(files, `${map} names ${source}`).toContain(normalize(join(dirname(map), source)));
    }
  });

  it.each(['esm', 'cjs'])('runs a job through every entry point from a %s project', async (format) => {
    const { stdout } = await run(process.execPath, [join(format, 'main.js')], app, 60_000);
    expect(JSON.parse(stdout)).toEqual({ format, ...LOCAL });
  }, 70_000);

  it.each(['node16', 'nodenext', 'bundler'])('type-checks ES module and CommonJS consumers under "%s" resolution', async (resolution) => {
    const bundler = resolution === 'bundler';
    const tsconfig = {
      compilerOptions: { module: bundler ? 'esnext' : resolution, moduleResolution: resolution, target: 'es2022', strict: true, noEmit: true, types: ['node'] },
      // Under bundler resolution every import takes the "import" condition: the CommonJS consumer has nothing to add.
      files: bundler ? ['esm/consumer.ts'] : ['esm/consumer.ts', 'cjs/consumer.ts'],
    };
    await writeFile(join(app, `tsconfig.${resolution}.json`), JSON.stringify(tsconfig));
    await run(join(BIN, 'tsc'), ['-p', `tsconfig.${resolution}.json`], app);
  }, 120_000);

  it('has types that resolve for every entry and condition (attw) and a valid package.json (publint)', async () => {
    // node10 resolution (no "exports") is not supported: forkpool needs Node 20.
    await run(join(BIN, 'attw'), [tarball, '--profile', 'node16', '--format', 'ascii'], dir);
    const { stdout } = await run(join(BIN, 'publint'), ['run', tarball, '--strict'], dir);
    expect(stdout).toContain('All good');
  }, 120_000);
});

describeRedis('the packed tarball with Redis', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it.each(['esm', 'cjs'])('runs a job through forkpool/bullmq from a %s project', async (format) => {
    const { stdout } = await run(process.execPath, [join(format, 'main.js'), redis.url], app, 60_000);
    expect(JSON.parse(stdout)).toEqual({ format, ...LOCAL, bullmq: 81 });
  }, 70_000);
});
