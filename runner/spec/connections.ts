// Spec blocks for the schemes that need connection settings (sftp://, ftp(s)://,
// postgres://, mysql://), the named inputs of a side, and the results catalog. Kept apart
// from schema.ts so the source of truth for these fields is one small file; schema.ts
// composes them. Credentials are never values here: only the names of environment
// variables that runner.envFrom fills from Secrets.
import { z } from 'zod';

const envName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name: letters, digits and _, not starting with a digit' });

export const sftpOptionsSchema = z
  .strictObject({
    passwordEnv: envName.optional().describe('Environment variable (from a Secret in runner.envFrom) holding the password.'),
    privateKeyEnv: envName.optional().describe('Environment variable (from a Secret in runner.envFrom) holding an OpenSSH or PEM private key. Give this or passwordEnv.'),
    passphraseEnv: envName.optional().describe('Environment variable holding the private key\'s passphrase, if it has one.'),
    knownHosts: z
      .string()
      .min(1)
      .optional()
      .describe('known_hosts lines for the server (the output of ssh-keyscan -p PORT HOST, checked with the server\'s owner). Required unless knownHostsEnv is given or insecureIgnoreHostKey is true.'),
    knownHostsEnv: envName.optional().describe('Environment variable holding the known_hosts lines instead of knownHosts.'),
    insecureIgnoreHostKey: z.boolean().optional().describe('Accept any host key. Insecure (anyone in between can read the data and the password); for tests only. Default false.'),
  })
  .describe('SFTP connection settings for an sftp://user@host[:port]/path URI. Credentials come from environment variables, never inline.');

export const ftpOptionsSchema = z
  .strictObject({
    passwordEnv: envName.optional().describe('Environment variable (from a Secret in runner.envFrom) holding the password. Required when the URI names a user; without a user the login is anonymous.'),
    caEnv: envName.optional().describe('ftps:// only: environment variable holding the PEM CA certificate(s) that sign the server\'s certificate. Default: the system roots.'),
    implicitTls: z.boolean().optional().describe('ftps:// only: implicit TLS (the legacy port 990 style) instead of explicit AUTH TLS. Default false.'),
    insecureSkipTlsVerify: z.boolean().optional().describe('ftps:// only: do not verify the server certificate. Insecure; for tests only. Default false.'),
  })
  .describe('FTP connection settings for ftp://[user@]host[:port]/path (plain) and ftps:// (explicit TLS) URIs.');

export const databaseOptionsSchema = z
  .strictObject({
    tls: z
      .strictObject({
        mode: z
          .enum(['disable', 'require', 'verify-full'])
          .optional()
          .describe('disable: no TLS; require: TLS without checking the certificate; verify-full: TLS with the certificate and host name checked. Default: what the connection URL says (sslmode=... / ssl=...).'),
        caEnv: envName.optional().describe('Environment variable holding the PEM CA certificate(s) for verify-full. Default: the system roots.'),
      })
      .optional()
      .describe('TLS to the database.'),
    fetchSize: z.number().int().min(100).max(1_000_000).optional().describe('Rows fetched per round trip (bounds the runner\'s memory). Default 10000.'),
  })
  .describe('Database connection settings for a postgres://$VAR or mysql://$VAR URI, where VAR is an environment variable (from a Secret in runner.envFrom) holding the connection URL.');

export const formatsForInputs = ['parquet', 'csv', 'json', 'ndjson'] as const;

export const catalogSchema = z
  .strictObject({
    urlEnv: envName
      .optional()
      .describe('Environment variable (from a Secret in runner.envFrom) holding the PostgreSQL connection URL of the catalog database. Give this or postgres.secretRef.'),
    postgres: z
      .strictObject({
        secretRef: z
          .strictObject({
            name: z.string().min(1).describe('Secret name, in the ReconJob\'s namespace.'),
            key: z.string().min(1).optional().describe('Key holding the connection URL. Default "url".'),
          })
          .describe('Secret holding the PostgreSQL connection URL; the operator passes it to the runner as RAAS_CATALOG_URL (set that variable yourself for raas run).'),
      })
      .optional()
      .describe('The catalog database by Secret. Give this or urlEnv.'),
    table: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, { error: 'must be a table name, optionally schema-qualified: schema.table' })
      .optional()
      .describe('Table for one summary row per run (created if missing). Default raas_runs.'),
    rows: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, { error: 'must be a table name, optionally schema-qualified: schema.table' })
      .optional()
      .describe('Table for the result rows (each as JSON, with the run name and window; created if missing). Default: result rows are not stored.'),
    breaks: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, { error: 'must be a table name, optionally schema-qualified: schema.table' })
      .optional()
      .describe(
        'Table holding the state people gave breaks (assigned, commented, closed), written by the results page and API; the runner reads the closed breaks of its job from it so they stay closed in later runs until their data changes. Default raas_breaks.',
      ),
    tls: databaseOptionsSchema.shape.tls,
  })
  .superRefine((c, ctx) => {
    if ((c.urlEnv === undefined) === (c.postgres === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['urlEnv'], message: 'give exactly one of urlEnv and postgres.secretRef: where the catalog connection URL comes from' });
    }
  })
  .describe('Results catalog: after publishing, the run\'s summary (and optionally its result rows) is written to PostgreSQL in one transaction, replacing an earlier write for the same run name and window.');

export type CatalogSpec = z.infer<typeof catalogSchema>;

/** The variable the operator fills from catalog.postgres.secretRef. */
export const CATALOG_URL_ENV = 'RAAS_CATALOG_URL';
