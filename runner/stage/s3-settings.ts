// The S3 settings a run reads from its environment (the standard AWS_* variables), in one
// pure place: the runner's S3 client and the Spark engine's S3A connector both take them
// from here, so the same variables mean the same store, path style and credentials on
// either engine, and a malformed value is refused the same way.

export type Env = Record<string, string | undefined>;

export interface S3Settings {
  /** An explicit endpoint (S3-compatible stores); unset = AWS's own. */
  endpoint?: string;
  forcePathStyle: boolean;
  region: string;
  /** Static keys when both are given; unset = the SDK's (or S3A's) default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  requestChecksum?: ChecksumMode;
  responseChecksum?: ChecksumMode;
}

export type ChecksumMode = 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';

/** The first of the variables that is set and not blank, trimmed. */
export function envValue(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

function parseBool(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`${name} must be "true" or "false", got "${value}"`);
}

function parseChecksumMode(name: string, value: string | undefined): ChecksumMode | undefined {
  if (value === undefined) return undefined;
  const v = value.toUpperCase();
  if (v === 'WHEN_SUPPORTED' || v === 'WHEN_REQUIRED') return v;
  throw new Error(`${name} must be WHEN_SUPPORTED or WHEN_REQUIRED, got "${value}"`);
}

export function s3Settings(env: Env): S3Settings {
  const endpoint = envValue(env, 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL');
  // S3-compatible stores rarely have wildcard DNS for virtual-hosted buckets, so an explicit
  // endpoint implies path style unless the user says otherwise.
  const forcePathStyle = parseBool('AWS_S3_FORCE_PATH_STYLE', envValue(env, 'AWS_S3_FORCE_PATH_STYLE')) ?? endpoint !== undefined;
  const out: S3Settings = { forcePathStyle, region: envValue(env, 'AWS_REGION', 'AWS_DEFAULT_REGION') ?? 'us-east-1' };
  if (endpoint) out.endpoint = endpoint;
  const accessKeyId = envValue(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = envValue(env, 'AWS_SECRET_ACCESS_KEY');
  if (accessKeyId && secretAccessKey) {
    const sessionToken = envValue(env, 'AWS_SESSION_TOKEN');
    out.credentials = sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  }
  // The SDK's own variable names, honoured here for an env other than process.env.
  const requestChecksum = parseChecksumMode('AWS_REQUEST_CHECKSUM_CALCULATION', envValue(env, 'AWS_REQUEST_CHECKSUM_CALCULATION'));
  if (requestChecksum) out.requestChecksum = requestChecksum;
  const responseChecksum = parseChecksumMode('AWS_RESPONSE_CHECKSUM_VALIDATION', envValue(env, 'AWS_RESPONSE_CHECKSUM_VALIDATION'));
  if (responseChecksum) out.responseChecksum = responseChecksum;
  return out;
}
