"""Independent judges for floe's tables: read an Iceberg table with PyIceberg or DuckDB.

Run by test/helpers/readers.ts as
    <venv python> test/helpers/read_table.py   < options JSON on stdin
and prints one JSON document on stdout (errors: message on stderr, exit status 1).

Options:
    {"reader": "pyiceberg" | "duckdb",
     "catalog": {"type": "rest", "uri": "http://127.0.0.1:8181", "warehouse"?: "...", "name"?: "..."}
              | {"type": "sql", "uri": "sqlite:////abs/path.db", "warehouse": "file:///abs/dir", "name"?: "default"},
     "table": "ns.name",
     "s3"?: {"endpoint", "accessKey", "secretKey", "region"},
     "sort"?: true,
     "columns"?: [column names] (pyiceberg: read only these), "row_filter"?: "PyIceberg filter expression" (pyiceberg)}

Output of reader "pyiceberg":
    {"metadata_location", "format_version", "table_uuid", "current_snapshot_id" (string|null),
     "properties", "partition_specs", "sort_orders",
     "schema":    the current schema in Iceberg's JSON form (PyIceberg's serialisation),
     "rows":      [ {column name: canonical value} ],
     "files":     [ live data and delete files of the current snapshot, see below ],
     "snapshots": [ {"snapshot_id", "parent_id", "sequence_number", "timestamp_ms", "schema_id",
                     "manifest_list", "summary": {"operation": ..., other keys...}} ],
     "partitions": [ {"partition": {...}, "spec_id", "record_count", "file_count"} ]   (partitioned only)}
    Each file: {"content" (0 data, 1 position deletes, 2 equality deletes), "file_path", "file_format",
     "spec_id", "record_count", "file_size_in_bytes", "column_sizes", "value_counts",
     "null_value_counts", "nan_value_counts" ({field id as string: count} or null when absent),
     "lower_bounds", "upper_bounds" ({field id: {"hex": raw single-value bytes as hex,
                                                 "value": PyIceberg's decoded value, canonical}}),
     "partition" ({partition field name: canonical value}), "split_offsets", "sort_order_id",
     "sequence_number", "file_sequence_number", "snapshot_id"}
Output of reader "duckdb": {"metadata_location", "rows"} - DuckDB's iceberg extension reads the
    table's current metadata file (located through PyIceberg's catalog) with iceberg_scan.

Canonical values (the same for both readers, so tests compare value by value; JSON null is null):
    boolean     "true" / "false"
    int, long   decimal string, e.g. "-9223372036854775808"
    float       the value as float32, widened to double, then Python's repr, e.g. 0.1f ->
                "0.10000000149011612"; "nan", "inf", "-inf", "-0.0"
    double      Python's repr of the double, e.g. "0.1", "1e+16", "nan", "inf", "-inf", "-0.0"
    decimal(p,s) fixed-point string with exactly s digits after the point, e.g. "-12.30", "5"
    date        ISO "YYYY-MM-DD"
    time        ISO "HH:MM:SS.ffffff"
    timestamp   ISO "YYYY-MM-DDTHH:MM:SS.ffffff"
    timestamptz ISO "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" (converted to UTC)
    timestamp_ns / timestamptz_ns  as above with 9 fraction digits
    string      the string itself
    uuid        canonical lower-case "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
    fixed, binary  lower-case hex of the bytes
    struct      {field name: value}
    list        [values]
    map         [[key, value], ...] in the reader's order
A value whose Python type does not fit its Iceberg type is an error, not a coercion.
Rows are sorted by their canonical JSON text (both readers line up) unless "sort": false.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import struct
import sys
import uuid
from typing import Any

from pyiceberg import types as T
from pyiceberg.catalog import load_catalog
from pyiceberg.conversions import from_bytes

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1)
EPOCH_DATE = dt.date(1970, 1, 1)


class Mismatch(Exception):
    pass


def _bad(value: Any, typ: Any) -> Mismatch:
    return Mismatch(f"value {value!r} ({type(value).__name__}) does not fit Iceberg type {typ}")


def _iso_ns(base: dt.datetime, nanos: int, tz: bool) -> str:
    s = base.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}"
    return s + ("+00:00" if tz else "")


def canon(value: Any, typ: Any) -> Any:
    """Render one value of Iceberg type `typ` in the canonical form documented above."""
    if value is None:
        return None
    if isinstance(typ, T.BooleanType):
        if isinstance(value, bool):
            return "true" if value else "false"
        raise _bad(value, typ)
    if isinstance(typ, (T.IntegerType, T.LongType)):
        if isinstance(value, int) and not isinstance(value, bool):
            return str(int(value))
        raise _bad(value, typ)
    if isinstance(typ, T.FloatType):
        if isinstance(value, float):
            return _float_str(struct.unpack("<f", struct.pack("<f", value))[0])
        raise _bad(value, typ)
    if isinstance(typ, T.DoubleType):
        if isinstance(value, float):
            return _float_str(value)
        raise _bad(value, typ)
    if isinstance(typ, T.DecimalType):
        if isinstance(value, decimal.Decimal):
            q = decimal.Decimal(1).scaleb(-typ.scale)
            with decimal.localcontext() as ctx:
                ctx.prec = 80
                return format(value.quantize(q), "f")
        raise _bad(value, typ)
    if isinstance(typ, T.DateType):
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        raise _bad(value, typ)
    if isinstance(typ, T.TimeType):
        if isinstance(value, dt.time):
            return value.isoformat(timespec="microseconds")
        raise _bad(value, typ)
    if isinstance(typ, (T.TimestampType, T.TimestamptzType)):
        tz = isinstance(typ, T.TimestamptzType)
        if isinstance(value, dt.datetime):
            if tz:
                if value.tzinfo is None:
                    raise _bad(value, typ)
                return value.astimezone(UTC).isoformat(timespec="microseconds")
            if value.tzinfo is not None:
                raise _bad(value, typ)
            return value.isoformat(timespec="microseconds")
        raise _bad(value, typ)
    if type(typ).__name__ in ("TimestampNanoType", "TimestamptzNanoType"):
        tz = type(typ).__name__ == "TimestamptzNanoType"
        if hasattr(value, "value") and hasattr(value, "to_pydatetime"):  # pandas.Timestamp
            value = int(value.value)
        if isinstance(value, int) and not isinstance(value, bool):
            secs, nanos = divmod(int(value), 1_000_000_000)
            return _iso_ns(EPOCH + dt.timedelta(seconds=secs), nanos, tz)
        if isinstance(value, dt.datetime):
            if tz:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return _iso_ns(value.replace(microsecond=0), value.microsecond * 1000, tz)
        raise _bad(value, typ)
    if isinstance(typ, T.StringType):
        if isinstance(value, str):
            return value
        raise _bad(value, typ)
    if isinstance(typ, T.UUIDType):
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, (bytes, bytearray)) and len(value) == 16:
            return str(uuid.UUID(bytes=bytes(value)))
        if isinstance(value, str):
            return str(uuid.UUID(value))
        raise _bad(value, typ)
    if isinstance(typ, (T.FixedType, T.BinaryType)):
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value).hex()
        raise _bad(value, typ)
    if isinstance(typ, T.StructType):
        if isinstance(value, dict):
            return {f.name: canon(value.get(f.name), f.field_type) for f in typ.fields}
        if hasattr(value, "__getitem__") and hasattr(value, "__len__"):  # pyiceberg Record
            return {f.name: canon(value[i], f.field_type) for i, f in enumerate(typ.fields)}
        raise _bad(value, typ)
    if isinstance(typ, T.ListType):
        if isinstance(value, (list, tuple)):
            return [canon(v, typ.element_type) for v in value]
        raise _bad(value, typ)
    if isinstance(typ, T.MapType):
        return [[canon(k, typ.key_type), canon(v, typ.value_type)] for k, v in _map_items(value, typ)]
    raise Mismatch(f"unsupported Iceberg type {typ}")


def _float_str(f: float) -> str:
    if math.isnan(f):
        return "nan"
    return repr(f)  # "inf", "-inf", "-0.0", "0.1", "1e+16"


def _map_items(value: Any, typ: Any) -> list:
    if isinstance(value, dict):
        if set(value.keys()) == {"key", "value"} and isinstance(value["key"], list):
            return list(zip(value["key"], value["value"]))  # DuckDB's MAP as a dict of lists
        return list(value.items())
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if isinstance(item, dict) and "key" in item and "value" in item:
                out.append((item["key"], item["value"]))
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                out.append((item[0], item[1]))
            else:
                raise _bad(value, typ)
        return out
    raise _bad(value, typ)


# ---- catalogs ------------------------------------------------------------------------------


def s3_properties(s3: dict | None) -> dict:
    if not s3:
        return {}
    return {
        "s3.endpoint": s3["endpoint"],
        "s3.access-key-id": s3["accessKey"],
        "s3.secret-access-key": s3["secretKey"],
        "s3.region": s3.get("region") or "us-east-1",
        "s3.force-virtual-addressing": "false",
    }


def open_catalog(opts: dict):
    cat = opts["catalog"]
    props = s3_properties(opts.get("s3"))
    if cat["type"] == "rest":
        props.update({"type": "rest", "uri": cat["uri"]})
        if cat.get("warehouse"):
            props["warehouse"] = cat["warehouse"]
        return load_catalog(cat.get("name") or "rest", **props)
    if cat["type"] == "sql":
        from pyiceberg.catalog.sql import SqlCatalog

        props.update({"uri": cat["uri"], "warehouse": cat["warehouse"]})
        return SqlCatalog(cat.get("name") or "default", **props)
    raise ValueError(f"unknown catalog type {cat['type']!r}")


# ---- PyIceberg ------------------------------------------------------------------------------


def _metric_map(m: dict | None) -> dict | None:
    if m is None:
        return None
    return {str(k): int(v) for k, v in sorted(m.items())}


def _bounds(m: dict | None, schema) -> dict | None:
    if m is None:
        return None
    out = {}
    for fid, raw in sorted(m.items()):
        raw = bytes(raw)
        entry: dict = {"hex": raw.hex()}
        try:
            field = schema.find_field(fid)
            entry["value"] = canon(_from_single_value(field.field_type, raw), field.field_type)
        except Exception as e:  # a bound PyIceberg cannot decode is reported, not hidden
            entry["error"] = f"{type(e).__name__}: {e}"
        out[str(fid)] = entry
    return out


def _from_single_value(typ, raw: bytes):
    """PyIceberg's decoding of a single-value bound, turned into the Python values canon() takes."""
    return _from_internal(typ, from_bytes(typ, raw))


