"""Read a Parquet file and write the same rows again with pyarrow (zstd), for size comparison.

usage: pyarrow_rewrite.py <in.parquet> <out.parquet>
Prints one JSON line: pyarrow version, bytes with pyarrow's default zstd level and with level 3.
"""
import json
import os
import sys

import pyarrow
import pyarrow.parquet as pq

src, dst = sys.argv[1], sys.argv[2]
table = pq.read_table(src)
pq.write_table(table, dst, compression="zstd")
default_bytes = os.path.getsize(dst)
pq.write_table(table, dst, compression="zstd", compression_level=3)
level3_bytes = os.path.getsize(dst)
print(json.dumps({"pyarrow": pyarrow.__version__, "zstd_level": "default", "zstd_bytes": default_bytes, "zstd3_bytes": level3_bytes}))
