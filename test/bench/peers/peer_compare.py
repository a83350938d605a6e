"""One datacompy comparison of the benchmark's two Parquet files, in its own process.

    python peer_compare.py <pandas|polars|spark> <left.parquet> <right.parquet>

Prints one JSON line: the engine, its versions and the key counts raas also reports
(matched, mismatched, leftOnly, rightOnly), so the benchmark can check that every engine
gives the same answer before it compares their times. Defaults as datacompy ships them
(exact comparison, NULL equals NULL), joined on `id`, the data's unique key.
"""
import json
import sys


def counts(left_only, right_only, intersect, matching):
    return {
        "matched": int(matching),
        "mismatched": int(intersect - matching),
        "leftOnly": int(left_only),
        "rightOnly": int(right_only),
    }


def run_pandas(left, right):
    import datacompy
    import pandas as pd

    df1 = pd.read_parquet(left)
    df2 = pd.read_parquet(right)
    c = datacompy.PandasCompare(df1, df2, join_columns="id")
    out = counts(len(c.df1_unq_rows), len(c.df2_unq_rows), len(c.intersect_rows), c.count_matching_rows())
    return out, {"datacompy": datacompy.__version__, "pandas": pd.__version__}


def run_polars(left, right):
    import datacompy
    import polars as pl

    df1 = pl.read_parquet(left)
    df2 = pl.read_parquet(right)
    c = datacompy.PolarsCompare(df1, df2, join_columns="id")
    out = counts(len(c.df1_unq_rows), len(c.df2_unq_rows), len(c.intersect_rows), c.count_matching_rows())
    return out, {"datacompy": datacompy.__version__, "polars": pl.__version__}


def dates_as_text(df):
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType

    for field in df.schema.fields:
        if isinstance(field.dataType, DateType):
            df = df.withColumn(field.name, F.date_format(F.col(field.name), "yyyy-MM-dd"))
    return df


def run_spark(left, right):
    import datacompy
    import pyspark
    from datacompy.spark import SparkSQLCompare
    from pyspark.sql import SparkSession

    # local[2]: the machine's two cores. Driver memory is set before the JVM starts; 8g so
    # the 10M run is not measured against a too-small default heap.
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("raas-bench")
        .config("spark.driver.memory", "8g")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        # datacompy 1.1.0 computes a max difference for every column with TRY_CAST(... AS
        # DOUBLE), which Spark 4 rejects for DATE columns (an analysis error, whatever the
        # ANSI setting). DATE columns are therefore compared as their ISO text: the same
        # equality, one cast per value more work for Spark.
        df1 = dates_as_text(spark.read.parquet(left))
        df2 = dates_as_text(spark.read.parquet(right))
        c = SparkSQLCompare(spark, df1, df2, join_columns="id")
        out = counts(c.df1_unq_rows.count(), c.df2_unq_rows.count(), c.intersect_rows.count(), c.count_matching_rows())
    finally:
        spark.stop()
    return out, {"datacompy": datacompy.__version__, "pyspark": pyspark.__version__}


ENGINES = {"pandas": run_pandas, "polars": run_polars, "spark": run_spark}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ENGINES:
        sys.stderr.write("usage: peer_compare.py <pandas|polars|spark> <left.parquet> <right.parquet>\n")
        return 2
    engine, left, right = sys.argv[1:]
    out, versions = ENGINES[engine](left, right)
    print(json.dumps({"engine": engine, "versions": versions, "counts": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
