// Which output locations results can be published to. Pure: a URI in, a local path or
// an s3:// URI out, or a refusal that names the field. Anything with another scheme is
// refused here, before any work, rather than written to a local folder named "gs:".
import { fileURLToPath } from 'node:url';

export class OutputTargetError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'OutputTargetError';
  }
}

/** Schemes results can be published to besides local paths (file:// URLs are turned into paths). */
export const OUTPUT_SCHEMES = ['s3', 'sftp', 'ftp', 'ftps'] as const;

/**
 * The target as publish understands it: `s3://…` as given, otherwise a local path
 * (relative paths stay relative; the caller resolves them).
 */
export function outputTarget(uri: string, field: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return uri;
  if ((OUTPUT_SCHEMES as readonly string[]).includes(scheme)) return uri;
  const supported = 'a local directory, file:///absolute/path, s3://bucket/prefix/, sftp://user@host/path/ or ftp(s)://user@host/path/';
  if (scheme === 'file') {
    try {
      return fileURLToPath(uri);
    } catch {
      throw new OutputTargetError(field, `"${uri}" is not a local file URL (file:// takes an absolute path and no host, e.g. file:///data/out/); use ${supported}`);
    }
  }
  throw new OutputTargetError(field, `results cannot be written to ${scheme}:// ("${uri}"); use ${supported}`);
}
