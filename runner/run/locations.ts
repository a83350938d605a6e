// Where published files end up, known before they are published so that summary.json
// (written before its own upload) can name them. Targets are remote URIs (s3://, sftp://,
// ftp://) or local paths (the runner turns file:// URLs into paths first).
import { join, resolve } from 'node:path';
import { isRemote } from '../stage/schemes.ts';

export function resultLocations(targetUri: string, files: string[], summaryFile: string): { uri: string; files: string[]; summaryUri: string } {
  if (isRemote(targetUri)) {
    const base = targetUri.endsWith('/') ? targetUri : `${targetUri}/`;
    return { uri: base, files: files.map((f) => `${base}${f}`), summaryUri: `${base}${summaryFile}` };
  }
  const dir = resolve(targetUri);
  return { uri: dir, files: files.map((f) => join(dir, f)), summaryUri: join(dir, summaryFile) };
}
