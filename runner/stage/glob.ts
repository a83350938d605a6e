// Glob helpers shared by the schemes that list (local directories, S3, SFTP, FTP). Pure.
import picomatch from 'picomatch';
import { formatBytes, plural } from './bytes.ts';

export function isGlobSegment(segment: string): boolean {
  return picomatch.scan(segment).isGlob;
}

/** Splits at the first segment with a glob, as `ls` would: the part before it is a plain path. */
export function splitAtGlob(segments: string[]): { literal: string[]; pattern: string[] } | undefined {
  const i = segments.findIndex(isGlobSegment);
  if (i === -1) return undefined;
  return { literal: segments.slice(0, i), pattern: segments.slice(i) };
}

/** The plain characters a glob segment starts with, so listings can be narrowed by them too. */
export function literalLead(segment: string): string {
  const i = segment.search(/[*?[\]{}()!+@\\]/);
  return i === -1 ? segment : segment.slice(0, i);
}

export function summarize(files: string[], bytes: number, noun: string, from: string): string {
  return `staged ${plural(files.length, noun)} (${formatBytes(bytes)}) from ${from}`;
}

export interface RemoteEntry {
  name: string;
  kind: 'file' | 'dir' | 'other';
  size: number;
}

export interface RemoteMatch {
  /** Absolute remote path. */
  path: string;
  /** Path below the glob's literal directory, "/"-separated: where it lands locally. */
  rel: string;
  size: number;
}

/** Deepest a `**` walk goes on a remote server, so a link loop cannot run forever. */
const MAX_REMOTE_DEPTH = 32;

/**
 * Expands a remote path with globs by listing directories level by level (as for local
 * files). `list` returns undefined for a directory that does not exist. A path without
 * globs must name a file (`stat` says what it is).
 */
export async function expandRemoteGlob(
  remotePath: string,
  list: (dir: string) => Promise<RemoteEntry[] | undefined>,
  statPath: (p: string) => Promise<RemoteEntry | undefined>,
): Promise<{ matches: RemoteMatch[]; lookedIn: string; isDirectory: boolean }> {
  const segments = remotePath.split('/');
  const split = splitAtGlob(segments);
  if (!split) {
    const st = await statPath(remotePath);
    const dir = segments.slice(0, -1).join('/') || '/';
    if (st?.kind === 'dir') return { matches: [], lookedIn: dir, isDirectory: true };
    return { matches: st?.kind === 'file' ? [{ path: remotePath, rel: segments[segments.length - 1] ?? 'file', size: st.size }] : [], lookedIn: dir, isDirectory: false };
  }
  const root = split.literal.join('/') || '/';
  const globstar = split.pattern.some((s) => s.includes('**'));
  const matches = picomatch(split.pattern.join('/'), { dot: false });
  const segMatchers = globstar ? undefined : split.pattern.map((s) => picomatch(s));
  const found: RemoteMatch[] = [];
  const visit = async (dir: string, rel: string[]): Promise<void> => {
    if (rel.length > MAX_REMOTE_DEPTH) return;
    const entries = await list(dir);
    if (!entries) return;
    for (const e of entries) {
      if (e.name === '.' || e.name === '..') continue;
      if (segMatchers && !segMatchers[rel.length]?.(e.name)) continue;
      const relPath = [...rel, e.name];
      const full = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
      if (e.kind === 'file' && matches(relPath.join('/'))) found.push({ path: full, rel: relPath.join('/'), size: e.size });
      if (e.kind === 'dir' && (globstar || rel.length + 1 < split.pattern.length)) await visit(full, relPath);
    }
  };
  await visit(root, []);
  found.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { matches: found, lookedIn: root, isDirectory: false };
}
