import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The file URL of the module that called `fn` (the first frame outside it), read from V8's
 * structured stack: what `import('./x.js')` in that module would resolve against. Falls back to
 * the main script, then to the current directory, when the stack says nothing (stackTraceLimit 0).
 */
export function callerUrl(fn: ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown)): string {
  const original = Error.prepareStackTrace;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.prepareStackTrace = (_error, structured) => structured;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, fn);
    if (Array.isArray(holder.stack)) sites = holder.stack as NodeJS.CallSite[];
  } finally {
    Error.prepareStackTrace = original;
  }
  for (const site of sites) {
    const file = site.getFileName();
    if (!file || file.startsWith('node:')) continue;
    if (file.startsWith('file:')) return file;
    if (file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file)) return pathToFileURL(file).href;
  }
  const script = process.argv[1];
  if (script) return pathToFileURL(script).href;
  return pathToFileURL(`${process.cwd()}/`).href;
}

/** `path` resolved against the directory of the module at `base` (a relative path, as import resolves './x.js'). */
export function resolveFrom(base: string, path: string): string {
  if (path.startsWith('file:')) return new URL(path).href;
  if (isAbsolute(path)) return pathToFileURL(path).href;
  return pathToFileURL(resolve(dirname(fileURLToPath(base)), path)).href;
}
