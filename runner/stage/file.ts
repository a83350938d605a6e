// Local paths and file:// URLs: sources are used in place (globs walked with pruning);
// a target directory is written through output/commit.ts (temp names, renames).
import { copyFile, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import { errorText } from './publish-text.ts';
import { splitAtGlob, summarize } from './glob.ts';
import { StageError, type PublishSteps, type PublishTargetRequest, type SchemeSession, type StageRequest, type StagedFiles } from './types.ts';

export function openFileScheme(): SchemeSession {
  return { stage: stageLocal, target: openDir, close: async () => {} };
}

function localPath(uri: string, opts: StageRequest): string {
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

/** A local directory as a publish target; the directory is made first. */
async function openDir(req: PublishTargetRequest): Promise<PublishSteps> {
  let dir: string;
  try {
    dir = /^file:\/\//i.test(req.targetUri) ? fileURLToPath(req.targetUri) : path.resolve(req.targetUri);
  } catch (err) {
    throw new Error('not a valid file:// URL', { cause: err });
  }
  await mkdir(dir, { recursive: true });
  const at = (name: string) => path.join(dir, name);
  return {
    uri: dir,
    at,
    read: (name) =>
      readFile(at(name), 'utf8').catch((err: unknown) => {
        if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
        throw err;
      }),
    remove: async (name) => {
      await rm(at(name), { force: true });
      return undefined;
    },
    put: async (src, name) => {
      await mkdir(path.dirname(at(name)), { recursive: true });
      await copyFile(src, at(name));
    },
    // rename(2) replaces the target in one step: readers see the old file or the whole new one.
    rename: (from, to) => rename(at(from), at(to)),
    explain: (err) => errorText(err),
    close: async () => {},
  };
}