def _from_internal(typ, v):
    """PyIceberg's internal form (days, microseconds as int) -> the Python values canon() takes."""
    if isinstance(typ, T.DateType) and isinstance(v, int):
        return EPOCH_DATE + dt.timedelta(days=v)
    if isinstance(typ, T.TimeType) and isinstance(v, int):
        return (dt.datetime.min + dt.timedelta(microseconds=v)).time()
    if isinstance(typ, T.TimestampType) and isinstance(v, int):
        return EPOCH + dt.timedelta(microseconds=v)
    if isinstance(typ, T.TimestamptzType) and isinstance(v, int):
        return (EPOCH + dt.timedelta(microseconds=v)).replace(tzinfo=UTC)
    return v


def _partition(record, spec, schema) -> dict:
    ptype = spec.partition_type(schema)
    # partition values are in PyIceberg's internal form (a day transform gives days since epoch)
    return {f.name: canon(_from_internal(f.field_type, record[i]), f.field_type) for i, f in enumerate(ptype.fields)}


def _sorted_rows(rows: list, sort: bool) -> list:
    if not sort:
        return rows
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False))


def _rows_from_arrow(tbl, schema, sort: bool) -> list:
    by_name = {f.name: f for f in schema.fields}
    cols = tbl.column_names
    missing = [c for c in cols if c not in by_name]
    if missing:
        raise Mismatch(f"reader returned columns not in the Iceberg schema: {missing}")
    rows = []
    for rec in tbl.to_pylist():
        rows.append({c: canon(rec[c], by_name[c].field_type) for c in cols})
    return _sorted_rows(rows, sort)


