// The folder rules of scripts/eslint-boundaries.js fire: planted violations, linted by the
// real ESLint with the rule, are reported with a message naming the rule's reason; the
// project's own eslint.config.js turns the rule on for every shipped folder.
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import boundaries from '../../scripts/eslint-boundaries.js';

const root = resolve(import.meta.dirname, '..', '..');

// Only the boundaries rule, with the TypeScript parser: the type-aware rules of the full
// config need every file on disk, and a planted file must not be.
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { raas: boundaries }, rules: { 'raas/boundaries': 'error' } }],
});

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return (result?.messages ?? []).map((m) => m.message);
}

describe('raas/boundaries', () => {
  it.each([
    ['runner imports operator', 'runner/run/planted.ts', "import { API_GROUP } from '../../operator/desired/types.ts';\nexport const g = API_GROUP;", 'runner/run/planted.ts must not import operator/desired/types.ts: runner/ runs in the job pods'],
    ['web imports the sandbox', 'operator/web/planted.ts', "import { packageRoot } from '../sandbox/binaries.ts';\nexport const r = packageRoot();", 'must not import operator/sandbox/binaries.ts: the web server does not depend on the CLI or the sandbox'],
    ['web imports the CLI', 'operator/web/api/planted.ts', "export { backfill } from '../../cli/recon-commands.ts';", 'must not import operator/cli/recon-commands.ts'],
    ['web imports the CLI lazily', 'operator/web/planted.ts', "export const m = () => import('../cli/main.ts');", 'must not import operator/cli/main.ts'],
    ['shipped code imports test', 'operator/controllers/planted.ts', "import { reconJob } from '../../test/support/desired-fixtures.ts';\nexport const j = reconJob();", 'shipped code never imports test/'],
    ['a pure module imports node:fs', 'runner/window/planted.ts', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;", 'runner/window/planted.ts is a pure module and must not import node:fs'],
    ['a pure module imports DuckDB', 'runner/compare/planted.ts', "import { DuckDBInstance } from '@duckdb/node-api';\nexport const d = DuckDBInstance;", 'must not import @duckdb/node-api'],
    ['a pure module imports client-node', 'operator/desired/planted.ts', "import { KubeConfig } from '@kubernetes/client-node';\nexport const k = new KubeConfig();", 'must not import @kubernetes/client-node'],
    ['a pure module imports the AWS SDK', 'runner/template/planted.ts', "import { S3Client } from '@aws-sdk/client-s3';\nexport const s = S3Client;", 'must not import @aws-sdk/client-s3'],
    ['a pure module imports an I/O module', 'operator/desired/planted.ts', "import { Kube } from '../kube/client.ts';\nexport const k = Kube;", 'pure module and must not import operator/kube/client.ts, which is not'],
  ])('refuses: %s', async (_what, file, code, expected) => {
    const got = await problems(file, code);
    expect(got.length).toBeGreaterThan(0);
    expect(got.join('\n')).toContain(expected);
  });

  it.each([
    ['a pure module importing a type from client-node', 'operator/desired/planted.ts', "import type { V1Job } from '@kubernetes/client-node';\nexport type J = V1Job;"],
    ['a pure module importing another pure module', 'operator/desired/planted.ts', "import { foldName } from '../../runner/spec/fold-name.ts';\nexport const f = foldName;"],
    ['the operator importing the runner', 'operator/controllers/planted.ts', "import { reconJobSpecSchema } from '../../runner/spec/schema.ts';\nexport const s = reconJobSpecSchema;"],
    ['the web importing the shared actions', 'operator/web/api/planted.ts', "export { backfill } from '../../actions/runs.ts';"],
    ['a test importing anything', 'operator/web/planted.test.ts', "import { packageRoot } from '../sandbox/binaries.ts';\nexport const r = packageRoot();"],
  ])('allows: %s', async (_what, file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });

  it('is on in the project config for every shipped folder', async () => {
    const project = new ESLint({ cwd: root });
    for (const file of ['runner/window/window.ts', 'operator/web/server.ts', 'operator/desired/names.ts', 'operator/sandbox/process-kubelet.ts', 'bin/raas.js']) {
      const config = (await project.calculateConfigForFile(resolve(root, file))) as { rules?: Record<string, unknown> };
      expect([file, config.rules?.['raas/boundaries']]).toEqual([file, [2]]);
    }
  });
});
