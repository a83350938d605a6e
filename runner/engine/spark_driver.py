"""The Spark side of raas's Spark engine: a pyspark driver the TypeScript runner talks to
over stdin/stdout, one JSON object per line each way (see runner/engine/spark.ts and
docs/adr/0110-spark-engine-driver.md). Each request names an operation; each answer has
the request's id and either "result" or "error". Every decision about the data is made in
TypeScript: this process runs SQL, reads inputs, parses user SQL and writes results.

One SparkContext serves the process; each run gets its own session (its own temporary
views and settings), so a test process can share one JVM between many runs.
"""
import decimal
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
import uuid

from pyspark.sql import SparkSession

# Plan nodes a read-only SELECT may contain (Spark's logical plan classes, by simple name).
QUERY_NODES = {
    "Project", "Filter", "Aggregate", "Join", "UnresolvedWith", "SubqueryAlias", "Sort",
    "GlobalLimit", "LocalLimit", "Offset", "Distinct", "Union", "Intersect", "Except",
    "Window", "WithWindowDefinition", "OneRowRelation", "UnresolvedHint", "Generate",
    "Pivot", "Unpivot", "LateralJoin", "Tail", "Sample", "Deduplicate", "LocalRelation",
    "UnresolvedInlineTable", "UnresolvedSubqueryColumnAliases", "CTERelationRef",
    "UnresolvedTVFAliases", "Expand", "LateralSubquery",
}
SAFE_TABLE_FUNCTIONS = {"range", "explode", "explode_outer", "inline", "inline_outer", "posexplode", "posexplode_outer", "stack"}
# Functions that reach outside the query: Java methods, files, the session.
UNSAFE_FUNCTIONS = {"reflect", "java_method", "try_reflect", "input_file_name", "current_user", "session_user"}


class UserSqlError(Exception):
    pass


def simple(cls):
    return cls.rsplit(".", 1)[-1]


def check_select(spark, sql, allowed):
    """Raises UserSqlError unless `sql` is one read-only SELECT reading only `allowed` (or its own WITH names)."""
    parser = spark._jsparkSession.sessionState().sqlParser()
    try:
        plan = parser.parsePlan(sql)
    except Exception as e:  # noqa: BLE001 - py4j wraps the ParseException
        msg = str(e).strip().splitlines()
        first = next((l for l in msg if l.strip() and not l.startswith("==")), "does not parse")
        raise UserSqlError(f"does not parse as Spark SQL: {first.strip()}")
    nodes = json.loads(plan.toJSON())
    allowed_names = {a.lower() for a in allowed}
    ctes = set()

    def visit(v):
        if isinstance(v, list):
            for x in v:
                visit(x)
            return
        if not isinstance(v, dict):
            return
        cls = v.get("class", "")
        if cls.startswith("org.apache.spark.sql.catalyst.plans.logical.") and simple(cls) not in QUERY_NODES:
            raise UserSqlError(f"must be one read-only SELECT statement (reading {', '.join(allowed)}); {simple(cls)} is not allowed")
        if simple(cls) == "UnresolvedWith":
            for rel in v.get("cteRelations", []):
                if isinstance(rel, dict) and isinstance(rel.get("_1"), str):
                    ctes.add(rel["_1"].lower())
        if simple(cls) == "UnresolvedRelation":
            parts = v.get("multipartIdentifier", "").strip("[]").split(", ")
            if len(parts) != 1 or (parts[0].lower() not in allowed_names and parts[0].lower() not in ctes):
                raise UserSqlError(f'reads "{".".join(parts)}", which it may not; read only {", ".join(allowed)} (and names your own WITH clause defines)')
        if simple(cls) == "UnresolvedTableValuedFunction":
            name = v.get("name", "").strip("[]").split(", ")[-1].lower()
            if name not in SAFE_TABLE_FUNCTIONS:
                raise UserSqlError(f"calls the table function {name}(), which user SQL may not use; read only {', '.join(allowed)}")
        if simple(cls) == "UnresolvedFunction":
            name = str(v.get("nameParts", "")).strip("[]").split(", ")[-1].lower()
            if name in UNSAFE_FUNCTIONS:
                raise UserSqlError(f"calls {name}(), which user SQL may not use")
        for x in v.values():
            visit(x)

    # CTE names first (a WITH may come after its use in the JSON order), then the check.
    def collect(v):
        if isinstance(v, list):
            for x in v:
                collect(x)
        elif isinstance(v, dict):
            if simple(v.get("class", "")) == "UnresolvedWith":
                for rel in v.get("cteRelations", []):
                    if isinstance(rel, dict) and isinstance(rel.get("_1"), str):
                        ctes.add(rel["_1"].lower())
            for x in v.values():
                collect(x)

    collect(nodes)
    visit(nodes)


