// The ReconJob API as zod schemas: the single source of truth for the CLI's manifest
// parsing, the TypeScript types and (later) the generated CRDs. Descriptions here are
// what `kubectl explain` shows, so they state defaults: the schemas deliberately carry
// no `.default()`, because API-server defaulting makes Argo CD report committed objects
// as OutOfSync forever (docs/design.md, Shape). Defaults are applied in code by `resolveDefaults`.
import { z } from 'zod';
import { PERIODS, WEEKDAYS } from '../window/window.ts';
import { catalogSchema, databaseOptionsSchema, ftpOptionsSchema, sftpOptionsSchema } from './connections.ts';
import { foldName } from './fold-name.ts';

export const FORMATS = ['parquet', 'csv', 'json', 'ndjson'] as const;
export const OUTPUT_FORMATS = ['parquet', 'csv'] as const;
export const OUTPUT_MODES = ['Full', 'AllDiffs', 'LeftDiffs', 'RightDiffs'] as const;
export const NORMALIZERS = ['trim', 'lower', 'collapseWhitespace'] as const;
export const AGGREGATE_FNS = ['sum', 'count', 'min', 'max'] as const;
export const NOTIFY_EVENTS = ['Started', 'Succeeded', 'Failed', 'Balanced', 'Unbalanced'] as const;
export const CONCURRENCY_POLICIES = ['Forbid', 'Allow', 'Replace'] as const;

