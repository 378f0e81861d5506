import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WorkerHandlers } from './types.js';

const TS_EXTENSION = /\.(c|m)?tsx?$/;

/**
 * TypeScript workers run through the user's own `tsx`, resolved from the worker's folder, so
 * forkpool itself ships no TypeScript loader.
 */
async function registerTsx(moduleUrl: string): Promise<void> {
  const require = createRequire(fileURLToPath(moduleUrl));
  let apiPath: string;
  try {
    // The ESM build of tsx's register API (its CommonJS build cannot register ESM hooks from here).
    const manifestPath = require.resolve('tsx/package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> };
    apiPath = join(dirname(manifestPath), manifest.exports?.['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs');
  } catch {
    throw new Error(`The worker ${fileURLToPath(moduleUrl)} is TypeScript: install "tsx" in your project (npm i -D tsx) or point "worker" at compiled JavaScript.`);
  }
  const api = (await import(pathToFileURL(apiPath).href)) as { register: () => unknown };
  api.register();
}

export async function loadWorkerModule(moduleUrl: string): Promise<WorkerHandlers> {
  if (TS_EXTENSION.test(moduleUrl)) await registerTsx(moduleUrl);
  const mod = (await import(moduleUrl)) as Record<string, unknown>;
  let work = mod.default;
  // A CommonJS module imported as ESM puts module.exports on `default`.
  if (work && typeof work === 'object' && typeof (work as Record<string, unknown>).default === 'function') {
    work = (work as Record<string, unknown>).default;
  }
  if (typeof work !== 'function' && typeof mod.work === 'function') work = mod.work;
  const init = mod.init ?? (mod.default as Record<string, unknown> | undefined)?.init;
  const teardown = mod.teardown ?? (mod.default as Record<string, unknown> | undefined)?.teardown;
  return {
    work: work as WorkerHandlers['work'],
    init: typeof init === 'function' ? (init as WorkerHandlers['init']) : undefined,
    teardown: typeof teardown === 'function' ? (teardown as WorkerHandlers['teardown']) : undefined,
    tasks: namedTasks(mod, work),
  };
}

/** Not tasks: the lifecycle hooks, and the legacy `work` export when it is the default task. */
const NOT_TASKS = new Set(['init', 'teardown']);

/** Every exported function is a task by its name; `default` is the default export. */
function namedTasks(mod: Record<string, unknown>, work: unknown): Map<string, WorkerHandlers['work']> {
  const tasks = new Map<string, WorkerHandlers['work']>();
  if (typeof work === 'function') tasks.set('default', work as WorkerHandlers['work']);
  // A CommonJS module's exports arrive on `default` (and, for some, as named exports too).
  const cjs = mod.default && typeof mod.default === 'object' ? (mod.default as Record<string, unknown>) : undefined;
  for (const source of [cjs, mod]) {
    if (!source) continue;
    for (const [name, value] of Object.entries(source)) {
      if (name === 'default' || NOT_TASKS.has(name) || typeof value !== 'function') continue;
      tasks.set(name, value as WorkerHandlers['work']);
    }
  }
  return tasks;
}
