"""Makes an Iceberg table with PyIceberg itself, for test/stack/readers.test.ts.

Input (stdin JSON): {"catalog": {...as read_table.py...}, "s3"?: {...}, "table": "ns.name",
                     "partitioned": bool}
Writes two appends (two snapshots, two data files or more when partitioned) of the rows below and
prints {"metadata_location": ...}. The values are chosen to exercise the canonical forms that
read_table.py documents: 64-bit extremes, float32 rounding, NaN and infinities, negative
decimals, microsecond times, UTC timestamps, non-ASCII strings, bytes, nested types and nulls.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "helpers"))

import pyarrow as pa  # noqa: E402
from pyiceberg.partitioning import PartitionField, PartitionSpec  # noqa: E402
from pyiceberg.schema import Schema  # noqa: E402
from pyiceberg.transforms import DayTransform, IdentityTransform  # noqa: E402
from pyiceberg import types as T  # noqa: E402
from pyiceberg.io.pyarrow import schema_to_pyarrow  # noqa: E402

from read_table import open_catalog  # noqa: E402

SCHEMA = Schema(
    T.NestedField(1, "id", T.LongType(), required=True),
    T.NestedField(2, "flag", T.BooleanType()),
    T.NestedField(3, "i32", T.IntegerType()),
    T.NestedField(4, "f32", T.FloatType()),
    T.NestedField(5, "f64", T.DoubleType()),
    T.NestedField(6, "dec", T.DecimalType(10, 2)),
    T.NestedField(7, "day", T.DateType()),
    T.NestedField(8, "tod", T.TimeType()),
    T.NestedField(9, "ts", T.TimestampType()),
    T.NestedField(10, "tstz", T.TimestamptzType()),
    T.NestedField(11, "name", T.StringType()),
    T.NestedField(12, "uid", T.UUIDType()),
    T.NestedField(13, "fix", T.FixedType(4)),
    T.NestedField(14, "bin", T.BinaryType()),
    T.NestedField(
        15,
        "point",
        T.StructType(T.NestedField(16, "x", T.IntegerType()), T.NestedField(17, "label", T.StringType())),
    ),
    T.NestedField(18, "longs", T.ListType(19, T.LongType(), element_required=False)),
    T.NestedField(20, "attrs", T.MapType(21, T.StringType(), 22, T.IntegerType(), value_required=False)),
)

UTC = dt.timezone.utc

BATCH_1 = [
    {
        "id": -9223372036854775808,
        "flag": True,
        "i32": -2147483648,
        "f32": 0.1,
        "f64": 0.1,
        "dec": decimal.Decimal("-12345678.90"),
        "day": dt.date(1970, 1, 1),
        "tod": dt.time(0, 0, 0, 1),
        "ts": dt.datetime(2024, 2, 29, 23, 59, 59, 999999),
        "tstz": dt.datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
        "name": "ü€𝄞",
        "uid": uuid.UUID("0123e456-e89b-12d3-a456-426614174000"),
        "fix": b"\x00\x01\xfe\xff",
        "bin": b"",
        "point": {"x": 1, "label": "a"},
        "longs": [9007199254740993, None, -1],
        "attrs": [("k1", 1), ("k2", None)],
    },
    {
        "id": 9223372036854775807,
        "flag": False,
        "i32": 2147483647,
        "f32": float("nan"),
        "f64": float("-inf"),
        "dec": decimal.Decimal("0.05"),
        "day": dt.date(2024, 12, 31),
        "tod": dt.time(23, 59, 59, 999999),
        "ts": dt.datetime(1969, 12, 31, 23, 59, 59),
        "tstz": dt.datetime(2024, 12, 31, 23, 0, 0, tzinfo=UTC),
        "name": "",
        "uid": uuid.UUID("ffffffff-ffff-ffff-ffff-ffffffffffff"),
        "fix": b"abcd",
        "bin": b"\xde\xad\xbe\xef",
        "point": None,
        "longs": [],
        "attrs": [],
    },
]
BATCH_2 = [
    {
        "id": 0,
        "flag": None,
        "i32": None,
        "f32": -0.0,
        "f64": 1e16,
        "dec": None,
        "day": None,
        "tod": None,
        "ts": None,
        "tstz": None,
        "name": None,
        "uid": None,
        "fix": None,
        "bin": None,
        "point": {"x": None, "label": None},
        "longs": None,
        "attrs": None,
    },
]


def main() -> int:
    opts = json.load(sys.stdin)
    catalog = open_catalog(opts)
    ns, _, _name = opts["table"].rpartition(".")
    catalog.create_namespace_if_not_exists(ns)
    spec = PartitionSpec()
    if opts.get("partitioned"):
        spec = PartitionSpec(
            PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="flag"),
            PartitionField(source_id=10, field_id=1001, transform=DayTransform(), name="tstz_day"),
        )
    table = catalog.create_table(opts["table"], schema=SCHEMA, partition_spec=spec)
    # the catalog assigns fresh field ids; write with the table's own schema
    arrow_schema = schema_to_pyarrow(table.schema())
    for batch in (BATCH_1, BATCH_2):
        table.append(pa.Table.from_pylist(batch, schema=arrow_schema))
    table = catalog.load_table(opts["table"])
    json.dump({"metadata_location": table.metadata_location}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
