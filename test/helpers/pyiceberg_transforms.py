"""Apply PyIceberg's own partition transforms to values sent by a floe test.

Reads JSON from stdin: {"cases": [{"transform": "bucket[16]", "type": "long", "values": [...]}]}
and writes JSON to stdout: {"results": [[<value>, ...], ...], "human": [[<str>, ...], ...]}.

Input values by source type: int/date/boolean as JSON numbers or booleans; float/double as
JSON numbers or strings ("NaN", "Infinity", "-0", "0.1");
long/time/timestamp*/ as decimal strings; decimal(P,S) as the unscaled value in a decimal
string; string as a string; uuid as its canonical string; binary/fixed as hex; null as null.

Output values are tagged so nothing is lost in JSON: null, {"int": "<digits>"},
{"float": "<repr>"}, {"bool": b}, {"str": s}, {"hex": "<hex>"}, {"dec": "<unscaled digits>"},
{"uuid": "<canonical>"}. "human" holds transform.to_human_string(result_type, result).
"""

import json
import re
import sys
import uuid
from decimal import Decimal

from pyiceberg.transforms import parse_transform
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    FixedType,
    FloatType,
    IntegerType,
    LongType,
    StringType,
    TimestampNanoType,
    TimestampType,
    TimestamptzNanoType,
    TimestamptzType,
    TimeType,
    UUIDType,
)

SIMPLE = {
    "boolean": BooleanType(),
    "int": IntegerType(),
    "long": LongType(),
    "float": FloatType(),
    "double": DoubleType(),
    "date": DateType(),
    "time": TimeType(),
    "timestamp": TimestampType(),
    "timestamptz": TimestamptzType(),
    "timestamp_ns": TimestampNanoType(),
    "timestamptz_ns": TimestamptzNanoType(),
    "string": StringType(),
    "uuid": UUIDType(),
    "binary": BinaryType(),
}
DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
FIXED = re.compile(r"^fixed\[\s*(\d+)\s*\]$")


def parse_type(s):
    if s in SIMPLE:
        return SIMPLE[s]
    m = DECIMAL.match(s)
    if m:
        return DecimalType(int(m.group(1)), int(m.group(2)))
    m = FIXED.match(s)
    if m:
        return FixedType(int(m.group(1)))
    raise ValueError(f"unknown type {s}")


def unscaled_to_decimal(u, scale):
    digits = tuple(int(d) for d in str(abs(u)))
    return Decimal((1 if u < 0 else 0, digits, -scale))


def decode(t, v):
    if v is None:
        return None
    if isinstance(t, (LongType, TimeType, TimestampType, TimestamptzType, TimestampNanoType, TimestamptzNanoType)):
        return int(v)
    if isinstance(t, (FloatType, DoubleType)):
        return float(v)
    if isinstance(t, DecimalType):
        return unscaled_to_decimal(int(v), t.scale)
    if isinstance(t, UUIDType):
        return uuid.UUID(v)
    if isinstance(t, (BinaryType, FixedType)):
        return bytes.fromhex(v)
    return v


def encode(v, scale=None):
    if v is None:
        return None
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": repr(v)}
    if isinstance(v, str):
        return {"str": v}
    if isinstance(v, (bytes, bytearray)):
        return {"hex": bytes(v).hex()}
    if isinstance(v, uuid.UUID):
        return {"uuid": str(v)}
    if isinstance(v, Decimal):
        sign, digits, exponent = v.as_tuple()
        u = int("".join(map(str, digits)) or "0")
        if sign:
            u = -u
        if scale is not None and -exponent != scale:
            u = u * 10 ** (scale + exponent)
        return {"dec": str(u)}
    raise TypeError(f"cannot encode {type(v)}: {v!r}")


def main():
    request = json.load(sys.stdin)
    results = []
    human = []
    for case in request["cases"]:
        source_type = parse_type(case["type"])
        transform = parse_transform(case["transform"])
        fn = transform.transform(source_type)
        result_type = transform.result_type(source_type)
        scale = source_type.scale if isinstance(source_type, DecimalType) else None
        out = []
        hs = []
        for raw in case["values"]:
            r = fn(decode(source_type, raw))
            out.append(encode(r, scale))
            hs.append(transform.to_human_string(result_type, r))
        results.append(out)
        human.append(hs)
    json.dump({"results": results, "human": human}, sys.stdout)


if __name__ == "__main__":
    main()