def read_pyiceberg(opts: dict) -> dict:
    catalog = open_catalog(opts)
    table = catalog.load_table(opts["table"])
    md = table.metadata
    schema = table.schema()
    specs = table.specs()
    snap = table.current_snapshot()

    files = []
    if snap is not None:
        for manifest in snap.manifests(table.io):
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
                df = entry.data_file
                spec = specs[df.spec_id]
                files.append(
                    {
                        "content": int(df.content),
                        "file_path": df.file_path,
                        "file_format": str(df.file_format.value if hasattr(df.file_format, "value") else df.file_format),
                        "spec_id": df.spec_id,
                        "record_count": df.record_count,
                        "file_size_in_bytes": df.file_size_in_bytes,
                        "column_sizes": _metric_map(df.column_sizes),
                        "value_counts": _metric_map(df.value_counts),
                        "null_value_counts": _metric_map(df.null_value_counts),
                        "nan_value_counts": _metric_map(df.nan_value_counts),
                        "lower_bounds": _bounds(df.lower_bounds, schema),
                        "upper_bounds": _bounds(df.upper_bounds, schema),
                        "partition": _partition(df.partition, spec, schema),
                        "split_offsets": list(df.split_offsets) if df.split_offsets is not None else None,
                        "sort_order_id": df.sort_order_id,
                        "sequence_number": entry.sequence_number,
                        "file_sequence_number": entry.file_sequence_number,
                        "snapshot_id": str(entry.snapshot_id) if entry.snapshot_id is not None else None,
                    }
                )
    files.sort(key=lambda f: f["file_path"])

    snapshots = []
    for s in md.snapshots:
        summary = {}
        if s.summary is not None:
            summary["operation"] = s.summary.operation.value
            summary.update({k: v for k, v in s.summary.additional_properties.items()})
        snapshots.append(
            {
                "snapshot_id": str(s.snapshot_id),
                "parent_id": str(s.parent_snapshot_id) if s.parent_snapshot_id is not None else None,
                "sequence_number": s.sequence_number,
                "timestamp_ms": s.timestamp_ms,
                "schema_id": s.schema_id,
                "manifest_list": s.manifest_list,
                "summary": summary,
            }
        )

    scan_args = {}
    if opts.get("columns"):
        scan_args["selected_fields"] = tuple(opts["columns"])
    if opts.get("row_filter"):
        scan_args["row_filter"] = opts["row_filter"]
    rows = _rows_from_arrow(table.scan(**scan_args).to_arrow(), schema, opts.get("sort", True)) if snap else []

    out = {
        "metadata_location": table.metadata_location,
        "format_version": md.format_version,
        "table_uuid": str(md.table_uuid),
        "current_snapshot_id": str(snap.snapshot_id) if snap else None,
        "properties": dict(md.properties),
        "partition_specs": [json.loads(p.model_dump_json()) for p in md.partition_specs],
        "sort_orders": [json.loads(o.model_dump_json()) for o in md.sort_orders],
        "schema": json.loads(schema.model_dump_json()),
        "rows": rows,
        "files": files,
        "snapshots": snapshots,
    }
    if any(not spec.is_unpartitioned() for spec in specs.values()) and snap is not None:
        parts: dict = {}
        for f in files:
            if f["content"] != 0:
                continue
            key = json.dumps([f["spec_id"], f["partition"]], sort_keys=True)
            p = parts.setdefault(key, {"partition": f["partition"], "spec_id": f["spec_id"], "record_count": 0, "file_count": 0})
            p["record_count"] += f["record_count"]
            p["file_count"] += 1
        out["partitions"] = [parts[k] for k in sorted(parts)]
    return out


