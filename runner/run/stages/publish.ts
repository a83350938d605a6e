// Publish: the engine writes the result file locally, then the result and summary.json
// are published, summary.json last (it is the commit marker), then the catalog rows.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCatalog } from '../../output/catalog.ts';
import { overwriteGuard } from '../../output/overwrite-guard.ts';
import { publishResults } from '../../output/publish.ts';
import type { Engine } from '../../engine/engine.ts';
import { RunError, type RunContext } from '../context.ts';
import { resultLocations } from '../locations.ts';
import { OPEN_ITEMS_FILE } from '../../breaks/columns.ts';
import type { RunSummary } from '../summary.ts';

/**
 * Writes result.<format> and the open items into ctx.localOut with the engine; returns the
 * file names. `openItems` is the ledger's count of open items: the write must report the
 * same number, or the run fails rather than publish a file that disagrees with its summary.
 */
export async function writeResult(ctx: RunContext, engine: Engine, openItems: number): Promise<{ resultName: string; openItemsName: string }> {
  const resultName = `result.${ctx.outFormat}`;
  const resultRows = await ctx.step('write', undefined, () => engine.writeResult('result_table', join(ctx.localOut, resultName), ctx.outFormat));
  ctx.progress(`write    ${resultRows} result row(s) (${ctx.mode}) as ${ctx.outFormat}`);
  const openRows = await ctx.step('write', undefined, () => engine.writeResult('open_items', join(ctx.localOut, OPEN_ITEMS_FILE), 'parquet'));
  if (openRows !== openItems) throw new RunError('write', `internal: ${openRows} open item(s) were written where the break ledger counts ${openItems}; nothing was published`);
  return { resultName, openItemsName: OPEN_ITEMS_FILE };
}

/** Publishes the result file and summary.json (last); fills in the summary's final locations. */
export async function publish(ctx: RunContext, summary: RunSummary, written: { resultName: string; openItemsName: string }, writeStarted: number): Promise<RunSummary> {
  const { spec } = ctx;
  const { resultName, openItemsName } = written;
  // summary.json names the final locations and is published last: it is the commit marker.
  const planned = resultLocations(ctx.outUri, [resultName], 'summary.json');
  summary.results = { ...summary.results, ...planned };
  // The open items go before summary.json, so the next window finds them whenever this one is committed.
  if (summary.openItems) summary.openItems = { ...summary.openItems, uri: resultLocations(ctx.outUri, [openItemsName], 'summary.json').files[0]! };
  summary.timings.writeMs = Math.round(performance.now() - writeStarted);
  await writeFile(join(ctx.localOut, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const published = await ctx.step('upload', 'spec.output.uri', async () =>
    publishResults({
      localDir: ctx.localOut,
      files: [resultName, openItemsName],
      summaryFile: 'summary.json',
      targetUri: ctx.outUri,
      transports: ctx.transports,
      sftp: spec.output?.sftp,
      ftp: spec.output?.ftp,
      guard: overwriteGuard(ctx.opts.window, ctx.outUri, { job: ctx.opts.job.metadata.name, namespace: ctx.opts.job.metadata.namespace }),
      onProgress: (m) => ctx.progress(`upload   ${m}`),
    }),
  );
  // results.files lists the result table only; the open items are named in summary.openItems.
  const files = published.files.filter((f) => f.split(/[\\/]/).pop() !== openItemsName);
  summary.results = { ...summary.results, uri: published.uri, files, summaryUri: published.summaryUri };
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
