"""Training run for Spark's class-data-sharing archive (scripts/stack/setup.sh spark).

    <spark venv python> scripts/stack/spark/cds_train.py <archive.jsa> <scratch dir>

Starts Spark exactly as test/helpers/spark_sql.py does (its session()), with
-XX:ArchiveClassesAtExit, runs what the tests run on the embedded SQLite catalog (a local
warehouse): create, insert, scans, metadata tables, rewrite_data_files, rewrite_manifests,
ALTER TABLE, expire_snapshots, rollback_to_snapshot; then touches the REST catalog client and
S3FileIO against a closed port (no server is needed: the classes of the client side load before
the connection fails). The JVM writes the archive when it exits. spark_sql.py then maps it
(FLOE_TEST_SPARK_CDS) and starts in about half the time.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ beside test/helpers/spark_sql.py in the work tree
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "test", "helpers"))


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main() -> None:
    archive, scratch = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(scratch, exist_ok=True)
    tmp = archive + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    os.environ["FLOE_SPARK_CDS_DUMP"] = tmp
    import spark_sql  # noqa: E402  (test/helpers/spark_sql.py)

    # a catalog file in WAL mode, as floe's SqlCatalog makes them (in rollback-journal mode, the
    # one JdbcCatalog creates, Spark's rewrite_data_files commit failed with SQLITE_BUSY)
    with sqlite3.connect(os.path.join(scratch, "catalog.db")) as db:
        db.execute("PRAGMA journal_mode=WAL")
    port = closed_port()
    dead = f"http://127.0.0.1:{port}"
    req = {
        "catalog": {"type": "sql", "uri": f"sqlite:///{scratch}/catalog.db", "warehouse": f"file://{scratch}/warehouse"},
        "conf": {
            "spark.sql.catalog.cds_rest": "org.apache.iceberg.spark.SparkCatalog",
            "spark.sql.catalog.cds_rest.type": "rest",
            "spark.sql.catalog.cds_rest.uri": dead,
            "spark.sql.catalog.cds_s3": "org.apache.iceberg.spark.SparkCatalog",
            "spark.sql.catalog.cds_s3.type": "jdbc",
            "spark.sql.catalog.cds_s3.uri": f"jdbc:sqlite:{scratch}/s3-catalog.db",
            "spark.sql.catalog.cds_s3.clients": "1",
            "spark.sql.catalog.cds_s3.warehouse": "s3://cds-train/",
            "spark.sql.catalog.cds_s3.io-impl": "org.apache.iceberg.io.ResolvingFileIO",
            "spark.sql.catalog.cds_s3.s3.endpoint": dead,
            "spark.sql.catalog.cds_s3.s3.path-style-access": "true",
            "spark.sql.catalog.cds_s3.s3.access-key-id": "cds",
            "spark.sql.catalog.cds_s3.s3.secret-access-key": "cds-train",
            "spark.sql.catalog.cds_s3.client.region": "us-east-1",
            "spark.sql.catalog.cds_s3.s3.retry.num-retries": "0",
        },
    }
    t0 = time.monotonic()
    spark, name = spark_sql.session(req)

    def q(sql: str):
        df = spark.sql(sql)
        rows = df.collect()
        # the output path of spark_sql.py too
        for r in rows:
            for j, f in enumerate(df.schema.fields):
                spark_sql.canon(r[j], f.dataType)
        return rows

    q("CREATE NAMESPACE IF NOT EXISTS train")
    q("""CREATE TABLE train.t (id bigint NOT NULL, i int, b boolean, f float, d double, dec decimal(18,4),
          dt date, ts timestamp_ntz, tstz timestamp, s string, bin binary,
          st struct<a: int, b: string>, l array<bigint>, m map<string, double>)
         USING iceberg PARTITIONED BY (bucket(4, id)) TBLPROPERTIES ('format-version'='2')""")
    for k in range(3):
        q(f"""INSERT INTO train.t VALUES ({k}, {k}, true, 1.5, -0.0, 12.3400, DATE '2024-01-0{k + 1}',
              TIMESTAMP_NTZ '2024-01-01 00:00:0{k}', TIMESTAMP '1969-12-31 23:59:59.999999', 'x{k}', X'00ff',
              named_struct('a', {k}, 'b', 'y'), array({k}, null), map('k', double('NaN'))),
              ({k + 10}, null, null, null, null, null, null, null, null, null, null, null, null, null)""")
    q("SELECT * FROM train.t ORDER BY id")
    q("SELECT count(*), sum(id) FROM train.t WHERE id > 1")
    snaps = q("SELECT snapshot_id, parent_id, operation, summary, committed_at FROM train.t.snapshots ORDER BY committed_at")
    for meta in ("files", "manifests", "history", "partitions", "entries", "refs", "metadata_log_entries"):
        q(f"SELECT * FROM train.t.{meta}")
    q(f"SHOW TBLPROPERTIES {name}.train.t")
    q("DESCRIBE TABLE EXTENDED train.t")
    q("CALL system.rewrite_data_files(table => 'train.t', options => map('min-input-files', '2'))")
    q("CALL system.rewrite_manifests('train.t')")
    q("ALTER TABLE train.t ADD COLUMN extra string")
    q("INSERT INTO train.t SELECT 100L, null, null, null, null, null, null, null, null, 'after', null, null, null, null, 'e'")
    q("SELECT * FROM train.t ORDER BY id")
    q(f"CALL system.rollback_to_snapshot('train.t', {snaps[-1]['snapshot_id']})")
    q("CALL system.expire_snapshots(table => 'train.t', older_than => TIMESTAMP '2999-01-01 00:00:00', retain_last => 1)")
    q("SELECT * FROM train.t ORDER BY id")
    # the REST client and S3FileIO up to their first connection (refused)
    for sql in ("SHOW NAMESPACES IN cds_rest", "SELECT * FROM cds_rest.ns.t",
                "CREATE NAMESPACE cds_s3.ns", "CREATE TABLE cds_s3.ns.t (id bigint) USING iceberg",
                "INSERT INTO cds_s3.ns.t VALUES (1)"):
        try:
            q(sql)
        except Exception:  # noqa: BLE001
            pass
    spark_sql.end_jvm(spark, timeout=600)
    if not os.path.isfile(tmp):
        sys.exit(f"cds_train.py: the JVM wrote no archive at {tmp}")
    os.replace(tmp, archive)
    print(f"cds_train.py: {os.path.getsize(archive) >> 20} MiB archive in {time.monotonic() - t0:.1f}s")


if __name__ == "__main__":
    main()
