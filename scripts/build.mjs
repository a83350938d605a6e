// `npm run build` (also the `prepare` step of `npm ci`): compiles every shipped module under
// runner/ and operator/ to JavaScript in dist/, so no transpiler runs when a command starts
// (docs/adr/0020-compiled-build-with-source-fallback.md).
//
// Every non-test .ts file is an entry point, so a new entry point (a `raas web`, say) is
// built without touching this file; code shared between entry points lands in chunks once
// (module identity, e.g. `instanceof RunError`, is kept). Third-party packages are bundled
// too: Node's ESM loader parses every CommonJS dependency with its export lexer at start,
// which for DuckDB's API and commander cost more than the work of a 10k-row recon.
//
// Plain JavaScript on purpose: it must run before anything is compiled, without tsx.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestSourceMtime, SOURCE_DIRS, STAMP_FILE } from '../bin/entry.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist');
// Built next to dist/ and swapped in at the end, so a command started during a build sees
// either the old complete build, no build (and runs the sources), or the new one.
const TMP_OUT = join(ROOT, `.dist-build-${process.pid}`);

// Packages left to Node at run time: native bindings cannot be bundled, and pino resolves
// its worker-thread transports by file path. Packages imported with import() stay external
// too (see shippedOnly).
// ssh2 and the database drivers carry optional native addons (sshcrypto, cpu-features, pg-native).
const EXTERNAL = ['@duckdb/node-bindings', '@duckdb/node-bindings-*', 'pino', 'thread-stream', 'ssh2', 'ssh2-sftp-client', 'cpu-features', 'basic-ftp', 'pg', 'pg-cursor', 'pg-native', 'mysql2'];

async function sources(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** A module that imports from test/ (today only `raas sandbox`, built from the test servers). */
/** `import('pkg')` of a package (not a relative path or a node: built-in). */
const DYNAMIC_PACKAGE = /\bimport\(\s*['"]((?:@[\w.-]+\/)?[\w-][\w.-]*)(?:\/[^'"]*)?['"]\s*\)/g;
const TEST_IMPORT = /\bfrom\s+['"](?:\.\.\/)+test\//;
const EXPORTED = /^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)/gm;

/**
 * Shipped code never imports test/ (STYLE). A module that does is a developer tool that runs
 * from a source checkout only (bin/raas.js starts `sandbox` from the sources): it is not
 * compiled, and a compiled module importing it gets a stub whose exports throw one clear
 * line instead of a copy of test/support. Any other import of test/ fails the build.
 */
function shippedOnly(sourceOnly) {
  return {
    name: 'shipped-only',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = resolve(args.resolveDir, args.path);
        if (sourceOnly.has(target)) return { path: target, namespace: 'source-only' };
        if (relative(ROOT, target).split(sep)[0] === 'test') {
          return { errors: [{ text: `${relative(ROOT, args.importer)} imports ${args.path}: shipped code must not import test/` }] };
        }
        return undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'source-only' }, async (args) => {
        const names = [...(await readFile(args.path, 'utf8')).matchAll(EXPORTED)].map((m) => m[1]);
        const why = JSON.stringify(`${relative(ROOT, args.path)} runs from a source checkout only (it uses test/support); start it with node bin/raas.js there`);
        return { contents: names.map((n) => `export function ${n}() { throw new Error(${why}); }`).join('\n'), loader: 'js' };
      });
    },
  };
}

/**
 * zod re-exports its error messages in 64 languages as `locales`; raas configures none of
 * them (zod uses English unless told otherwise), yet bundling `z` keeps them all: about 370
 * KB, half of zod, that every command parsed at start. The bundle gets an index that has
 * English only; `z.locales.<other>` would be undefined, and nothing here uses it.
 */
function englishZodOnly() {
  return {
    name: 'english-zod-only',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
        if (!/[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)) return undefined;
        return { path: join(args.resolveDir, '..', 'locales', 'english-only.js'), namespace: 'zod-english' };
      });
      b.onLoad({ filter: /.*/, namespace: 'zod-english' }, (args) => ({
        contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
    },
  };
}

const started = performance.now();
// Taken before compiling, so an edit made while the build runs counts as newer than dist/.
const newest = newestSourceMtime(ROOT);
const entryPoints = [];
const sourceOnly = new Set();
// A package some module imports with import() is loaded lazily on purpose (the AWS SDK for
// s3://, kafkajs on the first send) and stays external everywhere: bundling it saves nothing
// when it is loaded, a bundled CommonJS package seen through import() exposes only
// `default`, and a static importer must share the same copy (instanceof checks).
const lazy = new Set();
for (const dir of SOURCE_DIRS) {
  for (const file of await sources(join(ROOT, dir))) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(DYNAMIC_PACKAGE)) if (m[1] !== 'node' && !m[1].startsWith('node:')) lazy.add(m[1]);
    if (TEST_IMPORT.test(text)) sourceOnly.add(file);
    else entryPoints.push(file);
  }
}
// Packages every run loads are bundled, never lazy: one imported with import('pkg') anywhere
// would become external everywhere (above) and a run would pay Node's CommonJS loading
// (resolution, export lexer, compile) for every file of it at start. Import a local module
// that imports the package instead (runner/run/duck-parser.ts does so for DuckDB).
const ALWAYS_BUNDLED = ['@duckdb/node-api', 'commander', 'zod', 'yaml', 'luxon'];
const wronglyLazy = ALWAYS_BUNDLED.filter((p) => lazy.has(p));
if (wronglyLazy.length) {
  process.stderr.write(`build: ${wronglyLazy.join(', ')} imported with import() by name; import a local module that imports it instead, so it stays bundled\n`);
  process.exit(1);
}
entryPoints.sort();
await rm(TMP_OUT, { recursive: true, force: true });
await mkdir(TMP_OUT, { recursive: true });
const result = await build({
  entryPoints,
  outdir: TMP_OUT,
  outbase: ROOT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external: [...EXTERNAL, ...[...lazy].flatMap((p) => [p, `${p}/*`])],
  plugins: [shippedOnly(sourceOnly), englishZodOnly()],
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS packages call require() for Node built-ins and the external packages;
  // ESM has no require, so every output file gets one bound to its own location.
  banner: { js: "import { createRequire as __raasCreateRequire } from 'node:module'; const require = __raasCreateRequire(import.meta.url);" },
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
  metafile: true,
})
.catch(async (err) => {
  await rm(TMP_OUT, { recursive: true, force: true });
  throw err;
});
const files = Object.keys(result.metafile.outputs).length;
// Written last: its presence says the build finished; its content is what bin/ compares
// the sources' modification times against.
await writeFile(join(TMP_OUT, STAMP_FILE), `${JSON.stringify({ newestSourceMtimeMs: newest, builtAt: new Date().toISOString() })}\n`);
const OLD = join(ROOT, `.dist-old-${process.pid}`);
await rename(OUT, OLD).catch((err) => {
  if (err.code !== 'ENOENT') throw err;
});
await rename(TMP_OUT, OUT);
await rm(OLD, { recursive: true, force: true });
process.stderr.write(`build: ${entryPoints.length} modules -> ${files} files in dist/; lazy (external): ${[...lazy].sort().join(', ')}; source-only: ${[...sourceOnly].map((f) => relative(ROOT, f)).join(', ') || 'none'} (${Math.round(performance.now() - started)} ms)\n`);
