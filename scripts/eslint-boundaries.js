// The dependency rules between folders, as a lint rule (`raas/boundaries`), so a violation
// fails `npm run lint` and hence `npm test` instead of living in prose. Checked on every
// static import, re-export and import() with a literal path; test files (*.test.ts) may
// import anything. docs/adr/0080-boundaries-enforced-by-lint.md says why these rules.
//
// Plain JavaScript: eslint.config.js loads it without a transpiler.
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Pure modules: no I/O, no clock, no network, no child processes. They are the table-tested
 * core; the I/O shell around them is tested against real servers. They may import only
 * other pure modules and the packages in PURE_PACKAGES (type-only imports are erased at
 * build time and are always allowed).
 */
export const PURE = [
  'runner/compare/**',
  'runner/breaks/**',
  'runner/window/**',
  'runner/template/**',
  'runner/spec/schema.ts',
  'runner/spec/connections.ts',
  'runner/spec/fold-name.ts',
  'runner/run/summary.ts',
  'runner/run/termination-report.ts',
  'runner/cli/choose-window.ts',
  'runner/cli/format-summary.ts',
  'runner/output/overwrite-guard.ts',
  'runner/stage/remote-uri.ts',
  'runner/stage/types.ts',
  'operator/api/**',
  'operator/desired/**',
  'operator/notify/events.ts',
  'operator/notify/routing.ts',
  'operator/controllers/job-status.ts',
  'operator/kube/work-queue.ts',
  'operator/sandbox/pod/**',
  'operator/web/api/authz.ts',
  'operator/web/api/listing.ts',
  'operator/web/api/labels.ts',
  'operator/web/api/breaks.ts',
  'operator/web/api/break-query.ts',
  'operator/web/api/mismatched.ts',
];

/** Packages a pure module may import: computation only (parsing, dates, hashing, paths as text). */
export const PURE_PACKAGES = ['zod', 'luxon', 'cron-parser', 'yaml', 'picomatch', 'node:crypto', 'node:path'];

/** Folder rules: a file matching `from` must not import a module matching `deny`. */
export const FOLDER_RULES = [
  {
    from: ['runner/**'],
    deny: ['operator/**'],
    why: 'runner/ runs in the job pods without the operator; put shared code in runner/ and import it from operator/',
  },
  {
    from: ['operator/web/**'],
    deny: ['operator/cli/**', 'operator/sandbox/**'],
    why: 'the web server does not depend on the CLI or the sandbox; shared logic lives in operator/actions/ (runs) or operator/package-root.ts',
  },
  {
    from: ['operator/api/**', 'operator/desired/**', 'operator/kube/**', 'operator/controllers/**', 'operator/notify/**', 'operator/http/**', 'operator/actions/**'],
    deny: ['operator/cli/**', 'operator/web/**', 'operator/sandbox/**'],
    why: 'the operator core does not depend on its front ends (CLI, web) or the sandbox',
  },
  {
    from: ['runner/**', 'operator/**', 'bin/**', 'scripts/**'],
    deny: ['test/**'],
    why: 'shipped code never imports test/; move what both need out of test/, or the test-only code into test/',
  },
];

const isTestFile = (rel) => rel.endsWith('.test.ts') || rel.split('/')[0] === 'test';

function matcher(globs) {
  const m = picomatch(globs);
  return (rel) => m(rel);
}

const pureFile = matcher(PURE);
const folderRules = FOLDER_RULES.map((r) => ({ ...r, fromMatch: matcher(r.from), denyMatch: matcher(r.deny) }));

/** The package an import names (`@scope/pkg`, `pkg`, `node:fs`), from `@scope/pkg/sub` etc. */
function packageName(spec) {
  if (spec.startsWith('node:')) return spec.split('/')[0];
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Problems of one import of `spec` from the file at repo-relative path `rel` (exported for its test). */
export function boundaryProblems(rel, spec, typeOnly) {
  if (isTestFile(rel)) return [];
  const problems = [];
  const relative_ = spec.startsWith('.');
  const target = relative_ ? relative(ROOT, resolve(ROOT, dirname(rel), spec)).split(sep).join('/') : undefined;
  if (target !== undefined) {
    for (const r of folderRules) {
      if (r.fromMatch(rel) && r.denyMatch(target)) problems.push(`${rel} must not import ${target}: ${r.why}`);
    }
  }
  if (pureFile(rel) && !typeOnly) {
    if (target !== undefined && !pureFile(target)) {
      problems.push(`${rel} is a pure module and must not import ${target}, which is not (pure modules are listed in scripts/eslint-boundaries.js); pass what it needs in as a value`);
    }
    if (target === undefined) {
      const pkg = packageName(spec);
      const builtin = !spec.startsWith('node:') && /^(fs|net|http|https|child_process|dns|tls|os|dgram|worker_threads|stream|zlib|events)(\/|$)/.test(spec) ? `node:${spec}` : undefined;
      if (!PURE_PACKAGES.includes(builtin ?? pkg)) {
        problems.push(`${rel} is a pure module and must not import ${spec} (I/O or a heavy dependency); do the I/O in the shell that calls it (allowed: ${PURE_PACKAGES.join(', ')})`);
      }
    }
  }
  return problems;
}

const rule = {
  meta: { type: 'problem', docs: { description: 'folder dependency rules of raas' }, schema: [] },
  create(context) {
    const rel = relative(ROOT, context.filename).split(sep).join('/');
    if (rel.startsWith('..') || isTestFile(rel)) return {};
    const check = (node, source, typeOnly) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      for (const message of boundaryProblems(rel, source.value, typeOnly)) context.report({ node: source, message });
    };
    const allTypes = (node) => node.importKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'));
    return {
      ImportDeclaration: (node) => check(node, node.source, allTypes(node)),
      ExportNamedDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source, false),
    };
  },
};

export default { rules: { boundaries: rule } };