// A column name as it appears in the data. Any text is allowed (names are always quoted
// in generated SQL), but it must not be empty. At most 256 characters, so the CRD's CEL
// rules that compare names stay within the API server's cost budget.
const columnName = z.string().min(1).max(256, { error: 'must be at most 256 characters' });
// At most 63 characters: names become column names and status keys, and the CRD's CEL
// rules compare them pairwise within the API server's cost budget.
const identifierName = z
  .string()
  .max(63, { error: 'must be at most 63 characters' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be a plain identifier: letters, digits and _, not starting with a digit' });
const memorySize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/, { error: 'must be a size such as 512MB, 2GB or 4GiB' });
const nonNegativeInt = z.number().int().min(0);

/** A strftime format (DuckDB's dateformat/timestampformat); at least one % specifier. */
const dateFormatText = z
  .string()
  .min(2)
  .max(64)
  .regex(/%[A-Za-z]/, { error: 'must be a strftime format with % specifiers, e.g. "%d/%m/%Y"' });

export const csvOptionsSchema = z
  .strictObject({
    delimiter: z.string().min(1).max(1).optional().describe('Field delimiter, one character. Default ",".'),
    header: z.boolean().optional().describe('Whether the first line holds column names. Default true.'),
    quote: z.string().min(1).max(1).optional().describe('Quote character. Default \'"\'.'),
    escape: z.string().min(1).max(1).optional().describe('Escape character inside quotes. Default the quote character.'),
    nullString: z.string().optional().describe('Text that means NULL (for example "NULL" or "\\\\N"). Default: empty fields are NULL.'),
    skipRows: nonNegativeInt.optional().describe('Lines to skip before the header (for files with a preamble). Default 0.'),
    dateFormat: dateFormatText
      .optional()
      .describe(
        'How dates are written, as a strftime format such as "%d/%m/%Y" or "%m/%d/%Y". Required when the file holds dates that are not year-first (2024-01-31): ' +
          'a format guessed from the data can differ from file to file (01/02/2024 reads either way), so raas refuses to guess. ' +
          'A compared column whose dates do not follow the declared format is refused too (it would be read as text).',
      ),
    timestampFormat: dateFormatText
      .optional()
      .describe('How timestamps are written, as a strftime format such as "%d/%m/%Y %H:%M:%S". Required, like dateFormat, when they are not year-first.'),
  })
  .describe('CSV reading options; only for format csv. Files ending in .gz are decompressed transparently.');

const URI_HELP =
  'A local path (relative to the manifest when run locally; globs such as data/*.csv allowed), ' +
  's3://bucket/prefix/*.parquet (globs allowed; endpoint and credentials from the standard AWS_* environment variables), ' +
  'an https:// URL, sftp://user@host[:port]/path/*.csv (see sftp), ftp://[user@]host[:port]/path or ftps://... (see ftp), ' +
  'or a database: postgres://$VAR or mysql://$VAR, where VAR is an environment variable from a Secret holding the connection URL (see database; the query runs in the database). ' +
  'Templates such as {{ window.startDate }} are inserted as text.';

export const inputSchema = z
  .strictObject({
    uri: z.string().min(1).describe(`Where this input is. ${URI_HELP}`),
    format: z
      .enum(FORMATS)
      .optional()
      .describe('File format: parquet, csv, json or ndjson. Default: from the file extension (database inputs are always read as their query\'s columns).'),
    csv: csvOptionsSchema.optional(),
    query: z
      .string()
      .min(1)
      .optional()
      .describe('Database inputs only (and required for them): the SELECT run in the database. Templates become bind parameters ($1 or ?), never SQL text.'),
    sftp: sftpOptionsSchema.optional(),
    ftp: ftpOptionsSchema.optional(),
    database: databaseOptionsSchema.optional(),
  })
  .describe('One named input of a side; the side\'s query reads it as a table of this name.');

export const sourceSchema = z
  .strictObject({
    name: z.string().min(1).max(63).optional().describe('Display name of this side in reports and messages. Default "left" or "right".'),
    uri: z
      .string()
      .min(1)
      .optional()
      .describe(`Where the data is (give uri or inputs, not both). ${URI_HELP}`),
    inputs: z
      .record(
        z.string().max(63).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'input names must be plain identifiers: letters, digits and _, not starting with a digit' }),
        inputSchema,
      )
      .optional()
      .describe('Several named inputs instead of one uri (at most 16), each any scheme; the query joins them by name, e.g. SELECT ... FROM orders o LEFT JOIN refunds r USING (id). Give uri or inputs, not both.'),
    format: z
      .enum(FORMATS)
      .optional()
      .describe('File format: parquet, csv, json (array or newline-delimited) or ndjson. Default: from the file extension.'),
    csv: csvOptionsSchema.optional(),
    query: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Optional DuckDB SQL run over this side before comparing; the input is the table "source" (with inputs: each input by its name). Templates are inserted as ' +
          "quoted SQL literals, e.g. WHERE day >= {{ window.startDate }}::DATE. Functions such as regexp_extract are available. " +
          'For a postgres:// or mysql:// uri the query is required and runs in the database instead, with templates as bind parameters.',
      ),
    sftp: sftpOptionsSchema.optional(),
    ftp: ftpOptionsSchema.optional(),
    database: databaseOptionsSchema.optional(),
  })
  .describe('One side of the comparison.');

export const keySchema = z
  .strictObject({
    column: columnName.describe('Key column on the left (primary) side.'),
    right: columnName.optional().describe('Key column on the right side. Default: the same as column.'),
    type: z
      .enum(['text', 'numeric'])
      .optional()
      .describe(
        'How key values are compared: text (exactly as written: "01" and "1" differ) or numeric (as exact numbers: "01" equals 1). ' +
          'Default: as the sources type them, where CSV and JSON keys are text; a number on one side and text on the other is refused until this is set.',
      ),
  })
  .describe('A key column; rows with equal keys on both sides are compared.');

export const toleranceSchema = z
  .strictObject({
    absolute: z.number().min(0).optional().describe('Largest allowed |right - left|, in exact decimal arithmetic. Default 0.'),
    relative: z.number().min(0).optional().describe('Largest allowed |right - left| as a fraction of |left| (0.001 = 0.1%). Added to absolute. Default 0.'),
  })
  .describe('Numeric tolerance: values match when |right - left| <= absolute + relative * |left|. Default: exact equality.');

