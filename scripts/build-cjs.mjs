/**
 * Builds dist/cjs from tsc's ESM output in dist/, so `require('forkpool')` works on Node 20,
 * which cannot require() an ES module without a flag.
 *
 * Each file is converted on its own (no bundling), so the tree keeps its layout and relative
 * requires. `import.meta.url` becomes the URL of the file's ESM twin: every path the code builds
 * from it (child entry points, package.json) lands in the ESM tree, so worker processes run the
 * same ESM code whichever format their parent loaded. Declarations are copied beside the CJS
 * files so CommonJS consumers get types that describe CommonJS (TypeScript reads a `.d.ts` in the
 * format of its folder's package.json). No source maps: they would name the ESM files, not src/.
 * Only the modules the package's entry points reach are converted: process entry points (the
 * CLI, the worker mains) always run as ESM and may use top-level await.
 */
import { build, transform } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ESM = 'dist';
const CJS = join(ESM, 'cjs');

const ENTRIES = ['index.js', 'worker.js', 'compat/index.js', 'bullmq/index.js'];

/** The files `ENTRIES` reach through static and dynamic imports, relative to dist/. */
async function reachable() {
  const { metafile } = await build({
    entryPoints: ENTRIES.map((entry) => join(ESM, entry)),
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    outdir: 'unused',
    splitting: true,
    packages: 'external',
    logLevel: 'silent',
  });
  return new Set(Object.keys(metafile.inputs).map((input) => relative(ESM, input)));
}

const needed = await reachable();

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== CJS) yield* files(path);
    } else yield path;
  }
}

for (const path of files(ESM)) {
  const rel = relative(ESM, path);
  const out = join(CJS, rel);
  if (path.endsWith('.d.ts')) {
    mkdirSync(dirname(out), { recursive: true });
    copyFileSync(path, out);
    continue;
  }
  if (!path.endsWith('.js') || !needed.has(rel)) continue;
  const source = readFileSync(path, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  const usesMeta = source.includes('import.meta');
  const twin = relative(dirname(out), path);
  const { code } = await transform(source, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcefile: rel,
    define: usesMeta ? { 'import.meta.url': '__esmTwinUrl' } : {},
    banner: usesMeta
      ? `const __esmTwinUrl = require("node:url").pathToFileURL(require("node:path").join(__dirname, ${JSON.stringify(twin)})).href;`
      : '',
  });
  if (code.includes('import.meta')) throw new Error(`${rel}: import.meta other than import.meta.url cannot be converted to CommonJS`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
}
writeFileSync(join(CJS, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
