// What a side reads, as a plan: its inputs (one `source` for a uri, or the named inputs),
// each with its rendered URI, the field its errors name, its connection options and, for
// a database, the query to run there with bind parameters; plus the DuckDB query that
// turns the inputs into the side's rows. Pure: templates in, plan out.
import { schemeOf } from '../stage/schemes.ts';
import type { SourceSpec, InputSpec } from '../spec/schema.ts';
import type { ConnectionOptions, StageRequest } from '../stage/types.ts';
import { renderSql, renderSqlBound, renderText, type TemplateVars } from '../template/render.ts';
import type { Side } from '../compare/plan.ts';

export interface PlannedInput extends ConnectionOptions {
  /** The table name the side's query reads: "source" for a single uri. */
  name: string;
  /** Internal DuckDB view holding the input. */
  view: string;
  uri: string;
  /** e.g. spec.left.uri or spec.left.inputs.orders.uri */
  field: string;
  /** The spec entry format/csv are read from. */
  spec: Pick<SourceSpec, 'format' | 'csv' | 'uri'>;
  /** For postgres:// and mysql:// inputs: the query run in the database. */
  dbQuery?: StageRequest['query'];
}

export interface SidePlan {
  inputs: PlannedInput[];
  /** True when the side lists inputs by name (its query sees each by name, not as `source`). */
  named: boolean;
  /** The DuckDB query over the inputs; undefined = the input as is. */
  duckQuery: string | undefined;
  duckQueryField: string;
}

function dbQuery(uri: string, query: string | undefined, vars: TemplateVars, field: string): StageRequest['query'] {
  const scheme = schemeOf(uri);
  if (scheme !== 'postgres' && scheme !== 'mysql') return undefined;
  if (!query) return undefined; // the stager says the query is required, naming the field
  return { ...renderSqlBound(query, vars, field, scheme === 'postgres' ? 'dollar' : 'question'), field };
}

function options(src: ConnectionOptions): ConnectionOptions {
  return { sftp: src.sftp, ftp: src.ftp, database: src.database };
}

export function planSide(src: SourceSpec, side: Side, vars: TemplateVars): SidePlan {
  const base = `spec.${side}`;
  if (src.inputs) {
    const inputs = Object.entries(src.inputs).map(([name, input]: [string, InputSpec]) => {
      const field = `${base}.inputs.${name}.uri`;
      const uri = renderText(input.uri, vars, field);
      const q = dbQuery(uri, input.query, vars, `${base}.inputs.${name}.query`);
      return { name, view: `${side}_input__${name}`, uri, field, spec: input, ...options(input), ...(q ? { dbQuery: q } : {}) };
    });
    return { inputs, named: true, duckQuery: src.query ? renderSql(src.query, vars, `${base}.query`) : undefined, duckQueryField: `${base}.query` };
  }
  const field = `${base}.uri`;
  const uri = renderText(src.uri ?? '', vars, field);
  const q = dbQuery(uri, src.query, vars, `${base}.query`);
  // For a database uri the side's query ran in the database; DuckDB takes the rows as they are.
  const duckQuery = q || schemeOf(uri) === 'postgres' || schemeOf(uri) === 'mysql' ? undefined : src.query ? renderSql(src.query, vars, `${base}.query`) : undefined;
  return {
    inputs: [{ name: 'source', view: `${side}_input`, uri, field, spec: src, ...options(src), ...(q ? { dbQuery: q } : {}) }],
    named: false,
    duckQuery,
    duckQueryField: `${base}.query`,
  };
}
