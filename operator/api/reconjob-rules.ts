// The ReconJob spec's cross-field rules as CEL, for the API server. They mirror the
// superRefine in runner/spec/schema.ts, which stays free of Kubernetes concerns (the runner
// never depends on the operator), so the translation lives here. The CRD tests evaluate
// each rule against the same manifests as zod, so a rule changed on one side only fails.
//
// CEL cost: the API server rejects a CRD whose rules could be too expensive on the largest
// object. The summaries and measures rules iterate pairwise (64 x 64 name comparisons), the
// measure-vs-key rule 64 x 32; they stay cheap because zod bounds summaries and measures to
// 64 items, keys to 32, identifiers to 63 characters and column names to 256.
import { CRON_SHAPE } from '../../runner/window/cron.ts';
import { TIME_ZONE_SHAPE } from '../../runner/window/window.ts';
import type { ValidationRule } from './crd.ts';

const csvOnlyForCsv = (side: 'left' | 'right'): ValidationRule => ({
  rule: "!has(self.csv) || !has(self.format) || self.format == 'csv'",
  message: `spec.${side}.csv only applies to format csv; remove csv or set format: csv`,
  fieldPath: '.csv',
  reason: 'FieldValueForbidden',
});

const DB = (v: string): string => `(${['postgres', 'postgresql', 'mysql', 'mariadb'].map((x) => `${v}.startsWith('${x}://')`).join(' || ')})`;

// uri vs inputs and what database URIs need; mirrors checkInputs in runner/spec/schema.ts.
// startsWith keeps the cost constant per input (a regex over an unbounded uri would not).
const sideInputs = (side: 'left' | 'right'): ValidationRule[] => [
  {
    rule: 'has(self.uri) != has(self.inputs)',
    message: `spec.${side} needs exactly one of uri (one input) or inputs (several, joined by query)`,
    reason: 'FieldValueInvalid',
  },
  {
    rule: '!has(self.inputs) || (!has(self.format) && !has(self.csv) && !has(self.database))',
    message: `spec.${side}.format, csv and database go on each input (spec.${side}.inputs.<name>) when the side has inputs`,
    fieldPath: '.inputs',
    reason: 'FieldValueForbidden',
  },
  {
    rule: `!has(self.uri) || !${DB('self.uri')} || has(self.query)`,
    message: `spec.${side}.query is required for a database uri: the SELECT to run in the database`,
    fieldPath: '.query',
    reason: 'FieldValueRequired',
  },
  {
    rule: '!has(self.inputs) || (size(self.inputs) >= 1 && size(self.inputs) <= 16)',
    message: `spec.${side}.inputs must name 1 to 16 inputs`,
    fieldPath: '.inputs',
    reason: 'FieldValueInvalid',
  },
];

/** Rules on each named input (the map's values). */
const eachInput = (side: 'left' | 'right'): ValidationRule[] => [
  {
    rule: `${DB('self.uri')} == has(self.query)`,
    message: `spec.${side}.inputs.<name>.query is required for a database input (postgres://, mysql://) and only allowed there; transform files in spec.${side}.query`,
    fieldPath: '.query',
    reason: 'FieldValueInvalid',
  },
  {
    rule: "!has(self.csv) || !has(self.format) || self.format == 'csv'",
    message: `spec.${side}.inputs.<name>.csv only applies to format csv; remove csv or set format: csv`,
    fieldPath: '.csv',
    reason: 'FieldValueForbidden',
  },
];

