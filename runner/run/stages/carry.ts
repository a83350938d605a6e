// Carry: the state a run starts its break ledger from (docs/user-guide/breaks.md). With
// spec.carryForward, the previous window's committed open items (or nothing, for a job's
// first window; a gap fails here, naming the missing window); with spec.output.catalog,
// the breaks people closed. Runs before staging, so a refusal costs no data transfer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIRST_WINDOW_LOOKBACK, OPEN_ITEMS_FILE } from '../../breaks/columns.ts';
import { assertOnePeriod, carryStart, CarryError, committedAt, earlierWindows, periodOptions, type Committed } from '../../breaks/carry.ts';
import { readClosures } from '../../output/catalog.ts';
import { isRemote } from '../../stage/schemes.ts';
import { templateVars } from '../../template/render.ts';
import type { ReconWindow } from '../../window/window.ts';
import type { RunContext } from '../context.ts';
import { outputLocation, renderedOutUri } from '../output-location.ts';

export interface CarryState {
  /** The previous window's open-items file, fetched locally; absent for a first window or without carryForward. */
  openItemsFile?: string;
  /** The window it came from. */
  from?: ReconWindow;
  closures: Array<{ breakId: string; version: string }>;
}

/** A location's file by name: URIs get a "/", local directories a path join. */
function fileAt(location: string, name: string): string {
  return isRemote(location) ? `${location.replace(/\/+$/, '')}/${name}` : join(location, name);
}

export async function readCarryState(ctx: RunContext): Promise<CarryState> {
  const { spec, opts } = ctx;
  const namespace = opts.job.metadata.namespace ?? 'default';
  const closures = spec.output?.catalog ? await ctx.step('carry', 'spec.output.catalog.breaks', () => readClosures(spec.output!.catalog!, ctx.env, namespace, opts.job.metadata.name)) : [];
  if (closures.length) ctx.progress(`carry    ${closures.length} closed break(s) from the catalog`);
  const carry = spec.carryForward;
  if (!carry) return { closures };
  return ctx.step('carry', 'spec.carryForward', async () => {
    const periods = periodOptions(spec.schedule);
    assertOnePeriod(opts.window, periods);
    const locationOf = (w: ReconWindow) =>
      outputLocation(opts, spec, renderedOutUri(opts, spec, w, templateVars({ window: w, jobName: opts.job.metadata.name, jobNamespace: namespace, runName: opts.runName })));
    let n = 0;
    const fetch = async (uri: string) =>
      ctx.transports.fetchOptional({ uri, field: 'spec.output.uri', baseDir: opts.baseDir, destDir: join(ctx.workDir, 'carry', String(n++)), sftp: spec.output?.sftp, ftp: spec.output?.ftp });
    const committed = async (w: ReconWindow): Promise<Committed> => {
      const file = await fetch(fileAt(locationOf(w), 'summary.json'));
      return committedAt(file === undefined ? undefined : await readFile(file, 'utf8'), w);
    };
    const [previous] = earlierWindows(opts.window, periods, 1);
    const prevUri = locationOf(previous!);
    if (prevUri === ctx.outUri) {
      throw new CarryError(
        `consecutive windows ${previous!.startDate} and ${opts.window.startDate} both write to ${prevUri}; each window needs a location of its own: put {{ window.startDate }} in spec.output.uri (or --out)`,
      );
    }
    const prevCommitted = await committed(previous!);
    // Only when the previous window has nothing: is this the job's first window, or a gap?
    const earlier: Array<{ window: ReconWindow; committed: Committed }> = [];
    if (prevCommitted.kind === 'none') {
      for (const w of earlierWindows(previous!, periods, FIRST_WINDOW_LOOKBACK)) {
        const c = await committed(w);
        earlier.push({ window: w, committed: c });
        if (c.kind !== 'none') break;
      }
    }
    const start = carryStart({ window: previous!, uri: prevUri, committed: prevCommitted }, () => earlier);
    if (start.kind === 'first') {
      ctx.progress(`carry    first window of the job: no earlier window committed (looked back ${FIRST_WINDOW_LOOKBACK} periods); nothing carried`);
      return { closures };
    }
    const file = await fetch(fileAt(prevUri, OPEN_ITEMS_FILE));
    if (file === undefined) {
      throw new CarryError(
        `the previous window ${previous!.startDate} is committed at ${prevUri} without ${OPEN_ITEMS_FILE} (written by an older raas); rerun that window once, then this one`,
      );
    }
    ctx.progress(`carry    open items of ${previous!.startDate} from ${fileAt(prevUri, OPEN_ITEMS_FILE)}`);
    return { openItemsFile: file, from: previous!, closures };
  });
}