export const compareColumnSchema = z
  .strictObject({
    column: columnName.describe('Column on the left side.'),
    right: columnName.optional().describe('Column on the right side. Default: the same as column.'),
    tolerance: toleranceSchema.optional(),
    normalize: z
      .array(z.enum(NORMALIZERS))
      .optional()
      .describe('Text normalisation applied to both sides before comparing, in order: trim, lower, collapseWhitespace. Default none.'),
  })
  .describe('A column whose values are compared for each key.');

export const measureSchema = z
  .strictObject({
    fn: z.enum(AGGREGATE_FNS).describe('Aggregate function: sum, count, min or max.'),
    column: columnName.optional().describe('Column aggregated on the left side; not needed for count (which counts rows).'),
    right: columnName.optional().describe('Column aggregated on the right side. Default: the same as column.'),
    as: identifierName.describe('Name of the resulting measure column (a plain identifier, at most 63 characters); it is compared like a compare column.'),
    tolerance: toleranceSchema.optional(),
  })
  .describe('A measure computed per key group on both sides.');

export const aggregateSchema = z
  .strictObject({
    measures: z
      .array(measureSchema)
      .min(1)
      .max(64, { error: 'must list at most 64 measures' })
      .describe('Measures computed per key group; each is compared between the sides. One to 64.'),
  })
  .describe('Summary reconciliation: group both sides by the keys with these measures first, then compare the groups 1:1.');

export const outputSchema = z
  .strictObject({
    mode: z
      .enum(OUTPUT_MODES)
      .optional()
      .describe('Which rows the result table holds: Full (every key), AllDiffs (all but matches), LeftDiffs, RightDiffs. Default AllDiffs.'),
    uri: z
      .string()
      .min(1)
      .optional()
      .describe('Where result files and summary.json go: a directory path, s3://bucket/prefix/, sftp://user@host[:port]/dir/ (see sftp) or ftp(s)://... (see ftp); each file is written under a temporary name and renamed, summary.json last. Templates inserted as text. Default when run locally: ./raas-out/{{ job.name }}/ and one folder per window (the start date for one whole day).'),
    format: z.enum(OUTPUT_FORMATS).optional().describe('Result file format: parquet or csv. Default parquet.'),
    sftp: sftpOptionsSchema.optional(),
    ftp: ftpOptionsSchema.optional(),
    catalog: catalogSchema.optional(),
    columns: z
      .array(
        z
          .strictObject({
            column: columnName.describe('Column on the left side; the result gets <column>_left.'),
            right: columnName.optional().describe('Column on the right side; the result gets <column>_right from it. Default: the same as column.'),
          })
          .describe('A column carried into the result table from both sides, not compared.'),
      )
      .max(64, { error: 'must list at most 64 carried columns' })
      .optional()
      .describe('Extra columns carried into the result table as <column>_left and <column>_right, in every output mode, without being compared (e.g. a merchant name next to a differing amount). Not with aggregate. Default none.'),
  })
  .describe('Where and how the result table is written.');

export const summarySchema = z
  .strictObject({
    name: identifierName.describe('Name of the value in summary.json and the ReconRun status: a plain identifier, at most 63 characters.'),
    sql: z.string().min(1).describe('DuckDB SQL returning one row with one column, over the table result_table (the written result rows).'),
  })
  .describe('A summary value computed by SQL over the result table.');

export const expectSchema = z
  .strictObject({
    maxMismatched: nonNegativeInt.optional().describe('Largest number of mismatched keys for a balanced result. Default 0.'),
    maxLeftOnly: nonNegativeInt.optional().describe('Largest number of keys only on the left for a balanced result. Default 0.'),
    maxRightOnly: nonNegativeInt.optional().describe('Largest number of keys only on the right for a balanced result. Default 0.'),
    maxDuplicateKeys: nonNegativeInt.optional().describe('Largest number of duplicated keys, both sides together, for a balanced result. Default 0.'),
    maxNullKeys: nonNegativeInt.optional().describe('Largest number of rows with a NULL key, both sides together, for a balanced result. Default 0.'),
    allowEmpty: z
      .boolean()
      .optional()
      .describe('Whether a window where neither side has a row can be balanced (e.g. no trading on a holiday). Without it such a run compared nothing and is not balanced, with a warning. Default false.'),
  })
  .describe('Limits for a balanced result; every count within its limit means balanced. All default to 0.');