/** Rules keyed by path under spec (see CrdSchemaOptions.validations). */
export const reconJobSpecValidations: Record<string, ValidationRule[]> = {
  '': [
    {
      rule: '!(has(self.aggregate) && has(self.compare))',
      message:
        'spec.compare cannot be used with spec.aggregate: in a summary reconciliation the measures are compared; remove compare and put tolerances on the measures',
      fieldPath: '.compare',
      reason: 'FieldValueForbidden',
    },
    {
      rule: '!(has(self.carryForward) && has(self.aggregate))',
      message: 'spec.carryForward cannot be used with spec.aggregate: group totals of one period are not items that settle in a later one; carry items forward in a row-by-row job',
      fieldPath: '.carryForward',
      reason: 'FieldValueForbidden',
    },
    {
      // Names ignore case, as DuckDB identifiers do (zod: runner/spec/schema.ts).
      rule:
        '!has(self.aggregate) || self.aggregate.measures.all(m, self.keys.all(k, k.column.lowerAscii() != m.__as__.lowerAscii() && (!has(k.right) || k.right.lowerAscii() != m.__as__.lowerAscii())))',
      message: 'spec.aggregate.measures[].as must differ from every key column (ignoring case); give the measure another name',
      fieldPath: '.aggregate.measures',
      reason: 'FieldValueInvalid',
    },
  ],
  '.amount': [
    {
      rule: '!has(self.currencyRight) || has(self.currency)',
      message: "spec.amount.currencyRight needs spec.amount.currency: name the left side's currency column too",
      fieldPath: '.currencyRight',
      reason: 'FieldValueRequired',
    },
  ],
  '.left': [csvOnlyForCsv('left'), ...sideInputs('left')],
  '.right': [csvOnlyForCsv('right'), ...sideInputs('right')],
  // The schedule's shape, so `kubectl apply` refuses "0 25 * * *" or "Asia/Tokyo " at once.
  // Both rules accept everything the runner accepts (normalizeCron, assertTimeZone); what
  // only code can tell (a cron range that runs backwards, a well-formed zone name the time
  // zone database does not have) is the operator's Ready=False. The regexes are bounded by
  // the fields' maxLength, which keeps their CEL cost small.
  '.schedule.cron': [
    {
      rule: `self.lowerAscii().matches(r'${CRON_SHAPE}')`,
      message:
        'spec.schedule.cron must be five fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-6 or sun-sat; with * ? - / and lists) or @daily, @hourly, ...; e.g. "0 2 * * *"',
      reason: 'FieldValueInvalid',
    },
  ],
  '.schedule.timeZone': [
    {
      rule: `self.matches(r'${TIME_ZONE_SHAPE}')`,
      message: 'spec.schedule.timeZone must be an IANA time zone name such as UTC, Europe/Berlin or Asia/Tokyo',
      reason: 'FieldValueInvalid',
    },
  ],
  '.output.catalog': [
    {
      rule: 'has(self.urlEnv) != has(self.postgres)',
      message: 'spec.output.catalog needs exactly one of urlEnv and postgres.secretRef: where the catalog connection URL comes from',
      reason: 'FieldValueInvalid',
    },
  ],
  '.left.inputs{}': eachInput('left'),
  '.right.inputs{}': eachInput('right'),
  '.aggregate.measures': [
    {
      rule: 'self.all(m, self.exists_one(n, n.__as__.lowerAscii() == m.__as__.lowerAscii()))',
      message: 'spec.aggregate.measures[].as must be unique (ignoring case); rename the measures that share a name',
    },
  ],
  '.aggregate.measures[]': [
    {
      rule: "self.fn == 'count' || has(self.column)",
      message: 'spec.aggregate.measures[].column is required unless fn is count; set column, or use fn: count to count rows',
      fieldPath: '.column',
      reason: 'FieldValueRequired',
    },
  ],
  '.notify[]': [
    {
      rule: 'has(self.kafka) != has(self.webhook)',
      message: 'spec.notify[] must name exactly one sink: kafka or webhook; split an entry that names both into two',
      reason: 'FieldValueInvalid',
    },
    {
      rule: 'has(self.on) != has(self.events)',
      message: 'spec.notify[] needs exactly one list of events: "on" (quoted, since kubectl reads a bare on as true) or events',
      reason: 'FieldValueInvalid',
    },
  ],
  '.summaries': [
    {
      rule: 'self.all(s, self.exists_one(t, t.name.lowerAscii() == s.name.lowerAscii()))',
      message: 'spec.summaries[].name must be unique (ignoring case); rename the summaries that share a name',
    },
  ],
};