def text_of(v):
    """A value as DuckDB's CAST(... AS VARCHAR) spells it, for the types the runner reads back."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, float):
        return repr(v)
    return str(v)


def json_value(v):
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)


def col(name):
    """A column by its exact name: backticks quote it, and a backtick inside is doubled."""
    from pyspark.sql import functions as F
    return F.col("`" + name.replace("`", "``") + "`")


def csv_options(o):
    return {
        "header": str(o.get("header", True)).lower(),
        "sep": o.get("delimiter", ","),
        "quote": o.get("quote", '"'),
        "escape": o.get("escape", o.get("quote", '"')),
        "inferSchema": "true",
        "mode": "FAILFAST",
        "nullValue": o.get("nullString", ""),
        # A quoted field may hold a line break, as DuckDB reads it. The price: Spark cannot
        # split one CSV file between tasks (docs/user-guide/engines.md).
        "multiLine": "true",
    }


def refused_read(req, read):
    """
    A Parquet or JSON read Spark refuses at once, said in the runner's words: names that
    repeat ignoring case (as the DuckDB engine refuses them), or a column type Spark has
    not (nanosecond timestamps, UUID, TIME), which DuckDB reads.
    """
    import re

    try:
        return read()
    except Exception as e:  # noqa: BLE001 - anything else is the read's own error
        text = str(e)
        if req["format"] != "parquet":
            where = "the JSON input"
        else:
            where = os.path.basename(req["files"][0]) if len(req["files"]) == 1 else "the Parquet input"
        field = req.get("field", "spec")
        m = re.search(r"\[COLUMN_ALREADY_EXISTS\] The column `(.+?)` already exists", text)
        if m:
            raise UserSqlError(
                f'{field}.uri: {where} names the column "{m.group(1)}" more than once, ignoring letter case; '
                "names ignore case in SQL, so raas cannot tell which one a name means: rename one where the file is written"
            ) from None
        m = re.search(r"\[(?:PARQUET_TYPE_ILLEGAL|UNSUPPORTED_TIME_TYPE)\] ([^\n]*?)(?: SQLSTATE|$)", text, re.M)
        if m:
            raise UserSqlError(
                f"{field}.uri: {where} has a column of a type the spark engine cannot read ({m.group(1).rstrip('.')}): "
                "use engine: duckdb, or write that column as another type"
            ) from None
        raise


def header_name(value):
    """A header cell as DuckDB names the column: spaces around it are not part of the name."""
    return value.strip(" ") if value is not None else None


def read_as_text(reader, opts, files, names, **overrides):
    """The files again with every column as text, by position under `names` (no inference pass)."""
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField(n, StringType(), True) for n in names])
    return reader.options(**{**opts, "inferSchema": "false", **overrides}).schema(schema).csv(files)


def refuse_sub_microsecond(reader, opts, files, df, req, keys):
    """
    Spark's timestamps stop at microseconds and its CSV reader cuts further digits without a
    word (10:00:00.123456789 would equal 10:00:00.123456); DuckDB keeps them. Refused.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampNTZType, TimestampType

    stamps = [f.name for f in df.schema.fields if isinstance(f.dataType, (TimestampType, TimestampNTZType)) and f.name.lower() not in keys]
    if not stamps:
        return
    raw = read_as_text(reader, opts, files, df.columns)
    fine = r"[.,][0-9]{7,}"
    found = raw.select(*[F.max(F.when(col(n).rlike(fine), col(n))).alias(f"c{i}") for i, n in enumerate(stamps)]).first()
    for i, n in enumerate(stamps):
        if found and found[f"c{i}"] is not None:
            raise UserSqlError(
                f'{req.get("field", "spec")}.uri: column "{n}" holds timestamps finer than a microsecond, such as "{found[f"c{i}"]}", which the spark engine '
                "cannot hold (it would cut the digits and count the values equal): use engine: duckdb, or write them at microseconds"
            )


