import { describe, expect, it } from 'vitest';
import { templateVars } from '../template/render.ts';
import { planSide } from './side-inputs.ts';

const vars = templateVars({
  window: { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00', startDate: '2024-01-01', endDate: '2024-01-02' } as never,
  jobName: 'j',
  jobNamespace: 'ns',
  runName: 'r',
});

describe('planSide', () => {
  it('a single file uri is the input "source" and the query runs in DuckDB with literals', () => {
    const p = planSide({ uri: 'data/{{ window.startDate }}.csv', query: 'SELECT * FROM source WHERE d >= {{ window.startDate }}::DATE' }, 'left', vars);
    expect(p.named).toBe(false);
    expect(p.inputs).toEqual([expect.objectContaining({ name: 'source', view: 'left_input', uri: 'data/2024-01-01.csv', field: 'spec.left.uri' })]);
    expect(p.inputs[0]!.dbQuery).toBeUndefined();
    expect(p.duckQuery).toBe("SELECT * FROM source WHERE d >= '2024-01-01'::DATE");
  });

  it('a database uri runs the query in the database with bind parameters and nothing in DuckDB', () => {
    const pg = planSide({ uri: 'postgres://$DB', query: 'SELECT * FROM t WHERE ts >= {{ window.start }} AND ts < {{ window.end }}', database: { fetchSize: 500 } }, 'right', vars);
    expect(pg.duckQuery).toBeUndefined();
    expect(pg.inputs[0]).toMatchObject({
      dbQuery: { sql: 'SELECT * FROM t WHERE ts >= $1 AND ts < $2', params: ['2024-01-01T00:00:00+00:00', '2024-01-02T00:00:00+00:00'], field: 'spec.right.query' },
      database: { fetchSize: 500 },
    });
    const my = planSide({ uri: 'mysql://$DB', query: 'SELECT * FROM t WHERE d = {{ window.startDate }}' }, 'left', vars);
    expect(my.inputs[0]!.dbQuery).toEqual({ sql: 'SELECT * FROM t WHERE d = ?', params: ['2024-01-01'], field: 'spec.left.query' });
  });

  it('named inputs keep their names, fields and own options; the side query joins them', () => {
    const p = planSide(
      {
        inputs: {
          orders: { uri: 's3://b/{{ window.startDate }}/*.parquet' },
          refunds: { uri: 'sftp://u@h/r.csv', sftp: { passwordEnv: 'P', knownHosts: 'k' }, csv: { delimiter: ';' } },
          fx: { uri: 'postgres://$FX', query: 'SELECT * FROM fx WHERE day = {{ window.startDate }}::date' },
        },
        query: 'SELECT * FROM orders JOIN refunds USING (id)',
      },
      'left',
      vars,
    );
    expect(p.named).toBe(true);
    expect(p.inputs.map((i) => [i.name, i.view, i.field])).toEqual([
      ['orders', 'left_input__orders', 'spec.left.inputs.orders.uri'],
      ['refunds', 'left_input__refunds', 'spec.left.inputs.refunds.uri'],
      ['fx', 'left_input__fx', 'spec.left.inputs.fx.uri'],
    ]);
    expect(p.inputs[0]!.uri).toBe('s3://b/2024-01-01/*.parquet');
    expect(p.inputs[1]).toMatchObject({ sftp: { passwordEnv: 'P' }, spec: { csv: { delimiter: ';' } } });
    expect(p.inputs[2]!.dbQuery).toEqual({ sql: 'SELECT * FROM fx WHERE day = $1::date', params: ['2024-01-01'], field: 'spec.left.inputs.fx.query' });
    expect(p.duckQuery).toBe('SELECT * FROM orders JOIN refunds USING (id)');
  });
});
