// The one commit sequence every publish target goes through, written once over a scheme's
// small steps (stage/types.ts PublishSteps):
//   read the committed summary.json -> guard -> remove it -> put every file under a
//   temporary name -> rename each into place -> the new summary.json, last.
// Readers treat summary.json as the commit marker, so from the removal on no summary
// vouches for files that are being replaced, and a failure part-way leaves none.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { totalLine } from '../stage/publish-text.ts';
import type { PublishItem, PublishSteps, PublishedResults } from '../stage/types.ts';

export interface CommitRequest {
  items: PublishItem[];
  /** The commit marker, written last. */
  summary: PublishItem;
  /** Refuses the publish given the committed summary's text (undefined: positively none). */
  guard?: ((existing: string | undefined) => void) | undefined;
  onProgress?: ((m: string) => void) | undefined;
  fail: (why: string, cause?: unknown) => Error;
}

/** A sibling name readers skip (leading dot, .tmp) that no two runs share. */
export function temporaryName(name: string): string {
  const dir = path.posix.dirname(name);
  const tmp = `.${path.posix.basename(name)}.${randomUUID().slice(0, 8)}.tmp`;
  return dir === '.' ? tmp : `${dir}/${tmp}`;
}

export async function commitResults(steps: PublishSteps, req: CommitRequest): Promise<PublishedResults> {
  const { items, summary, fail } = req;
  if (req.guard) {
    let existing: string | undefined;
    try {
      existing = await steps.read(summary.name);
    } catch (err) {
      throw fail(
        `cannot read the ${summary.name} already at ${steps.at(summary.name)} (${steps.explain(err, summary.name, 'read')}); only a missing file counts as "nothing committed", so this run does not replace it. Fix the access or publish elsewhere`,
        err,
      );
    }
    req.guard(existing);
  }
  let note: string | undefined;
  try {
    note = await steps.remove(summary.name);
  } catch (err) {
    throw fail(steps.explain(err, summary.name, 'write'), err);
  }
  if (note) req.onProgress?.(note);

  const verb = steps.uri.includes('://') ? 'uploading' : 'writing';
  const put = async (item: PublishItem): Promise<{ tmp: string; name: string }> => {
    const tmp = steps.rename ? temporaryName(item.name) : item.name;
    try {
      await steps.put(item.src, tmp);
    } catch (err) {
      throw fail(`${verb} ${item.name} failed: ${steps.explain(err, item.name, 'write')}`, err);
    }
    return { tmp, name: item.name };
  };
  const placed: Array<{ tmp: string; name: string }> = [];
  const settle = async (batch: Array<{ tmp: string; name: string }>) => {
    if (!steps.rename) return;
    for (const p of batch) {
      try {
        await steps.rename(p.tmp, p.name);
        placed.push(p);
      } catch (err) {
        throw fail(`${verb} ${p.name} failed: ${steps.explain(err, p.name, 'write')}`, err);
      }
    }
  };
  const temps: Array<{ tmp: string; name: string }> = [];
  try {
    for (const item of items) temps.push(await put(item));
    await settle(temps);
    const s = await put(summary);
    temps.push(s);
    await settle([s]);
  } catch (err) {
    // Temporary files this run left are removed; renamed ones are complete files without a
    // summary vouching for them (the next run replaces them).
    if (steps.rename) {
      for (const t of temps) if (!placed.includes(t)) await steps.remove(t.tmp).catch(() => undefined);
    }
    throw err;
  }
  req.onProgress?.(totalLine(items, summary, steps.uri));
  return { uri: steps.uri, files: items.map((i) => steps.at(i.name)), summaryUri: steps.at(summary.name) };
}
