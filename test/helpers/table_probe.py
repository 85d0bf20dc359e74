"""Look at (and, for the foreign-writer test, write to) an Iceberg table with PyIceberg 0.12.

floe's table conformance tests (test/conformance/table-*.test.ts) run this as
`python table_probe.py` with a JSON request on stdin:

  {"catalog": {"type": "sql", "uri": "sqlite:////abs/catalog.db", "warehouse": "file:///abs/wh"}
             | {"type": "rest", "uri": "http://127.0.0.1:8181", "warehouse"?: "...", "s3"?: {...}},
   "table": "ns.name",
   "ops": [{"op": "..."}, ...]}

and get {"results": [<one result per op>]} on stdout. Everything that may exceed 2^53 (ids,
sequence numbers, longs) is returned as a decimal string, bytes as lower-case hex.

Ops:
  files                  inspect.files() of the current snapshot: counts and bounds per field id
  entries                inspect.entries() of the current snapshot (status, snapshot id, sequence numbers)
  snapshots              every snapshot: id, parent, sequence number, summary, manifest list
  manifests              the current snapshot's manifests (path, added snapshot id, counts)
  ids {row_filter, column}  values of one column of a scan with PyIceberg's row filter, as strings
  create {schema, partition_by?, properties?}  create the table (schema in Iceberg JSON form)
  append {rows}          append rows with PyIceberg's own writer (values in JSON: see to_arrow)
"""

import json
import sys
import pyarrow as pa


def load_catalog(spec):
    kind = spec["type"]
    if kind == "sql":
        from pyiceberg.catalog.sql import SqlCatalog

        return SqlCatalog(spec.get("name", "default"), uri=spec["uri"], warehouse=spec["warehouse"])
    if kind == "rest":
        from pyiceberg.catalog.rest import RestCatalog

        props = {"uri": spec["uri"]}
        if spec.get("warehouse"):
            props["warehouse"] = spec["warehouse"]
        s3 = spec.get("s3") or {}
        if s3.get("endpoint"):
            props["s3.endpoint"] = s3["endpoint"]
        if s3.get("accessKeyId"):
            props["s3.access-key-id"] = s3["accessKeyId"]
        if s3.get("secretAccessKey"):
            props["s3.secret-access-key"] = s3["secretAccessKey"]
        props["s3.region"] = s3.get("region") or "us-east-1"
        props["s3.path-style-access"] = "true"
        return RestCatalog(spec.get("name", "rest"), **props)
    raise ValueError(f"unknown catalog type {kind}")


def hexmap(m):
    if m is None:
        return None
    return {str(k): (v.hex() if v is not None else None) for k, v in m}


def intmap(m):
    if m is None:
        return None
    return {str(k): str(v) for k, v in m}


def as_str(v):
    return None if v is None else str(v)


def op_files(table):
    """inspect.files(); PyIceberg 0.12's inspect.files() fails on tables with a uuid column
    (its readable_metrics builds an Arrow extension array it cannot), so then the same DataFile
    fields are taken from PyIceberg's own reading of the manifests."""
    try:
        rows = table.inspect.files().to_pylist()
        source = "inspect.files"
    except pa.ArrowNotImplementedError:
        rows = files_from_manifests(table)
        source = "manifests"
    out = []
    for r in rows:
        out.append(
            {
                "source": source,
                "content": r["content"],
                "file_path": r["file_path"],
                "file_format": r["file_format"],
                "spec_id": r["spec_id"],
                "partition": {k: jsonable(v) for k, v in (r["partition"] or {}).items()},
                "record_count": str(r["record_count"]),
                "file_size_in_bytes": str(r["file_size_in_bytes"]),
                "value_counts": intmap(r["value_counts"]),
                "null_value_counts": intmap(r["null_value_counts"]),
                "nan_value_counts": intmap(r["nan_value_counts"]),
                "lower_bounds": hexmap(r["lower_bounds"]),
                "upper_bounds": hexmap(r["upper_bounds"]),
                "split_offsets": [str(x) for x in (r["split_offsets"] or [])],
            }
        )
    return out


def files_from_manifests(table):
    snap = table.current_snapshot()
    if snap is None:
        return []
    rows = []
    for m in snap.manifests(table.io):
        spec = table.specs()[m.partition_spec_id]
        for e in m.fetch_manifest_entry(table.io, discard_deleted=True):
            df = e.data_file
            rows.append(
                {
                    "content": int(df.content),
                    "file_path": df.file_path,
                    "file_format": str(df.file_format.value if hasattr(df.file_format, "value") else df.file_format),
                    "spec_id": m.partition_spec_id,
                    "partition": {f.name: df.partition[i] for i, f in enumerate(spec.fields)},
                    "record_count": df.record_count,
                    "file_size_in_bytes": df.file_size_in_bytes,
                    "value_counts": list((df.value_counts or {}).items()),
                    "null_value_counts": list((df.null_value_counts or {}).items()),
                    "nan_value_counts": list((df.nan_value_counts or {}).items()),
                    "lower_bounds": list((df.lower_bounds or {}).items()),
                    "upper_bounds": list((df.upper_bounds or {}).items()),
                    "split_offsets": df.split_offsets,
                }
            )
    return rows


def op_entries(table):
    out = []
    for r in table.inspect.entries().to_pylist():
        df = r["data_file"]
        out.append(
            {
                "status": r["status"],
                "snapshot_id": as_str(r["snapshot_id"]),
                "sequence_number": as_str(r["sequence_number"]),
                "file_sequence_number": as_str(r["file_sequence_number"]),
                "file_path": df["file_path"],
                "record_count": str(df["record_count"]),
            }
        )
    return out


