// Publish: the engine writes the result file locally, then the result and summary.json
// are published, summary.json last (it is the commit marker), then the catalog rows.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCatalog } from '../../output/catalog.ts';
import { overwriteGuard } from '../../output/overwrite-guard.ts';
import { publishResults } from '../../output/publish.ts';
import type { Engine } from '../../engine/engine.ts';
import { numberOf, type RunContext } from '../context.ts';
import { resultLocations } from '../locations.ts';
import type { RunSummary } from '../summary.ts';

/** Writes result.<format> into ctx.localOut with the engine; returns its file name. */
export async function writeResult(ctx: RunContext, engine: Engine): Promise<string> {
  const resultName = `result.${ctx.outFormat}`;
  await ctx.step('write', undefined, () => engine.writeResult('result_table', join(ctx.localOut, resultName), ctx.outFormat));
  const resultRows = numberOf((await engine.one('SELECT count(*) AS n FROM result_table')).n);
  ctx.progress(`write    ${resultRows} result row(s) (${ctx.mode}) as ${ctx.outFormat}`);
  return resultName;
}

/** Publishes the result file and summary.json (last); fills in the summary's final locations. */
export async function publish(ctx: RunContext, summary: RunSummary, resultName: string, writeStarted: number): Promise<RunSummary> {
  const { spec } = ctx;
  // summary.json names the final locations and is published last: it is the commit marker.
  const planned = resultLocations(ctx.outUri, [resultName], 'summary.json');
  summary.results = { ...summary.results, ...planned };
  summary.timings.writeMs = Math.round(performance.now() - writeStarted);
  await writeFile(join(ctx.localOut, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const published = await ctx.step('upload', 'spec.output.uri', async () =>
    publishResults({
      localDir: ctx.localOut,
      files: [resultName],
      summaryFile: 'summary.json',
      targetUri: ctx.outUri,
      transports: ctx.transports,
      sftp: spec.output?.sftp,
      ftp: spec.output?.ftp,
      guard: overwriteGuard(ctx.opts.window, ctx.outUri, { job: ctx.opts.job.metadata.name, namespace: ctx.opts.job.metadata.namespace }),
      onProgress: (m) => ctx.progress(`upload   ${m}`),
    }),
  );
  summary.results = { ...summary.results, uri: published.uri, files: published.files, summaryUri: published.summaryUri };
  const catalog = spec.output?.catalog;
  if (catalog) {
    // After publishing: the catalog names published files. A failure here fails the run
    // (stage catalog); re-running the window replaces both the files and the rows.
    await ctx.step('catalog', 'spec.output.catalog', () =>
      writeCatalog({ spec: catalog, summary, resultFile: join(ctx.localOut, resultName), resultFormat: ctx.outFormat, env: ctx.env, onProgress: ctx.progress }),
    );
  }
  ctx.progress(`done     results at ${published.uri}`);
  return summary;
}
