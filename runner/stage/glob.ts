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