export const scheduleSchema = z
  .strictObject({
    cron: z.string().min(1).max(512, { error: 'must be at most 512 characters' }).describe('Five-field cron expression for scheduled runs, e.g. "0 2 * * *".'),
    timeZone: z.string().min(1).max(128, { error: 'must be at most 128 characters' }).optional().describe('IANA time zone for the cron and the periods, e.g. Asia/Tokyo. Default UTC.'),
    period: z.enum(PERIODS).optional().describe('The window a run covers: Daily, Weekly, SemiMonthly, Monthly or Quarterly. Default Daily.'),
    weekStartsOn: z.enum(WEEKDAYS).optional().describe('First day of a Weekly period. Default Monday.'),
    anchorDay: z.number().int().min(1).max(28).optional().describe('Monthly periods start on this day of the month (28 = 28th to 27th). Default 1.'),
    suspend: z.boolean().optional().describe('Stop scheduling new runs. Default false.'),
    concurrencyPolicy: z.enum(CONCURRENCY_POLICIES).optional().describe('What to do when a run is still going at the next schedule. Default Forbid.'),
    startingDeadlineSeconds: z.number().int().min(1).optional().describe('Skip a scheduled run that could not start within this many seconds. Default 3600.'),
  })
  .describe('When to run. A run at time T covers the last complete period before T.');

// Kubernetes label syntax: an optional DNS-subdomain prefix and "/", then a name of at most
// 63 characters; values are empty or a name. Checked here so a typo in a routing rule is a
// spec error, not a rule that silently never matches.
const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
function isLabelKey(k: string): boolean {
  const slash = k.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : k.slice(0, slash);
  const name = slash < 0 ? k : k.slice(slash + 1);
  return labelName.test(name) && (prefix === undefined || (prefix.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(prefix)));
}
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, { error: 'must be a Kubernetes label value: at most 63 letters, digits, "-", "_" or "."' });
const notifyEvents = z.array(z.enum(NOTIFY_EVENTS)).min(1, { error: 'must list at least one event: Started, Succeeded, Failed, Balanced or Unbalanced' });

