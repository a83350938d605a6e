import { S3Client, S3ServiceException, type S3ClientConfig } from '@aws-sdk/client-s3';
import { s3Settings, type Env } from './s3-settings.ts';

export type { Env } from './s3-settings.ts';

/**
 * The one place S3 settings are read, so the CLI, the in-cluster runner and the tests
 * (which pass the test server's env instead of process.env) configure clients alike.
 */
export function createS3Client(env: Env = process.env): S3Client {
  const s = s3Settings(env);
  const config: S3ClientConfig = { region: s.region, forcePathStyle: s.forcePathStyle };
  if (s.endpoint) config.endpoint = s.endpoint;
  // The SDK's default chain only looks at process.env; when a caller hands us another env
  // (tests, or a Secret mounted elsewhere) its static keys must win. Without them we leave
  // `credentials` unset so the default chain (web identity/IRSA, profiles, IMDS) applies.
  if (s.credentials) config.credentials = s.credentials;
  // Since early 2025 the SDK sends streamed bodies as aws-chunked with CRC trailers by
  // default; many S3-compatible stores (s3rver, older MinIO/Ceph) store that framing as
  // object bytes.
  if (s.requestChecksum) config.requestChecksumCalculation = s.requestChecksum;
  if (s.responseChecksum) config.responseChecksumValidation = s.responseChecksum;
  return new S3Client(config);
}

export interface S3Location {
  bucket: string;
  /** May be empty (the bucket root). Never starts with "/". */
  key: string;
}

export function parseS3Uri(uri: string): S3Location {
  if (!/^s3:\/\//i.test(uri)) throw new Error(`not an s3:// URI: "${uri}"`);
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (!bucket) throw new Error(`"${uri}" has no bucket name (expected s3://bucket/key)`);
  // A glob or a half-rendered template in the bucket part would otherwise surface later as
  // a confusing SDK endpoint or signature error.
  if (!/^[a-z0-9][a-z0-9.\-_]*$/i.test(bucket)) {
    throw new Error(`"${uri}" has an invalid bucket name "${bucket}"`);
  }
  return { bucket, key };
}

export function formatS3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Enough of an SDK or network error to tell a user what went wrong, without its stack. */
export interface S3Failure {
  /** S3 error code (NoSuchKey, NoSuchBucket, AccessDenied, ...) or a network code. */
  code: string;
  status: number | undefined;
  message: string;
}

export function describeS3Failure(err: unknown): S3Failure {
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode;
    // HEAD responses have no body, so the SDK can only name them after the status.
    let code = err.name;
    if (status === 403 && (code === 'Forbidden' || code === 'UnknownError')) code = 'AccessDenied';
    return { code, status, message: err.message };
  }
  if (err instanceof Error) {
    const cause: unknown = err.cause;
    const causeCode = cause instanceof Error && 'code' in cause ? String(cause.code) : undefined;
    const ownCode = 'code' in err ? String(err.code) : undefined;
    return { code: ownCode ?? causeCode ?? err.name, status: undefined, message: err.message };
  }
  return { code: 'Error', status: undefined, message: String(err) };
}