def text_where_types_differ(parts):
    """
    Columns (lower case) that the files of one input type differently, a number in one and
    text in another: they are read as text in every file, as DuckDB's union by name reads
    them. Spark's union would cast the text to the number (ANSI), failing on it or reading
    "007" as 7. Numbers of different kinds, and dates next to timestamps, widen as on DuckDB.
    """
    from pyspark.sql.types import DateType, DecimalType, DoubleType, LongType, TimestampNTZType, TimestampType

    families = ((LongType, DoubleType, DecimalType), (DateType, TimestampType, TimestampNTZType))
    seen = {}
    for part in parts:
        for f in part.schema.fields:
            seen.setdefault(f.name.lower(), []).append(f.dataType)
    text = set()
    for name, types in seen.items():
        if all(t == types[0] for t in types) or any(all(isinstance(t, family) for t in types) for family in families):
            continue
        text.add(name)
    return text


def text_spelled_numbers(reader, opts, files, df, skip, spelling):
    """
    The number columns (other than `skip`) holding a value spelled the way DuckDB's sniffer
    reads as text ("007", "+1.5", "0x1.8p1"): `spelling` is the runner's pattern
    (SNIFFER_TEXT_SPELLING), so both engines read such a column as the text the file holds.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType

    numbers = [f.name for f in df.schema.fields if isinstance(f.dataType, NumericType) and f.name not in skip]
    if not numbers:
        return set()
    raw = read_as_text(reader, opts, files, df.columns)
    found = raw.select(*[F.max(col(n).rlike(spelling).cast("int")).alias(f"c{i}") for i, n in enumerate(numbers)]).first()
    return {n for i, n in enumerate(numbers) if found and found[f"c{i}"] == 1}


def read_csv(s, opts, files, req, text=frozenset()):
    """One read of CSV files that share a header, typed as the DuckDB engine types them."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

    reader = s.read
    strings = set(req.get("stringColumns") or [])
    keys = {k.lower() for k in (req.get("keyColumns") or [])}
    df = reader.options(**opts).csv(files)
    if opts["header"] == "false":
        # Headerless columns are named as DuckDB names them (column0, or column00 ...
        # column11 when there are more than ten), so a query reads them by one name on
        # either engine; Spark's own names are _c0, _c1, ...
        width = len(str(len(df.columns) - 1))
        df = df.toDF(*[f"column{str(i).zfill(width)}" for i in range(len(df.columns))])
    else:
        df = df.toDF(*[header_name(n) for n in df.columns])
    # DuckDB's CSV sniffer reads whole numbers as BIGINT; Spark infers INT where they fit.
    df = df.select(*[(col(f.name).cast(LongType()).alias(f.name) if isinstance(f.dataType, IntegerType) else col(f.name)) for f in df.schema.fields])
    # Key columns are text as written ("01" is not "1"), whatever the other rows look like.
    strings |= {f.name for f in df.schema.fields if f.name.lower() in keys}
    if not req.get("stringColumns") and not text:  # the first read of these files (a re-read checked them already)
        refuse_sub_microsecond(reader, opts, files, df, req, keys)
    # Columns other files of the input hold as text (text_where_types_differ) are text here too.
    strings |= {f.name for f in df.schema.fields if f.name.lower() in text}
    strings |= text_spelled_numbers(reader, opts, files, df, strings, req["textSpelling"])
    if strings:
        # Key columns, and columns inference took for floating point: read again as
        # text, so keys compare as written and the runner can size an exact DECIMAL.
        schema = StructType([StructField(f.name, StringType() if f.name in strings else f.dataType, True) for f in df.schema.fields])
        df = reader.options(**{**opts, "inferSchema": "false"}).schema(schema).csv(files)
    return df