export const notifySchema = z
  .strictObject({
    kafka: z
      .strictObject({ topic: z.string().min(1).max(249).regex(/^[A-Za-z0-9._-]+$/, { error: 'must be a Kafka topic name: letters, digits, ".", "_" and "-"' }).describe('Kafka topic for the events.') })
      .optional()
      .describe('Send events to Kafka: message key = run name, value = the CloudEvent (structured JSON). Brokers, TLS and SASL are configured once for the operator (RAAS_KAFKA_* environment).'),
    webhook: z
      .strictObject({
        secretRef: z
          .strictObject({
            name: z.string().min(1).describe('Secret name, in the ReconJob\'s namespace.'),
            key: z.string().min(1).optional().describe('Key holding the URL. Default "url".'),
          })
          .describe('Secret holding the webhook URL (URLs often embed a token, so never inline).'),
        format: z.enum(['cloudevents', 'slack']).optional().describe('Body format: cloudevents (the CloudEvent as JSON) or slack ({"text": "..."} for Slack-compatible incoming webhooks). Default cloudevents.'),
      })
      .optional()
      .describe('POST events to a webhook; a non-2xx answer is a failed attempt, retried with backoff.'),
    on: notifyEvents
      .optional()
      .describe('Events that trigger this notification: Started, Succeeded, Failed, Balanced, Unbalanced. In manifests applied with kubectl write the key quoted ("on":): kubectl reads a bare on as the boolean true. Or use events.'),
    events: notifyEvents.optional().describe('The same as on, under a name every YAML parser reads as text. Give exactly one of on and events.'),
    match: z
      .strictObject({
        namePattern: z
          .string()
          .min(1)
          .max(253)
          .regex(/^[-a-z0-9.*?[\]{},!]+$/, { error: 'must be a glob over ReconJob names: a-z, 0-9, "-", "." and the glob characters * ? [ ] { } , !' })
          .optional()
          .describe('Glob the ReconJob name must match, e.g. "payments-*". Default: any name.'),
        labels: z
          .record(z.string(), labelValue)
          .superRefine((labels, ctx) => {
            // Checked here rather than as the record's key schema, whose errors lose the message.
            for (const k of Object.keys(labels)) if (!isLabelKey(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'is not a Kubernetes label key, e.g. team or example.com/team' });
          })
          .optional().describe('Labels the ReconJob must carry, each with exactly this value. Default: none required.'),
      })
      .optional()
      .describe('Routing: send only for ReconJobs that match every condition given. Useful in a shared base manifest (Kustomize) applied to many jobs. Default: always.'),
  })
  .superRefine((n, ctx) => {
    if ((n.kafka ? 1 : 0) + (n.webhook ? 1 : 0) !== 1) {
      ctx.addIssue({ code: 'custom', path: [], message: 'must name exactly one sink: kafka or webhook (use one notify entry per sink)' });
    }
    if (n.on && n.events) ctx.addIssue({ code: 'custom', path: ['events'], message: 'cannot be used together with on; keep one of them' });
    if (!n.on && !n.events) {
      ctx.addIssue({
        code: 'custom',
        path: ['on'],
        message: 'is required: list the events, e.g. events: [Failed, Unbalanced] (a bare on: key applied with kubectl arrives as "true" and is dropped; quote it as "on": or use events:)',
      });
    }
  })
  .describe('A notification sink and the events it receives.');

export const runnerSchema = z
  .strictObject({
    image: z.string().min(1).optional().describe('Runner container image. Default: the operator\'s own image.'),
    resources: z
      .strictObject({
        requests: z.record(z.string(), z.string()).optional().describe('Resource requests, e.g. cpu: "1", memory: 2Gi.'),
        limits: z.record(z.string(), z.string()).optional().describe('Resource limits.'),
      })
      .optional()
      .describe('Runner container resources.'),
    serviceAccountName: z.string().min(1).optional().describe('Service account for runner pods (for cloud IAM). Default: none, no token mounted.'),
    envFrom: z
      .array(
        z.strictObject({
          secretRef: z.strictObject({ name: z.string().min(1).describe('Secret name.') }).optional().describe('Secret with environment variables.'),
          configMapRef: z.strictObject({ name: z.string().min(1).describe('ConfigMap name.') }).optional().describe('ConfigMap with environment variables.'),
        }).describe('A Secret or ConfigMap whose keys become environment variables.'),
      )
      .optional()
      .describe('Environment from Secrets or ConfigMaps, e.g. AWS credentials. Credentials never go inline.'),
    activeDeadlineSeconds: z.number().int().min(1).optional().describe('Fail a run that takes longer than this. Default 21600 (6 h).'),
    memoryLimit: memorySize.optional().describe('DuckDB memory limit; larger inputs spill to disk. Default: 80% of the container memory.'),
    threads: z.number().int().min(1).max(256).optional().describe('DuckDB worker threads. Default: the number of CPUs.'),
  })
  .describe('How runner pods run.');

export const sparkSchema = z
  .strictObject({
    executors: z.number().int().min(1).max(1000).optional().describe('Spark executor pods for a spark run on Kubernetes. Default 2.'),
    executorCores: z.number().int().min(1).max(64).optional().describe('CPU cores per executor. Default 1.'),
    executorMemory: memorySize.optional().describe('Memory per executor (Spark heap), e.g. 4GB. Default 2GB.'),
    executorCpuRequest: z
      .string()
      .regex(/^(?:[1-9]\d*m|\d+(?:\.\d+)?)$/, 'a CPU quantity such as 500m or 2')
      .optional()
      .describe('CPU each executor pod requests from the scheduler (a Kubernetes quantity, e.g. 500m). Default: executorCores. Spark still runs executorCores tasks at once per executor.'),
    image: z.string().min(1).optional().describe("Executor container image (the raas-spark image). Default: the runner's image."),
  })
  .describe('Spark settings for engine: spark on Kubernetes (the runner pod is the Spark driver and Spark starts executor pods). Ignored for engine: duckdb.');

