"""Apache Spark on floe's tables: run SQL statements in one Spark session with an Iceberg catalog.

Run by test/helpers/spark.ts as
    <spark venv python> test/helpers/spark_sql.py   < request JSON on stdin
with the variables of scripts/stack/env.sh: FLOE_TEST_SPARK_JARS (folder of the Iceberg jars,
all put on the driver's class path: nothing is resolved at run time), FLOE_TEST_SPARK_CDS (the
class-data-sharing archive setup.sh spark dumps; optional) and FLOE_TEST_SPARK_JAVA_HOME (Java 17;
else JAVA_HOME or the java on PATH).

Request:
    {"catalog": {"type": "rest", "uri": "http://127.0.0.1:8181", "warehouse"?: "..."}
              | {"type": "sql", "uri": "sqlite:////abs/path.db" | "jdbc:sqlite:/abs/path.db",
                 "warehouse": "file:///abs/dir", "name"?: "default"},
     "s3"?: {"endpoint", "accessKey", "secretKey", "region"},
     "statements": ["SELECT ...", "CALL system.rewrite_data_files(...)", ...],
     "conf"?: {"spark.x": "y", ...}, "driverMemory"?: "1g"}

Spark runs local[2] with Iceberg's SQL extensions (CALL <catalog>.system.<procedure>), the UI
off, errors-only logs, the session time zone UTC. The catalog is registered as a Spark catalog and
made the session's default catalog, so statements can name tables without it (ns.t,
CALL system.rewrite_data_files(table => 'ns.t')). Its name: "floe" for the REST catalog; for the
embedded SQLite catalog (Iceberg's JdbcCatalog) floe's catalog_name ("name", default "default"),
because JdbcCatalog reads and writes the iceberg_tables rows of the name SparkCatalog.initialize()
hands it: the Spark catalog's own name. No property changes that ("catalog-name" is ignored;
checked on a table floe's SqlCatalog created), and `default` works unquoted in Spark SQL
(default.ns.t, CALL default.system.expire_snapshots(...)).

Output: one JSON line per statement, in order:
    {"columns": [names], "rows": [{column: canonical value}], "seconds": time in the session}
Canonical values follow read_table.py's forms, so rows compare with readers.ts's:
    boolean "true"/"false"; byte/short/int/long decimal string; float the float32 widened, Python
    repr; double Python repr ("nan", "inf", "-inf", "-0.0"); decimal(p,s) fixed point with s
    digits; date "YYYY-MM-DD"; timestamp (Spark's, with zone = Iceberg timestamptz)
    "YYYY-MM-DDTHH:MM:SS.ffffff+00:00"; timestamp_ntz (Iceberg timestamp) without the offset;
    string as is (Iceberg uuid reads as its lower-case string); binary (Iceberg fixed/binary)
    lower-case hex; struct {name: value}; array [..]; map [[k, v], ...]; null null.
A failing statement ends the run: its index, text and Spark's message on stderr, exit status 1
(the lines of the statements before it are on stdout). The last stderr line gives the timings.
"""

from __future__ import annotations

import datetime as dt
import decimal
import gc
import glob
import importlib.util
import json
import logging
import math
import os
import struct
import sys
import time

T0 = time.monotonic()
# Timestamps come back through Python's local time (pyspark's fromInternal): make that UTC.
os.environ["TZ"] = "UTC"
time.tzset()

SPARK_CATALOG = "floe"
HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg: str) -> None:
    sys.stderr.write(msg.rstrip("\n") + "\n")
    sys.stderr.flush()
    os._exit(1)


def jdbc_uri(uri: str) -> str:
    if uri.startswith("jdbc:"):
        return uri
    if uri.startswith("sqlite:///"):
        return "jdbc:sqlite:/" + uri[len("sqlite:///"):].lstrip("/")
    if uri.startswith("/"):
        return "jdbc:sqlite:" + uri
    raise ValueError(f"catalog uri must be sqlite:////abs/path.db, jdbc:sqlite:/abs/path.db or an absolute path: {uri}")