def csv_cell(f):
    """
    One result column as the DuckDB engine writes it in CSV. CSV has no lists or objects: a
    list (e.g. recon_mismatched) or struct is one JSON cell, so names that need quoting in CSV
    (`Amount (EUR)`, `fee, net`) read back whole; a timestamp is `2024-01-02 00:00:00.5`,
    with `+00` for an instant (the session zone is UTC), not Spark's ISO form.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, MapType, StructType, TimestampNTZType, TimestampType

    c = col(f.name)
    if isinstance(f.dataType, (ArrayType, StructType, MapType)):
        return F.to_json(c, {"ignoreNullFields": "false"})
    if isinstance(f.dataType, TimestampNTZType):
        return c.cast("string")
    if isinstance(f.dataType, TimestampType):
        return F.concat(c.cast("string"), F.lit("+00"))
    return c


def numbers_as_text(t):
    """A JSON schema with every number, nested ones too, read as the text of its token."""
    from pyspark.sql.types import ArrayType, MapType, NumericType, StringType, StructField, StructType

    if isinstance(t, StructType):
        return StructType([StructField(f.name, numbers_as_text(f.dataType), True) for f in t.fields])
    if isinstance(t, ArrayType):
        return ArrayType(numbers_as_text(t.elementType), True)
    if isinstance(t, MapType):
        return MapType(t.keyType, numbers_as_text(t.valueType), True)
    return StringType() if isinstance(t, NumericType) else t


def read_json_exact(reader, req, multi_line, files):
    """
    JSON read as the DuckDB engine reads it (runner/stage/json-exact.ts): every number as the
    text of its token ("1.50", "1e2", 20-digit ids), strings as written, booleans as
    booleans. Spark's own inference turns numbers into doubles, or with prefersDecimal also
    strings that look like numbers ("02" became 2) and exponents into negative scales. The
    first read only infers which fields hold numbers (Spark merges numbers with any other kind
    into text, so a top-level number field holds only numbers); the second reads each number as
    text, and the runner sizes an exact DECIMAL from the data for the top-level number fields
    other than keys, which are returned. Keys stay text as written.
    """
    from pyspark.sql.types import NumericType

    opts = {"multiLine": str(multi_line).lower(), "mode": "FAILFAST"}
    inferred = refused_read(req, lambda: reader.options(**opts).json(files))
    keys = {k.lower() for k in (req.get("keyColumns") or [])}
    numbers = [f.name for f in inferred.schema.fields if isinstance(f.dataType, NumericType) and f.name.lower() not in keys]
    df = refused_read(req, lambda: reader.options(**opts).schema(numbers_as_text(inferred.schema)).json(files))
    return df, numbers



def field_order(name):
    """Struct fields in name order by UTF-16 code units, as Spark's JSON inference and the
    runner's sortStructFields order them (Python's str order is by code point)."""
    return name.encode("utf-16-be")


def in_name_order(t):
    """`t` with the fields of every struct in it, at any depth, in name order."""
    from pyspark.sql.types import ArrayType, MapType, StructField, StructType

    if isinstance(t, StructType):
        fields = sorted(t.fields, key=lambda f: field_order(f.name))
        return StructType([StructField(f.name, in_name_order(f.dataType), f.nullable) for f in fields])
    if isinstance(t, ArrayType):
        return ArrayType(in_name_order(t.elementType), t.containsNull)
    if isinstance(t, MapType):
        return MapType(in_name_order(t.keyType), in_name_order(t.valueType), t.valueContainsNull)
    return t


def needs_order(t):
    """Whether a value of type `t` holds a struct whose fields are out of name order, or a map."""
    from pyspark.sql.types import ArrayType, MapType, StructType

    if isinstance(t, StructType):
        return in_name_order(t) != t or any(needs_order(f.dataType) for f in t.fields)
    if isinstance(t, ArrayType):
        return needs_order(t.elementType)
    return isinstance(t, MapType)


def rebuilt_in_order(c, t):
    """
    The value of column expression `c` of type `t` rebuilt with its structs' fields in name
    order and its maps' entries in key order (keys compare as bytes, as on DuckDB). Spark casts
    one struct to another by position, so the fields are taken by name and put together again;
    a NULL struct stays NULL (a struct of NULLs is another value).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, MapType, StructType

    if not needs_order(t):
        return c
    if isinstance(t, StructType):
        fields = sorted(t.fields, key=lambda f: field_order(f.name))
        built = F.struct(*[rebuilt_in_order(c.getField(f.name), f.dataType).alias(f.name) for f in fields])
        return F.when(c.isNull(), F.lit(None).cast(in_name_order(t))).otherwise(built)
    if isinstance(t, ArrayType):
        return F.transform(c, lambda x: rebuilt_in_order(x, t.elementType))
    if isinstance(t, MapType):
        entries = F.map_entries(c)
        if needs_order(t.keyType) or needs_order(t.valueType):
            entries = F.transform(entries, lambda e: F.struct(rebuilt_in_order(e["key"], t.keyType).alias("key"), rebuilt_in_order(e["value"], t.valueType).alias("value")))
        by_key = F.array_sort(entries, lambda a, b: F.when(a["key"] < b["key"], -1).when(a["key"] > b["key"], 1).otherwise(0))
        return F.map_from_entries(by_key)
    return c