def op_snapshots(table):
    out = []
    for s in table.metadata.snapshots:
        summary = s.summary
        out.append(
            {
                "snapshot_id": str(s.snapshot_id),
                "parent_id": as_str(s.parent_snapshot_id),
                "sequence_number": as_str(s.sequence_number),
                "timestamp_ms": str(s.timestamp_ms),
                "operation": summary.operation.value if summary is not None else None,
                "summary": {k: str(v) for k, v in (summary.additional_properties.items() if summary is not None else [])},
                "manifest_list": s.manifest_list,
            }
        )
    cur = table.current_snapshot()
    return {"current": as_str(cur.snapshot_id) if cur else None, "snapshots": out}


def op_manifests(table):
    cur = table.current_snapshot()
    if cur is None:
        return []
    out = []
    for m in cur.manifests(table.io):
        out.append(
            {
                "path": m.manifest_path,
                "spec_id": m.partition_spec_id,
                "content": int(m.content),
                "sequence_number": as_str(m.sequence_number),
                "min_sequence_number": as_str(m.min_sequence_number),
                "added_snapshot_id": as_str(m.added_snapshot_id),
                "added_files": m.added_files_count,
                "existing_files": m.existing_files_count,
                "deleted_files": m.deleted_files_count,
                "added_rows": as_str(m.added_rows_count),
                "existing_rows": as_str(m.existing_rows_count),
            }
        )
    return out


def jsonable(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    return str(v)


def op_ids(table, op):
    scan = table.scan(row_filter=op.get("row_filter") or "True", selected_fields=(op["column"],))
    # How many files the scan planned after pruning with the manifests' bounds.
    planned = [t.file.file_path for t in scan.plan_files()]
    col = scan.to_arrow().column(op["column"]).to_pylist()
    return {"values": [jsonable(v) for v in col], "planned_files": planned}


def op_create(catalog, name, op):
    from pyiceberg.schema import Schema
    from pyiceberg.partitioning import PartitionSpec, PartitionField
    from pyiceberg.transforms import parse_transform

    schema = Schema.model_validate(op["schema"])
    spec_fields = []
    for i, p in enumerate(op.get("partition_by") or []):
        src = schema.find_field(p["source"])
        spec_fields.append(PartitionField(source_id=src.field_id, field_id=1000 + i, transform=parse_transform(p["transform"]), name=p["name"]))
    ns = tuple(name.split(".")[:-1])
    if not catalog.namespace_exists(ns):
        catalog.create_namespace(ns)
    t = catalog.create_table(name, schema=schema, partition_spec=PartitionSpec(*spec_fields), properties=op.get("properties") or {})
    return {"metadata_location": t.metadata_location}


def to_arrow(table, rows):
    """Rows in JSON: long/timestamp values as decimal strings (micros for timestamps), the rest as JSON."""
    from pyiceberg.io.pyarrow import schema_to_pyarrow
    from pyiceberg.types import LongType, TimestampType, TimestamptzType

    schema = table.schema()
    arrow_schema = schema_to_pyarrow(schema)
    cols = {}
    for f in schema.fields:
        vals = []
        for r in rows:
            v = r.get(f.name)
            if v is not None and isinstance(f.field_type, LongType):
                v = int(v)
            elif v is not None and isinstance(f.field_type, (TimestampType, TimestamptzType)):
                v = int(v)
            vals.append(v)
        af = arrow_schema.field(f.name)
        if isinstance(f.field_type, (TimestampType, TimestamptzType)):
            cols[f.name] = pa.array(vals, type=pa.int64()).cast(af.type)
        else:
            cols[f.name] = pa.array(vals, type=af.type)
    return pa.Table.from_pydict(cols, schema=arrow_schema)


def op_append(table, op):
    table.append(to_arrow(table, op["rows"]))
    table.refresh()
    return {"snapshot_id": str(table.current_snapshot().snapshot_id)}


def op_delete(table, op):
    """A row delete (PyIceberg picks copy-on-write or merge-on-read): the rows matching row_filter go."""
    table.delete(delete_filter=op["row_filter"])
    table.refresh()
    return {"snapshot_id": str(table.current_snapshot().snapshot_id)}


def op_expire_all_but_current(table, op):
    """Expires every snapshot but main's current one (what expire_snapshots retain_last=1 leaves)."""
    current = table.current_snapshot().snapshot_id
    others = [s.snapshot_id for s in table.snapshots() if s.snapshot_id != current]
    if others:
        table.maintenance.expire_snapshots().by_ids(others).commit()
        table.refresh()
    return {"expired": [str(i) for i in others], "kept": str(current)}


def op_rollback(table, op):
    table.manage_snapshots().rollback_to_snapshot(int(op["snapshot_id"])).commit()
    table.refresh()
    return {"snapshot_id": str(table.current_snapshot().snapshot_id)}


def main():
    req = json.load(sys.stdin)
    catalog = load_catalog(req["catalog"])
    name = req["table"]
    results = []
    table = None
    for op in req["ops"]:
        kind = op["op"]
        if kind == "create":
            results.append(op_create(catalog, name, op))
            table = None
            continue
        if table is None:
            table = catalog.load_table(name)
        else:
            table.refresh()
        if kind == "files":
            results.append(op_files(table))
        elif kind == "entries":
            results.append(op_entries(table))
        elif kind == "snapshots":
            results.append(op_snapshots(table))
        elif kind == "manifests":
            results.append(op_manifests(table))
        elif kind == "ids":
            results.append(op_ids(table, op))
        elif kind == "append":
            results.append(op_append(table, op))
        elif kind == "delete":
            results.append(op_delete(table, op))
        elif kind == "expire_all_but_current":
            results.append(op_expire_all_but_current(table, op))
        elif kind == "rollback":
            results.append(op_rollback(table, op))
        else:
            raise ValueError(f"unknown op {kind}")
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