def catalog_conf(req: dict) -> tuple[str, dict]:
    """(Spark catalog name, spark.sql.catalog.* settings) for the request's catalog."""
    cat = req["catalog"]
    s3 = req.get("s3")
    props: dict[str, str] = {
        # the table is loaded fresh for every statement: a commit by another process between
        # statements (or a CALL's own) is always seen
        "cache-enabled": "false",
        # s3:// through S3FileIO, file:// through HadoopFileIO (local file system)
        "io-impl": "org.apache.iceberg.io.ResolvingFileIO",
    }
    if cat["type"] == "rest":
        name = SPARK_CATALOG
        props["type"] = "rest"
        props["uri"] = cat["uri"]
        if cat.get("warehouse"):
            props["warehouse"] = cat["warehouse"]
    elif cat["type"] == "sql":
        # JdbcCatalog's catalog_name is the Spark catalog's name (see the docstring)
        name = cat.get("name") or "default"
        props["type"] = "jdbc"
        props["uri"] = jdbc_uri(cat["uri"])
        props["warehouse"] = cat["warehouse"]
        # floe's SqlCatalog writes the V1 schema (iceberg_type column); Iceberg detects it too
        props["jdbc.schema-version"] = "V1"
        # SQLite has one writer at a time: one pooled connection, and wait for another
        # process's lock (floe committing beside Spark) instead of failing with SQLITE_BUSY.
        # (On a file in rollback-journal mode, as JdbcCatalog creates them, a rewrite_data_files
        # commit failed with SQLITE_BUSY with or without these; floe's files are in WAL mode,
        # where it works.)
        props["clients"] = "1"
        props["jdbc.busy_timeout"] = "30000"
    else:
        raise ValueError(f"unknown catalog type {cat['type']!r} (rest | sql)")
    if s3:
        props.update({
            "s3.endpoint": s3["endpoint"],
            "s3.access-key-id": s3["accessKey"],
            "s3.secret-access-key": s3["secretKey"],
            "s3.path-style-access": "true",
            "client.region": s3.get("region") or "us-east-1",
        })
    conf = {f"spark.sql.catalog.{name}": "org.apache.iceberg.spark.SparkCatalog"}
    conf.update({f"spark.sql.catalog.{name}.{k}": v for k, v in props.items()})
    return name, conf


def jar_list() -> list[str]:
    where = os.environ.get("FLOE_TEST_SPARK_JARS")
    if not where:
        fail("FLOE_TEST_SPARK_JARS is not set: the folder of Iceberg jars for Spark "
             "(scripts/stack/setup.sh spark; source scripts/stack/env.sh)")
    jars = sorted(glob.glob(os.path.join(where, "*.jar"))) if os.path.isdir(where) else where.split(os.pathsep)
    if not any("iceberg-spark-runtime" in os.path.basename(j) for j in jars):
        fail(f"no iceberg-spark-runtime jar in FLOE_TEST_SPARK_JARS={where}")
    return jars


def java_options(req: dict) -> str:
    opts = [
        f"-Dlog4j2.configurationFile=file:{os.path.join(HERE, 'spark-log4j2.properties')}",
        "-Duser.timezone=UTC",
        # JVM log lines (CDS warnings among them) to stderr, never into the JSON on stdout
        "-Xlog:disable", "-Xlog:all=warning:stderr",
        # a short-lived JVM on 2 cores: C1 only and the serial collector start faster
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
    ]
    # Class data sharing: scripts/stack/setup.sh spark runs a training session that dumps the
    # classes it loaded (FLOE_SPARK_CDS_DUMP); later JVMs map that archive (FLOE_TEST_SPARK_CDS)
    # instead of loading and verifying ~20k classes from jars: about half the start-up time.
    # A stale archive (another JDK or classpath) is ignored by the JVM with a warning.
    dump = os.environ.get("FLOE_SPARK_CDS_DUMP")
    use = os.environ.get("FLOE_TEST_SPARK_CDS")
    if dump:
        # (its ~1000 "Skipping ...: Signed JAR" / "Pre JDK 6 class" notes are not news)
        opts += [f"-XX:ArchiveClassesAtExit={dump}", "-Xlog:cds=error:stderr", "-Xlog:cds+dynamic=error:stderr"]
    elif use and os.path.isfile(use):
        opts.append(f"-XX:SharedArchiveFile={use}")
    return " ".join(opts)