export const historySchema = z
  .strictObject({
    successfulRuns: nonNegativeInt.optional().describe('Succeeded ReconRuns kept. Default 30.'),
    failedRuns: nonNegativeInt.optional().describe('Failed ReconRuns kept. Default 10.'),
  })
  .describe('How many finished ReconRuns are kept; result files stay.');

export const amountSchema = z
  .strictObject({
    column: columnName.describe('Money column on the left side; read as an exact decimal. In summary reconciliation, the name of a measure (its as).'),
    right: columnName.optional().describe('Money column on the right side. Default: the same as column.'),
    currency: columnName
      .optional()
      .describe('Currency column on the left side (e.g. an ISO 4217 code). Money is totalled per currency, never across them. Default: no currency column; totals go under the key XXX.'),
    currencyRight: columnName.optional().describe('Currency column on the right side. Default: the same as currency; only with currency.'),
  })
  .describe(
    'The money column (and currency column) of the job: every run then reports money at stake per currency in summary.json and the ReconRun status: the left-only total, the right-only total and the absolute differences of mismatches, as exact decimal strings.',
  );

export const carryForwardSchema = z
  .strictObject({
    periods: z
      .number()
      .int()
      .min(1, { error: 'must be at least 1: the number of earlier periods whose open items take part in matching' })
      .max(366, { error: 'must be at most 366' })
      .describe('How many earlier periods\' open left-only and right-only items take part in this window\'s matching (1 = the previous period only). Older open items stay open and keep ageing without being matched.'),
  })
  .describe(
    'Carry open items forward: the still-open left-only and right-only items of the previous periods enter this window\'s matching, so an item settled a period late is reported as matched_late instead of two breaks. Reads the open-items file the previous window committed next to its summary.json (found by rendering output.uri for that window); needs schedule.period to define the windows and output.uri with a window template; runs of the job execute in window order.',
  );

