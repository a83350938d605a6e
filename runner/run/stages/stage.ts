// Stage: copy every input to local files (or leave it where the engine reads it itself).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Side } from '../../compare/plan.ts';
import { rawScheme } from '../../stage/schemes.ts';
import type { RunContext } from '../context.ts';
import type { PlannedInput } from '../side-inputs.ts';

export interface StagedInput {
  input: PlannedInput;
  files: string[];
  /** Set when the stager fixed the format (database rows arrive as Parquet). */
  format?: 'parquet';
}

export type Staged = Record<Side, StagedInput[]>;

export async function stageInputs(ctx: RunContext, opts: { remoteInPlace?: (uri: string) => boolean } = {}): Promise<Staged> {
  const staged: Staged = { left: [], right: [] };
  for (const side of ['left', 'right'] as const) {
    for (const input of ctx.rendered.sides[side].inputs) {
      const label = ctx.rendered.sides[side].named ? `${side} (${ctx.names[side]}.${input.name})` : `${side} (${ctx.names[side]})`;
      // An engine that reads this scheme itself (Spark and s3://) gets the URI, not a copy.
      if (opts.remoteInPlace?.(input.uri)) {
        ctx.progress(`stage    ${label}: read in place by the engine (${input.uri})`);
        staged[side].push({ input, files: [input.uri] });
        continue;
      }
      const res = await ctx.step('stage', undefined, () =>
        ctx.transports.stage({
          uri: input.uri,
          field: input.field,
          baseDir: ctx.opts.baseDir,
          destDir: join(ctx.workDir, 'input', side, input.name),
          sftp: input.sftp,
          ftp: input.ftp,
          database: input.database,
          query: input.dbQuery,
          ...(ctx.opts.memoryLimit ? { memoryLimit: ctx.opts.memoryLimit } : {}),
          onProgress: (m) => ctx.progress(`stage    ${label}: ${m}`),
        }),
      );
      staged[side].push({ input, files: res.files, ...(res.format ? { format: res.format } : {}) });
    }
  }
  return staged;
}

/** The staged inputs' size in bytes, or undefined when one is read in place (its size unknown here). */
export async function stagedBytes(staged: Staged): Promise<number | undefined> {
  const files = [...staged.left, ...staged.right].flatMap((s) => s.files);
  if (files.some((f) => rawScheme(f) !== undefined)) return undefined;
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  return sizes.reduce((a, b) => a + b, 0);
}