def nested_in_order(df):
    """
    `df` with every struct's fields in name order and every map's entries in key order.
    Neither order means anything, yet a Parquet file keeps its writer's: `{a, b}` on one side
    and `{b, a}` on the other would compare unequal. The DuckDB engine reads its inputs the
    same way (runner/compare/nested-types.ts, nestedInOrderSql).
    """
    if not any(needs_order(f.dataType) for f in df.schema.fields):
        return df
    return df.select(*[rebuilt_in_order(col(f.name), f.dataType).alias(f.name) for f in df.schema.fields])


class Driver:
    def __init__(self):
        master = os.environ.get("RAAS_SPARK_MASTER", "local[*]")
        builder = (
            SparkSession.builder.master(master)
            .appName(os.environ.get("RAAS_SPARK_APP_NAME", "raas"))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.ansi.enabled", "true")
            # Never round a decimal result to fit: fail instead (the plan sizes every DECIMAL).
            .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
            .config("spark.sql.caseSensitive", "false")
            # Inferred timestamps without an offset are local date-times, as DuckDB's CSV sniffer reads them.
            .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
            .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
            .config("spark.sql.shuffle.partitions", os.environ.get("RAAS_SPARK_SHUFFLE_PARTITIONS", "8"))
            .config("spark.hadoop.fs.s3a.path.style.access", "true")
        )
        # raas keeps no tables in Spark's catalog; its warehouse goes to a directory of its
        # own, deleted at the stop, instead of a spark-warehouse/ in the user's directory.
        self.warehouse = tempfile.mkdtemp(prefix="raas-spark-warehouse-")
        builder = builder.config("spark.sql.warehouse.dir", self.warehouse)
        for item in json.loads(os.environ.get("RAAS_SPARK_CONF", "{}")).items():
            builder = builder.config(item[0], item[1])
        template = os.environ.get("RAAS_SPARK_EXECUTOR_TEMPLATE")
        if template:
            # Spark reads the executor pod template from a file (JSON is YAML).
            path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"raas-executor-template-{os.getpid()}.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(template)
            builder = builder.config("spark.kubernetes.executor.podTemplateFile", path)
        self.spark = builder.getOrCreate()
        self.spark.sparkContext.setLogLevel("ERROR")
        self.sessions = {}
        self.shared = {}
        # Files read so far (as Spark names them) -> the spec field they came from, so a read
        # error that surfaces later, in whichever statement first parses a file, names it.
        self.read_files = {}

    def session(self, sid):
        s = self.sessions.get(sid)
        if s is None:
            raise RuntimeError(f"internal: no Spark session {sid}")
        return s

    def op_open(self, req):
        sid = uuid.uuid4().hex
        s = self.spark.newSession()
        # The run's own settings (S3A endpoint and credentials): a session's settings reach
        # the Hadoop configuration its reads use, and no other session sees them.
        for k, v in (req.get("conf") or {}).items():
            s.conf.set(k, v)
        self.sessions[sid] = s
        if req.get("shared"):
            self.shared[sid] = req["shared"].rstrip("/")
        return sid

    # With executors in other pods, a path on this pod is no path for them: inputs go to the
    # run's shared directory (a Hadoop URI, s3a://) before Spark reads them, and results are
    # written there and copied back here, where the runner publishes them.
    def hadoop_path(self, uri):
        jvm = self.spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(uri)
        return path, path.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration())

    def readable(self, sid, files):
        shared = self.shared.get(sid)
        if not shared:
            return files
        out = []
        for local in files:
            if "://" in local:
                out.append(local)  # read in place (s3a://): the executors reach it themselves
                continue
            dest = f"{shared}/in/{uuid.uuid4().hex}/{os.path.basename(local)}"
            path, fs = self.hadoop_path(dest)
            src, _ = self.hadoop_path("file://" + os.path.abspath(local))
            fs.copyFromLocalFile(False, True, src, path)
            out.append(dest)
        return out

    def op_close(self, req):
        # The session goes even when the shared directory cannot be deleted; the failure is
        # the answer (the runner reports it, the results are already written).
        s = self.sessions.pop(req["sid"], None)
        try:
            if s is not None:
                for t in s.catalog.listTables():
                    if t.isTemporary:
                        s.catalog.dropTempView(t.name)
        finally:
            self.delete_shared(req["sid"])
        return None

    def delete_shared(self, sid):
        shared = self.shared.pop(sid, None)
        if shared:
            path, fs = self.hadoop_path(shared)
            fs.delete(path, True)
            # S3A keeps a parent "directory" alive with a marker object (.raas-spark/) when
            # its last child goes. Remove the marker once nothing is under it; another run's
            # files are never touched (a non-recursive delete refuses a non-empty directory,
            # and in S3 a marker never holds the objects that share its prefix).
            parent = path.getParent()
            try:
                if parent is not None and fs.exists(parent) and len(fs.listStatus(parent)) == 0:
                    fs.delete(parent, False)
            except Exception:  # noqa: BLE001 - a marker left behind is harmless; the run's files are gone
                pass

    def stop(self):
        """Deletes every shared directory a run left, then stops Spark and its JVM.

        SparkContext.stop() is what makes Spark's Kubernetes scheduler delete its executor
        pods; the JVM then exits when its stdin (a pipe from this process) closes.
        """
        try:
            for sid in list(self.shared):
                try:
                    self.delete_shared(sid)
                except Exception as e:  # noqa: BLE001 - the others and the stop still happen
                    print(f"raas: could not delete the Spark shared directory: {str(e).splitlines()[0]}", file=sys.stderr)
        finally:
            try:
                self.spark.stop()
            finally:
                stop_jvm()
                shutil.rmtree(self.warehouse, ignore_errors=True)

    def op_run(self, req):
        self.session(req["sid"]).sql(req["sql"]).collect()
        return None

    def op_rows(self, req):
        rows = self.session(req["sid"]).sql(req["sql"]).collect()
        return [{k: json_value(v) for k, v in r.asDict().items()} for r in rows]

    def op_text_rows(self, req):
        rows = self.session(req["sid"]).sql(req["sql"]).limit(req["limit"]).collect()
        return [[text_of(v) for v in r] for r in rows]

    def op_describe(self, req):
        df = self.session(req["sid"]).table(req["relation"])
        return [{"name": f.name, "type": f.dataType.simpleString()} for f in df.schema.fields]

    def op_check(self, req):
        check_select(self.session(req["sid"]), req["sql"], req["allowed"])
        return None

    def op_parse(self, req):
        """The statement a user's SELECT is spliced into must parse as one statement."""
        parser = self.session(req["sid"])._jsparkSession.sessionState().sqlParser()
        try:
            parser.parsePlan(req["sql"])
        except Exception as e:  # noqa: BLE001 - py4j wraps the ParseException
            first = next((l for l in str(e).strip().splitlines() if l.strip() and not l.startswith("==")), "does not parse")
            raise UserSqlError(f"changes the statement it is placed in (it must be one SELECT that parses alone): {first.strip()}")
        return None

    def op_columns(self, req):
        return list(self.session(req["sid"]).sql(req["sql"]).columns)

    def csv_headers(self, s, opts, files):
        """Each file's header as written (Spark renames a repeated name): one short read per file."""
        out = []
        for path in files:
            row = s.read.options(**{**opts, "header": "false", "inferSchema": "false"}).csv(path).limit(1).collect()
            out.append((path, [header_name(v) for v in row[0]] if row else []))
        return out

    def check_empty_fields(self, s, opts, o, files, names, req):
        """
        With csv.nullString set, DuckDB reads an empty unquoted field as empty text; Spark's
        reader cannot tell it from NULL. Refused when the file has one, never read as NULL.
        `names` are the columns of these files' read, in file order.
        """
        if not o.get("nullString", ""):
            return
        from pyspark.sql import functions as F

        raw = read_as_text(s.read, opts, files, names, nullValue=f"raas-empty-{uuid.uuid4().hex}")
        found = raw.select(*[F.max(col(n).isNull().cast("int")).alias(f"c{i}") for i, n in enumerate(names)]).first()
        empty = [n for i, n in enumerate(names) if found and found[f"c{i}"] == 1]
        if empty:
            field = req.get("field", "spec")
            raise UserSqlError(
                f'{field}.csv.nullString: column "{empty[0]}" has empty fields, which the spark engine cannot tell from NULL once csv.nullString is set '
                f'(DuckDB reads them as empty text): write them as "" in the file, or remove csv.nullString, or use engine: duckdb'
            )

    def op_load(self, req):
        s = self.session(req["sid"])
        fmt, files = req["format"], self.readable(req["sid"], req["files"])
        reader = s.read
        answer = None
        if fmt == "parquet":
            df = nested_in_order(refused_read(req, lambda: reader.parquet(*files)))
        elif fmt == "csv":
            o = req.get("csv") or {}
            if o.get("skipRows"):
                raise UserSqlError("csv.skipRows is not supported by the spark engine yet; remove it or use engine: duckdb")
            opts = csv_options(o)
            headers = self.csv_headers(s, opts, files) if opts["header"] == "true" else []
            answer = {"headers": [[os.path.basename(p), names] for p, names in headers]}
            if any(len({(n or "").lower() for n in names}) < len(names) for _, names in headers):
                # Spark would rename the second name (id2); the runner refuses the file instead.
                return {**answer, "clash": True}
            # Spark reads every file of one read by the first file's header, by position: files
            # whose headers differ are read apart and put together by name, as DuckDB does.
            groups = {}
            for path, names in headers:
                groups.setdefault(tuple(n or "" for n in names), []).append(path)
            batches = list(groups.values()) if len(groups) > 1 else [files]
            parts = [read_csv(s, opts, batch, req) for batch in batches]
            text = text_where_types_differ(parts) if len(parts) > 1 else set()
            if text:
                parts = [read_csv(s, opts, batch, req, text) for batch in batches]
            if not req.get("stringColumns"):
                for batch, part in zip(batches, parts):
                    self.check_empty_fields(s, opts, o, batch, part.columns, req)
            df = parts[0]
            for other in parts[1:]:
                df = df.unionByName(other, allowMissingColumns=True)
        elif fmt in ("json", "ndjson"):
            df, numbers = read_json_exact(reader, req, multi_line=fmt == "json", files=files)
            answer = {"numbers": numbers}
        else:
            raise RuntimeError(f"internal: unknown format {fmt}")
        df.createOrReplaceTempView(req["view"])
        self.read_files.update({f: req.get("field", "") for f in files})
        return answer

    def op_write(self, req):
        """Writes one part file and answers with the number of rows the write itself wrote."""
        from pyspark.sql import Observation
        from pyspark.sql import functions as F

        s = self.session(req["sid"])
        # Counted as the rows pass into the file (an observed metric of the write's own job),
        # not by a second job that reads the relation again.
        written = Observation(f"raas_write_{uuid.uuid4().hex}")
        df = s.table(req["relation"]).observe(written, F.count(F.lit(1)).alias("n"))
        path, fmt = req["path"], req["format"]
        shared = self.shared.get(req["sid"])
        tmp = f"{shared}/out/{uuid.uuid4().hex}" if shared else path + ".spark"
        if fmt == "csv":
            df = df.select(*[csv_cell(f).alias(f.name) for f in df.schema.fields])
            # Written as the DuckDB engine writes CSV (RFC 4180): a quote inside a value is
            # doubled, not backslash-escaped, and spaces around a value are kept (Spark's
            # writer drops them by default).
            (
                df.coalesce(1)
                .write.mode("overwrite")
                .options(header="true", escape='"', ignoreLeadingWhiteSpace="false", ignoreTrailingWhiteSpace="false")
                .csv(tmp)
            )
        else:
            df.coalesce(1).write.mode("overwrite").option("compression", "zstd").parquet(tmp)
        if shared:
            tmp_path, fs = self.hadoop_path(tmp)
            parts = sorted(str(st.getPath().toString()) for st in fs.globStatus(self.hadoop_path(tmp + "/part-*")[0]))
            if len(parts) != 1:
                raise RuntimeError(f"internal: Spark wrote {len(parts)} part files for {req['relation']}")
            part, _ = self.hadoop_path(parts[0])
            dest, _ = self.hadoop_path("file://" + os.path.abspath(path))
            # Raw local file system: no .crc file next to the result.
            fs.copyToLocalFile(False, part, dest, True)
            fs.delete(tmp_path, True)
            return written.get["n"]
        parts = sorted(glob.glob(os.path.join(tmp, "part-*")))
        if len(parts) != 1:
            raise RuntimeError(f"internal: Spark wrote {len(parts)} part files for {req['relation']}")
        shutil.move(parts[0], path)
        shutil.rmtree(tmp, ignore_errors=True)
        return written.get["n"]