def session(req: dict):
    """A SparkSession for the request, and the Spark catalog's name."""
    if os.environ.get("FLOE_TEST_SPARK_JAVA_HOME"):
        os.environ["JAVA_HOME"] = os.environ["FLOE_TEST_SPARK_JAVA_HOME"]
    os.environ.setdefault("SPARK_HOME", os.path.dirname(importlib.util.find_spec("pyspark").origin))
    # the launcher JVM that computes the driver's command line: a small quick one
    os.environ.setdefault("SPARK_LAUNCHER_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    name, cat_conf = catalog_conf(req)
    conf = {
        "spark.master": "local[2]",
        "spark.app.name": "floe-test-spark-sql",
        "spark.driver.memory": req.get("driverMemory") or "1g",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.extraJavaOptions": java_options(req),
        # The Iceberg jars go on the driver's class path (local mode: the executor is in the same
        # JVM), not spark.jars: Spark copies every spark.jars file into a temp folder for the
        # executor on each start (124 MB here, ~2.5 s), and CDS can only share class-path classes.
        "spark.driver.extraClassPath": os.pathsep.join(jar_list()),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.defaultCatalog": name,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        "spark.eventLog.enabled": "false",
    }
    conf.update(cat_conf)
    conf.update(req.get("conf") or {})
    b = SparkSession.builder
    for k, v in conf.items():
        b = b.config(k, v)
    return b.getOrCreate(), name


def end_jvm(spark, timeout: float = 120) -> None:
    """Close the JVM's stdin (PythonGatewayServer exits on EOF; Spark's shutdown hook stops the
    context and deletes its temp folders) and wait until it is gone: quicker than spark.stop(),
    and no JVM outlives this process."""
    # py4j's finalizers would send "detach" commands to the ending JVM and log the failures
    gc.disable()
    logging.disable(logging.CRITICAL)
    proc = getattr(getattr(spark.sparkContext, "_gateway", None), "proc", None)
    if proc is None:
        spark.stop()
        return
    try:
        proc.stdin.close()
        proc.wait(timeout=timeout)
    except Exception:  # noqa: BLE001
        proc.kill()


# ---------------------------------------------------------------------------------------------
# Canonical values by Spark type


def _float_str(f: float) -> str:
    if math.isnan(f):
        return "nan"
    return repr(f)


def canon(value, typ):
    from pyspark.sql import types as T

    if value is None:
        return None
    if isinstance(typ, T.BooleanType):
        return "true" if value else "false"
    if isinstance(typ, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
        return str(int(value))
    if isinstance(typ, T.FloatType):
        return _float_str(struct.unpack("<f", struct.pack("<f", value))[0])
    if isinstance(typ, T.DoubleType):
        return _float_str(float(value))
    if isinstance(typ, T.DecimalType):
        q = decimal.Decimal(1).scaleb(-typ.scale)
        with decimal.localcontext() as ctx:
            ctx.prec = 80
            return format(decimal.Decimal(value).quantize(q), "f")
    if isinstance(typ, T.DateType):
        return value.isoformat()
    if isinstance(typ, T.TimestampNTZType):
        return value.isoformat(timespec="microseconds")
    if isinstance(typ, T.TimestampType):
        # naive local time, and the process's local time zone is UTC
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds") + "+00:00"
    if isinstance(typ, T.StringType):
        return value
    if isinstance(typ, T.BinaryType):
        return bytes(value).hex()
    if isinstance(typ, T.StructType):
        return {f.name: canon(value[i], f.dataType) for i, f in enumerate(typ.fields)}
    if isinstance(typ, T.ArrayType):
        return [canon(v, typ.elementType) for v in value]
    if isinstance(typ, T.MapType):
        return [[canon(k, typ.keyType), canon(v, typ.valueType)] for k, v in value.items()]
    return str(value)


def main() -> None:
    try:
        req = json.load(sys.stdin)
    except Exception as e:  # noqa: BLE001
        fail(f"spark_sql.py: request on stdin is not JSON: {e}")
    statements = req.get("statements") or []
    # Our JSON lines get their own descriptor; fd 1 (which the JVM inherits) becomes stderr, so
    # nothing Spark or the JVM prints can land among them.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        spark, name = session(req)
    except Exception as e:  # noqa: BLE001
        fail(f"spark_sql.py: cannot start Spark: {type(e).__name__}: {e}")
    t_session = time.monotonic()
    for i, sql in enumerate(statements):
        t = time.monotonic()
        try:
            df = spark.sql(sql)
            schema = df.schema
            rows = df.collect()
            cols = [f.name for f in schema.fields]
            rendered = [{f.name: canon(r[j], f.dataType) for j, f in enumerate(schema.fields)} for r in rows]
        except Exception as e:  # noqa: BLE001
            msg = getattr(e, "desc", None) or str(e)
            out.close()
            sys.stderr.write(f"spark_sql.py: statement {i} failed: {sql}\n{type(e).__name__}: {msg}\n")
            sys.stderr.flush()
            end_jvm(spark, 30)
            os._exit(1)
        out.write(json.dumps({"columns": cols, "rows": rendered, "seconds": round(time.monotonic() - t, 3)}, ensure_ascii=False) + "\n")
        out.flush()
    out.close()
    t_done = time.monotonic()
    end_jvm(spark)
    sys.stderr.write(
        f"spark_sql.py: catalog {name}: session {t_session - T0:.1f}s, {len(statements)} statements "
        f"{t_done - t_session:.1f}s, exit {time.monotonic() - t_done:.1f}s\n"
    )
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
