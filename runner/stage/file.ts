// Local paths and file:// URLs: sources are used in place (globs walked with pruning);
// a target directory gets each file through a temp file and a rename.
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import { errorText, totalLine } from './publish-text.ts';
import { splitAtGlob, summarize } from './glob.ts';
import { StageError, type FetchRequest, type PublishRequest, type PublishedResults, type SchemeSession, type StageRequest, type StagedFiles } from './types.ts';

export function openFileScheme(): SchemeSession {
  return { stage: stageLocal, publish: publishToDir, fetchOptional: fetchLocal, close: async () => {} };
}

async function fetchLocal(req: FetchRequest): Promise<string | undefined> {
  const abs = localPath(req.uri, req);
  try {
    const st = await stat(abs);
    if (!st.isFile()) throw new StageError(`${req.field}: ${abs} is not a file`, req.field);
    return abs;
  } catch (err) {
    if (err instanceof StageError) throw err;
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw new StageError(`${req.field}: cannot read ${abs}: ${errorText(err)}`, req.field, { cause: err });
  }
}

function localPath(uri: string, opts: Pick<StageRequest, 'baseDir' | 'field'>): string {
  if (!/^file:\/\//i.test(uri)) return path.resolve(opts.baseDir, uri);
  // Not `fileURLToPath`: a `?` glob would be parsed as the URL's query.
  let rest = uri.slice('file://'.length);
  if (rest.toLowerCase().startsWith('localhost/')) rest = rest.slice('localhost'.length);
  if (!rest.startsWith('/')) {
    throw new StageError(`${opts.field}: "${uri}" is not an absolute file:// URL (expected file:///path)`, opts.field);
  }
  try {
    return path.resolve(decodeURIComponent(rest));
  } catch {
    return path.resolve(rest);
  }
}

async function stageLocal(opts: StageRequest): Promise<StagedFiles> {
  const uri = opts.uri;
  const abs = localPath(uri, opts);
  const split = splitAtGlob(abs.split('/'));
  let files: string[];
  let lookedIn: string;
  if (!split) {
    lookedIn = path.dirname(abs);
    const st = await stat(abs).catch(() => undefined);
    if (st?.isDirectory()) {
      throw new StageError(
        `${opts.field}: "${uri}" is a directory (${abs}); name the files, e.g. "${path.posix.join(uri, '*.csv')}"`,
        opts.field,
      );
    }
    files = st?.isFile() ? [abs] : [];
  } else {
    lookedIn = split.literal.join('/') || '/';
    files = await walkGlob(lookedIn, split.pattern);
  }
  if (files.length === 0) {
    throw new StageError(`${opts.field}: no file matches "${uri}" (looked in ${lookedIn})`, opts.field);
  }
  files.sort();
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  opts.onProgress?.(summarize(files, bytes, 'file', lookedIn));
  return { files, bytes };
}

async function walkGlob(root: string, pattern: string[]): Promise<string[]> {
  const matches = picomatch(pattern.join('/'));
  const globstar = pattern.some((s) => s.includes('**'));
  // Without `**` the pattern fixes the depth and each directory level can be pruned by its
  // own segment, so `data/*/2024/*.csv` never walks unrelated trees.
  const segmentMatchers = globstar ? undefined : pattern.map((s) => picomatch(s));
  const found: string[] = [];

  const visit = async (dir: string, rel: string[]): Promise<void> => {
    const depth = rel.length;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = err instanceof Error && 'code' in err ? err.code : undefined;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    for (const entry of entries) {
      const segMatch = segmentMatchers?.[depth];
      if (segmentMatchers && !segMatch?.(entry.name)) continue;
      const full = path.join(dir, entry.name);
      const relPath = [...rel, entry.name];
      let isFile = entry.isFile();
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        const target = await stat(full).catch(() => undefined);
        isFile = target?.isFile() ?? false;
        // With `**` a symlinked directory could loop forever; with a fixed depth it cannot.
        isDir = !globstar && (target?.isDirectory() ?? false);
      }
      if (isFile && matches(relPath.join('/'))) found.push(full);
      if (isDir && (globstar || depth + 1 < pattern.length)) await visit(full, relPath);
    }
  };

  await visit(root, []);
  return found;
}

async function publishToDir(opts: PublishRequest): Promise<PublishedResults> {
  const { items, summary, fail } = opts;
  let dir: string;
  try {
    dir = /^file:\/\//i.test(opts.targetUri) ? fileURLToPath(opts.targetUri) : path.resolve(opts.targetUri);
  } catch (err) {
    throw fail('not a valid file:// URL', err);
  }
  const summaryPath = path.join(dir, summary.name);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fail(errorText(err), err);
  }
  opts.guard?.(await readFile(summaryPath, 'utf8').catch(() => undefined));
  try {
    // A summary left by an earlier run would vouch for files this run is replacing.
    await rm(summaryPath, { force: true });
  } catch (err) {
    throw fail(errorText(err), err);
  }
  const files: string[] = [];
  for (const item of items) {
    const dest = path.join(dir, item.name);
    await copyAtomically(item.src, dest).catch((err: unknown) => {
      throw fail(`writing ${item.name} failed: ${errorText(err)}`, err);
    });
    files.push(dest);
  }
  await copyAtomically(summary.src, summaryPath).catch((err: unknown) => {
    throw fail(`writing ${summary.name} failed: ${errorText(err)}`, err);
  });
  opts.onProgress?.(totalLine(items, summary, dir));
  return { uri: dir, files, summaryUri: summaryPath };
}

/** Same-directory temp file + rename: readers see the old file or the whole new one. */
async function copyAtomically(src: string, dest: string): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    await copyFile(src, tmp);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}


