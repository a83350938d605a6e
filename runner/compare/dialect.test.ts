import { describe, expect, it } from 'vitest';
import { duckdb, spark } from './dialect.ts';

describe('dialect type names', () => {
  it.each([
    // The Spark session reads a bare TIMESTAMP as TIMESTAMP_NTZ (spark.sql.timestampType), so
    // the instant type must be named TIMESTAMP_LTZ or a cast from text drops the offset.
    ['TIMESTAMPTZ', 'TIMESTAMP_LTZ', 'TIMESTAMPTZ'],
    ['TIMESTAMP', 'TIMESTAMP_NTZ', 'TIMESTAMP'],
    ['VARCHAR', 'STRING', 'VARCHAR'],
    ['HUGEINT', 'DECIMAL(38,0)', 'HUGEINT'],
    ['DECIMAL(18,2)', 'DECIMAL(18,2)', 'DECIMAL(18,2)'],
  ])('%s is %s on Spark and %s on DuckDB', (canonical, onSpark, onDuck) => {
    expect(spark.typeName(canonical)).toBe(onSpark);
    expect(duckdb.typeName(canonical)).toBe(onDuck);
  });

  it.each([
    ['timestamp', 'TIMESTAMPTZ'],
    ['timestamp_ltz', 'TIMESTAMPTZ'],
    ['timestamp_ntz', 'TIMESTAMP'],
  ])('Spark describes %s; canonically %s, and it casts back to the same Spark type', (described, canonical) => {
    expect(spark.canonicalType(described)).toBe(canonical);
    expect(spark.canonicalType(spark.typeName(canonical))).toBe(canonical);
  });
});