def stop_jvm():
    """Closes the JVM's stdin (its signal to exit) and waits for it, killing it after a deadline."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    if proc is None:
        return
    try:
        proc.stdin.close()
    except Exception:  # noqa: BLE001 - the JVM may be gone already
        pass
    try:
        proc.wait(timeout=float(os.environ.get("RAAS_SPARK_JVM_STOP_SECONDS", "30")))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Terminated(BaseException):
    """SIGTERM: leave the request loop and stop Spark in main's finally."""


def on_sigterm(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def main():
    signal.signal(signal.SIGTERM, on_sigterm)
    out = sys.stdout
    # Spark and py4j may print to stdout; answers go to the real stdout only.
    sys.stdout = sys.stderr
    try:
        driver = Driver()
    except Terminated:
        stop_jvm()
        return
    except Exception as e:  # noqa: BLE001
        out.write(json.dumps({"id": 0, "error": f"Spark did not start: {e}"}) + "\n")
        out.flush()
        stop_jvm()
        return
    try:
        out.write(json.dumps({"id": 0, "result": {"version": driver.spark.version, "master": driver.spark.sparkContext.master}}) + "\n")
        out.flush()
        serve(driver, out)
    except Terminated:
        pass
    finally:
        # stdin's end (the runner is done) or SIGTERM: Spark stops before this process exits,
        # and nothing interrupts the stop (the runner's deadline ends in SIGKILL).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        driver.stop()


def read_error(driver, text):
    """
    A file that does not parse fails the first statement that reads it, not the load: the
    error then names the spec field the file came from and the record, in one line.
    """
    import re

    failed = re.search(r"Encountered error while reading file (\S+?)\.?\s", text)
    if not failed:
        return None
    from urllib.parse import unquote

    path = unquote(failed.group(1))  # Spark names the file by URI (a space is %20)
    bare = lambda p: re.sub(r"^file:/+", "/", p)
    field = next((fld for f, fld in driver.read_files.items() if bare(f) == bare(path)), "") or "spec"
    name = os.path.basename(path)
    record = re.search(r"Malformed CSV record: (.*?)(?: SQLSTATE|$)", text, re.M)
    if record:
        return (
            f'{field}.uri: {name} has a record that does not parse as CSV: "{record.group(1)[:120]}" (more or fewer fields than the header, '
            f'or an unclosed quote); fix that line, or set {field}.csv.delimiter, quote or header if the file does not use ",", \'"\' and a header line'
        )
    cause = [l.split("] ", 1)[-1] for l in text.splitlines() if l.startswith("Caused by:")]
    return f"{field}.uri: {name} cannot be read: {(cause[-1] if cause else 'see the driver log')[:200]}"


def serve(driver, out):
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            result = getattr(driver, "op_" + req["op"])(req)
            answer = {"id": req["id"], "result": result}
        except UserSqlError as e:
            answer = {"id": req["id"], "error": str(e), "kind": "user_sql"}
        except Exception as e:  # noqa: BLE001 - every failure goes back to the runner as text
            text = str(e).strip() or traceback.format_exc()
            answer = {"id": req["id"], "error": read_error(driver, text) or text}
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