# ---- DuckDB ---------------------------------------------------------------------------------


def _extension_path(name: str) -> str:
    """The .duckdb_extension file shipped by the duckdb-extension-<name> wheel."""
    import importlib

    mod = importlib.import_module(f"duckdb_extension_{name}")
    candidates = []
    for base in list(getattr(mod, "__path__", [])) + [os.path.dirname(getattr(mod, "__file__", "") or "")]:
        if not base:
            continue
        for root, _dirs, names in os.walk(base):
            candidates += [os.path.join(root, n) for n in names if n.endswith(".duckdb_extension")]
    if not candidates:
        raise RuntimeError(f"no .duckdb_extension file in the duckdb-extension-{name} package")
    return sorted(candidates)[0]


def _local_path(uri: str) -> str:
    return uri[len("file://"):] if uri.startswith("file://") else uri


def read_duckdb(opts: dict) -> dict:
    import duckdb

    catalog = open_catalog(opts)
    table = catalog.load_table(opts["table"])
    schema = table.schema()
    location = table.metadata_location

    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False, "allow_unsigned_extensions": True}
    )
    for ext in ("httpfs", "avro", "iceberg"):
        con.execute(f"LOAD '{_extension_path(ext)}'")
    con.execute("SET TimeZone = 'UTC'")
    s3 = opts.get("s3")
    if s3:
        endpoint = s3["endpoint"]
        use_ssl = endpoint.startswith("https://")
        host = endpoint.split("://", 1)[-1].rstrip("/")
        con.execute(
            "CREATE SECRET floe_s3 (TYPE s3, KEY_ID ?, SECRET ?, REGION ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL ?)".replace(
                "?", "{}"
            ).format(_q(s3["accessKey"]), _q(s3["secretKey"]), _q(s3.get("region") or "us-east-1"), _q(host), "true" if use_ssl else "false")
        )
    if table.current_snapshot() is None:
        return {"metadata_location": location, "rows": []}
    rel = con.execute(f"SELECT * FROM iceberg_scan({_q(_local_path(location))})")
    tbl = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.fetch_arrow_table()
    return {"metadata_location": location, "rows": _rows_from_arrow(tbl, schema, opts.get("sort", True))}


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def main() -> int:
    opts = json.load(sys.stdin)
    reader = opts.get("reader", "pyiceberg")
    try:
        if reader == "pyiceberg":
            out = read_pyiceberg(opts)
        elif reader == "duckdb":
            out = read_duckdb(opts)
        else:
            raise ValueError(f"unknown reader {reader!r}")
    except Exception as e:
        import traceback

        traceback.print_exc(file=sys.stderr)
        print(f"read_table.py ({reader}): {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    json.dump(out, sys.stdout, ensure_ascii=False, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
