/**
 * Runs every code block the README and docs/ mark as an example, against the built package:
 *
 * - ```js example: a program, written to a scratch folder (one per page) and run with node;
 * - ```sh example: a bash script, run there with the `forkpool` command on PATH;
 * - `file=NAME` after `example`: not run, written as NAME for the page's programs to use;
 * - `redis` after `example`: needs Redis, whose URL the program finds in REDIS_URL;
 * - a ```text output block right after a program: what its stdout must be.
 *
 * A program must exit with code 0 within the time limit. `forkpool` resolves to this checkout, and
 * the dev packages an example may import (EXAMPLE_PACKAGES) to this checkout's node_modules.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRedis, startRedis, type RedisHandle } from '../bullmq/redis.js';
import '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const TIMEOUT_MS = 30_000;
/** Packages the examples import besides forkpool (docs/observability.md: the OpenTelemetry API). */
const EXAMPLE_PACKAGES = ['@opentelemetry/api'];

interface Example {
  lang: 'js' | 'sh';
  line: number;
  code: string;
  file: string | undefined;
  redis: boolean;
  output: string | undefined;
}

/** The marked blocks of a page, in order. */
function examples(markdown: string): Example[] {
  const found: Example[] = [];
  const fence = /^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (let match = fence.exec(markdown); match !== null; match = fence.exec(markdown)) {
    const [lang = '', ...words] = (match[1] ?? '').trim().split(/\s+/);
    const code = match[2] ?? '';
    const line = markdown.slice(0, match.index).split('\n').length;
    if (lang === 'text' && words[0] === 'output') {
      const previous = found.at(-1);
      if (previous === undefined || previous.file !== undefined || previous.output !== undefined) {
        throw new Error(`line ${line}: a "text output" block must follow an example program`);
      }
      previous.output = code;
      continue;
    }
    if (words[0] !== 'example') continue;
    if (lang !== 'js' && lang !== 'sh') throw new Error(`line ${line}: examples are js or sh, not "${lang}"`);
    const file = words.find((word) => word.startsWith('file='))?.slice('file='.length);
    found.push({ lang, line, code, file, redis: words.includes('redis'), output: undefined });
  }
  return found;
}

/** A folder where `forkpool` (import, require and the command) is this checkout's build. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-docs-'));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'forkpool'), 'dir');
  for (const name of EXAMPLE_PACKAGES) {
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  }
  writeFileSync(join(dir, 'node_modules', '.bin', 'forkpool'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'dist', 'cli', 'main.js')}" "$@"\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  return dir;
}

function run(example: Example, dir: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const program = join(dir, `example-${example.line}.${example.lang === 'js' ? 'mjs' : 'sh'}`);
  writeFileSync(program, example.code);
  const [file, args] = example.lang === 'js' ? [process.execPath, [program]] : ['bash', ['-euo', 'pipefail', program]];
  return new Promise((resolve) => {
    execFile(file, args, { cwd: dir, env, timeout: TIMEOUT_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

function describePage(page: string, list: Example[], redisUrl: () => string | undefined): void {
  let dir: string;
  beforeAll(() => {
    dir = scratch();
    for (const example of list) if (example.file !== undefined) writeFileSync(join(dir, example.file), example.code);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  for (const example of list.filter((e) => e.file === undefined)) {
    it(`${page}:${example.line} runs as written`, async () => {
      const url = redisUrl();
      const env = { ...process.env, PATH: `${join(dir, 'node_modules', '.bin')}:${process.env['PATH'] ?? ''}`, ...(url ? { REDIS_URL: url } : {}) };
      const { code, stdout, stderr } = await run(example, dir, env);
      expect({ code, stderr: code === 0 ? '' : stderr }, `${page}:${example.line}\n${stdout}`).toEqual({ code: 0, stderr: '' });
      if (example.output !== undefined) expect(stdout).toBe(example.output);
    }, TIMEOUT_MS + 5_000);
  }
}

const byPage = PAGES.map((page) => [page, examples(readFileSync(join(ROOT, page), 'utf8'))] as const);

describe('documentation examples', () => {
  it('README and every docs page have at least one example program', () => {
    for (const [page, list] of byPage) expect(list.filter((e) => e.file === undefined).length, page).toBeGreaterThan(0);
  });

  it('every relative link in README and docs/ names a file that exists', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const text = readFileSync(join(ROOT, page), 'utf8');
      for (const [, target = ''] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (!/^[a-z]+:/.test(target) && !existsSync(join(ROOT, dirname(page), target))) broken.push(`${page} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the parser finds programs, files, flags and outputs, and refuses a stray output block', () => {
    const page = ['```js example file=w.js', 'export default 1;', '```', '```sh example redis', 'echo hi', '```', '```text output', 'hi', '```', '```js', 'not run', '```', ''].join('\n');
    expect(examples(page)).toEqual([
      { lang: 'js', line: 1, code: 'export default 1;\n', file: 'w.js', redis: false, output: undefined },
      { lang: 'sh', line: 4, code: 'echo hi\n', file: undefined, redis: true, output: 'hi\n' },
    ]);
    expect(() => examples('```text output\nx\n```\n')).toThrow(/must follow an example program/);
  });
});

for (const [page, list] of byPage) {
  const local = list.filter((example) => !example.redis);
  const remote = list.filter((example) => example.redis);
  if (local.length > 0) describe(`${page} (examples)`, () => describePage(page, local, () => undefined));
  if (remote.length > 0) {
    describeRedis(`${page} (examples with Redis)`, () => {
      let redis: RedisHandle | undefined;
      beforeAll(async () => {
        redis = await startRedis();
      });
      afterAll(async () => {
        await redis?.stop();
      });
      describePage(page, remote, () => redis?.url);
    });
  }
}