export const reconJobSpecSchema = z
  .strictObject({
    left: sourceSchema.describe('The primary source (for example the ledger).'),
    right: sourceSchema.describe('The target source compared against the primary (for example the bank file).'),
    keys: z
      .array(keySchema)
      .min(1, { error: 'must list at least one key column, e.g. keys: [{ column: id }]' })
      .max(32, { error: 'must list at most 32 key columns' })
      .describe('Key columns that identify a row on both sides; one to 32.'),
    compare: z
      .array(compareColumnSchema)
      .optional()
      .describe('Columns to compare. Default: every column present on both sides that is not a key.'),
    aggregate: aggregateSchema.optional(),
    output: outputSchema.optional(),
    summaries: z
      .array(summarySchema)
      .max(64, { error: 'must list at most 64 summaries' })
      .optional()
      .describe('Summary values computed by SQL over the result table. At most 64, with unique names.'),
    expect: expectSchema.optional(),
    schedule: scheduleSchema.optional(),
    notify: z.array(notifySchema).optional().describe('Notifications sent when runs finish.'),
    runner: runnerSchema.optional(),
    engine: z
      .enum(['duckdb', 'spark'])
      .optional()
      .describe(
        'The compare engine. duckdb (default): embedded, one pod, fastest up to what one machine holds. spark: Spark SQL, local or with executor pods on Kubernetes, for data no single pod holds; query and summaries SQL are then Spark SQL.',
      ),
    spark: sparkSchema.optional(),
    history: historySchema.optional(),
    maxParallelRuns: z.number().int().min(1).optional().describe('Most runs of this job executing at once; others wait Pending. Default 2 (1, in window order, with carryForward).'),
    amount: amountSchema.optional(),
    carryForward: carryForwardSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.aggregate && spec.compare) {
      ctx.addIssue({
        code: 'custom',
        path: ['compare'],
        message: 'cannot be used with aggregate: in summary reconciliation the measures are compared; put tolerances on the measures instead',
      });
    }
    const seen = new Set<string>();
    spec.summaries?.forEach((s, i) => {
      if (seen.has(foldName(s.name))) ctx.addIssue({ code: 'custom', path: ['summaries', i, 'name'], message: `"${s.name}" is used twice (names ignore letter case); summary names must be unique` });
      seen.add(foldName(s.name));
    });
    // Measures become columns next to the keys in each side's grouped rows, so a measure
    // named like a key (in any case) would replace or shadow it.
    const keyNames = new Map<string, string>();
    spec.keys.forEach((k, i) => {
      keyNames.set(foldName(k.column), `spec.keys[${i}].column`);
      if (k.right !== undefined) keyNames.set(foldName(k.right), `spec.keys[${i}].right`);
    });
    const measureNames = new Set<string>();
    if (spec.aggregate && spec.output?.columns?.length) {
      ctx.addIssue({ code: 'custom', path: ['output', 'columns'], message: 'cannot be used with aggregate: group rows hold only the keys and the measures; remove output.columns or compare row by row' });
    }
    spec.aggregate?.measures.forEach((m, i) => {
      const key = keyNames.get(foldName(m.as));
      if (key) ctx.addIssue({ code: 'custom', path: ['aggregate', 'measures', i, 'as'], message: `"${m.as}" is also the key column ${key} (names ignore letter case); give the measure another name` });
      if (measureNames.has(foldName(m.as))) ctx.addIssue({ code: 'custom', path: ['aggregate', 'measures', i, 'as'], message: `"${m.as}" is used by another measure (names ignore letter case); measure names must be unique` });
      measureNames.add(foldName(m.as));
    });
    spec.aggregate?.measures.forEach((m, i) => {
      if (m.fn !== 'count' && !m.column) {
        ctx.addIssue({ code: 'custom', path: ['aggregate', 'measures', i, 'column'], message: `is required for fn ${m.fn}; only count works without a column` });
      }
    });
    if (spec.amount?.currencyRight !== undefined && spec.amount.currency === undefined) {
      ctx.addIssue({ code: 'custom', path: ['amount', 'currencyRight'], message: 'needs amount.currency: name the left side\'s currency column too' });
    }
    if (spec.carryForward) {
      if (spec.aggregate) {
        ctx.addIssue({ code: 'custom', path: ['carryForward'], message: 'cannot be used with aggregate: group totals of one period are not items that settle in a later one; carry items forward in a row-by-row job' });
      }
      const uri = spec.output?.uri;
      if (uri !== undefined && !WINDOW_TEMPLATE.test(uri)) {
        ctx.addIssue({
          code: 'custom',
          path: ['output', 'uri'],
          message: 'must contain a window template such as {{ window.startDate }} when carryForward is set: each window\'s results, and the open items the next window reads, need a location of their own',
        });
      }
      if (uri !== undefined && RUN_TEMPLATE.test(uri)) {
        ctx.addIssue({ code: 'custom', path: ['output', 'uri'], message: 'cannot use {{ run.name }} when carryForward is set: the next window finds this one\'s open items by rendering output.uri for this window' });
      }
    }
    for (const side of ['left', 'right'] as const) {
      const src = spec[side];
      if (src.csv && src.format && src.format !== 'csv') {
        ctx.addIssue({ code: 'custom', path: [side, 'csv'], message: `only applies to format csv, but format is ${src.format}; remove csv or set format: csv` });
      }
      checkInputs(src, side, ctx);
    }
  })
  .describe('What to compare, how, and how often.');

/** A window template in an output location: it gives each window a location of its own. */
const WINDOW_TEMPLATE = /\{\{\s*window\.(start|end|startDate|endDate)\s*\}\}/;
const RUN_TEMPLATE = /\{\{\s*run\.name\s*\}\}/;

