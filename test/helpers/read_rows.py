"""Read every row of an Iceberg table with PyIceberg's scan and with DuckDB's iceberg_scan.

Request on stdin: {"catalog": {...as in table_probe.py...}, "table": "ns.name", "order_by": "id",
                   "engines": ["pyiceberg", "duckdb"]}
Answer on stdout: {"pyiceberg": {"columns": [...], "rows": [[...], ...]},
                   "duckdb": {"columns": [...], "rows": [...]}, "metadata_location": "..."}

Values come back in one neutral form so the test can compare them with what it wrote:
null; booleans "true"/"false"; integers as decimal strings; floats as Python's repr ("nan",
"inf", "-inf", "-0.0", "0.1"; the test parses them); decimals in fixed notation with their scale;
dates "YYYY-MM-DD"; times "HH:MM:SS.ffffff"; timestamps "YYYY-MM-DDTHH:MM:SS.ffffff" and, with a
zone, "+00:00"; uuids canonical lower-case; bytes as hex; structs as objects; lists as arrays;
maps as arrays of [key, value] in the order the reader returns them. Rows are sorted by
`order_by` (numerically).

DuckDB is given the table's current metadata file (from the catalog) and, for S3, a secret for
the stack's endpoint. The extensions come from the duckdb-extension-* wheels (loaded by path).
"""

import datetime
import decimal
import json
import sys
import uuid

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from table_probe import load_catalog  # noqa: E402


def neutral(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc)
        return v.isoformat(timespec="microseconds")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, datetime.time):
        return v.isoformat(timespec="microseconds")
    if isinstance(v, str):
        return v
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {str(k): neutral(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [neutral(x) for x in v]
    raise TypeError(f"cannot render {type(v)}: {v!r}")


def arrow_rows(table):
    """pyarrow Table → rows of neutral values; maps become [key, value] pairs, uuids UUIDs."""
    import pyarrow as pa

    def conv(t, v):
        if v is None:
            return None
        if pa.types.is_map(t):
            return [[conv(t.key_type, k), conv(t.item_type, x)] for k, x in v]
        if pa.types.is_struct(t):
            return {t.field(i).name: conv(t.field(i).type, v.get(t.field(i).name)) for i in range(t.num_fields)}
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return [conv(t.value_type, x) for x in v]
        if isinstance(t, pa.ExtensionType) and t.extension_name == "arrow.uuid":
            return str(v if isinstance(v, uuid.UUID) else uuid.UUID(bytes=bytes(v)))
        if pa.types.is_fixed_size_binary(t) and t.byte_width == 16 and isinstance(v, uuid.UUID):
            return str(v)
        return neutral(v)

    cols = table.column_names
    types = [table.schema.field(c).type for c in cols]
    pyl = table.to_pylist()
    return cols, [[conv(types[i], r[c]) for i, c in enumerate(cols)] for r in pyl]


def duckdb_connect(s3):
    import duckdb

    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    import importlib

    for ext in ("httpfs", "avro", "iceberg"):
        mod = importlib.import_module(f"duckdb_extension_{ext}")
        path = getattr(mod, "extension_path", None) or getattr(mod, "EXTENSION_PATH", None)
        if path is None:
            import glob
            import os

            found = glob.glob(os.path.join(os.path.dirname(mod.__file__), "**", "*.duckdb_extension"), recursive=True)
            path = found[0]
        con.execute(f"LOAD '{path}'")
    con.execute("SET TimeZone = 'UTC'")
    if s3:
        endpoint = s3["endpoint"]
        ssl = endpoint.startswith("https://")
        host = endpoint.split("://", 1)[-1].rstrip("/")
        con.execute(
            "CREATE SECRET floe_s3 (TYPE s3, KEY_ID ?, SECRET ?, REGION ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL ?)",
            [s3["accessKeyId"], s3["secretAccessKey"], s3.get("region") or "us-east-1", host, ssl],
        )
    return con


def read_duckdb(metadata_location, s3, order_by):
    con = duckdb_connect(s3)
    loc = metadata_location
    at = con.execute(f"SELECT * FROM iceberg_scan(?) ORDER BY {order_by}", [loc]).arrow()
    if hasattr(at, "read_all"):
        at = at.read_all()
    cols, rows = arrow_rows(at)
    return {"columns": cols, "rows": rows}


def main():
    req = json.load(sys.stdin)
    spec = req["catalog"]
    catalog = load_catalog(spec)
    table = catalog.load_table(req["table"])
    order_by = req.get("order_by", "id")
    engines = req.get("engines") or ["pyiceberg", "duckdb"]
    out = {"metadata_location": table.metadata_location}
    if "pyiceberg" in engines:
        at = table.scan().to_arrow()
        import pyarrow.compute as pc

        at = at.take(pc.sort_indices(at, sort_keys=[(order_by, "ascending")]))
        cols, rows = arrow_rows(at)
        out["pyiceberg"] = {"columns": cols, "rows": rows}
    if "duckdb" in engines:
        out["duckdb"] = read_duckdb(table.metadata_location, spec.get("s3") if spec["type"] == "rest" else None, order_by)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