// Lower case, as the CRD's CEL rule (startsWith) sees it; the runner itself reads any case.
const DATABASE_URI = /^(postgres|postgresql|mysql|mariadb):\/\//;

/** uri vs inputs, and what a database URI needs (mirrored as CEL in operator/api/reconjob-rules.ts). */
function checkInputs(src: z.infer<typeof sourceSchema>, side: 'left' | 'right', ctx: z.core.$RefinementCtx): void {
  const names = src.inputs ? Object.keys(src.inputs) : [];
  if (src.uri === undefined && src.inputs === undefined) {
    ctx.addIssue({ code: 'custom', path: [side, 'uri'], message: 'is required: give uri (one input) or inputs (several, joined by query)' });
  }
  if (src.uri !== undefined && src.inputs !== undefined) {
    ctx.addIssue({ code: 'custom', path: [side, 'inputs'], message: 'cannot be used together with uri; keep one of them' });
  }
  if (src.inputs !== undefined && (names.length < 1 || names.length > 16)) {
    ctx.addIssue({ code: 'custom', path: [side, 'inputs'], message: `must name 1 to 16 inputs, got ${names.length}` });
  }
  if (src.inputs && (src.format || src.csv || src.database)) {
    ctx.addIssue({ code: 'custom', path: [side, src.format ? 'format' : src.csv ? 'csv' : 'database'], message: 'goes on each input (inputs.<name>) when the side has inputs' });
  }
  if (src.uri !== undefined && DATABASE_URI.test(src.uri) && !src.query) {
    ctx.addIssue({ code: 'custom', path: [side, 'query'], message: 'is required for a database uri: the SELECT to run in the database' });
  }
  for (const name of names) {
    const input = src.inputs![name]!;
    const db = DATABASE_URI.test(input.uri);
    if (db && !input.query) ctx.addIssue({ code: 'custom', path: [side, 'inputs', name, 'query'], message: 'is required for a database input: the SELECT to run in the database' });
    if (!db && input.query) ctx.addIssue({ code: 'custom', path: [side, 'inputs', name, 'query'], message: `only applies to database inputs (postgres:// or mysql://); transform files in spec.${side}.query` });
    if (input.csv && input.format && input.format !== 'csv') {
      ctx.addIssue({ code: 'custom', path: [side, 'inputs', name, 'csv'], message: `only applies to format csv, but format is ${input.format}; remove csv or set format: csv` });
    }
  }
}

export const metadataSchema = z
  .looseObject({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
        error: 'must be a lowercase DNS name: a-z, 0-9, "-" and ".", starting and ending with a letter or digit',
      }),
    namespace: z.string().min(1).optional(),
  })
  .describe('Standard object metadata.');

export const reconJobSchema = z.looseObject({
  apiVersion: z.literal('raas.dev/v1alpha1', { error: 'must be raas.dev/v1alpha1' }),
  kind: z.literal('ReconJob', { error: 'must be ReconJob' }),
  metadata: metadataSchema,
  spec: reconJobSpecSchema,
});

export type ReconJob = z.infer<typeof reconJobSchema>;
export type ReconJobSpec = z.infer<typeof reconJobSpecSchema>;
export type SourceSpec = z.infer<typeof sourceSchema>;
export type InputSpec = z.infer<typeof inputSchema>;
export type CompareColumnSpec = z.infer<typeof compareColumnSchema>;
export type ToleranceSpec = z.infer<typeof toleranceSchema>;
export type MeasureSpec = z.infer<typeof measureSchema>;
export type OutputMode = (typeof OUTPUT_MODES)[number];
export type SourceFormat = (typeof FORMATS)[number];
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export type Normalizer = (typeof NORMALIZERS)[number];
export type AmountSpec = z.infer<typeof amountSchema>;
export type CarryForwardSpec = z.infer<typeof carryForwardSchema>;
