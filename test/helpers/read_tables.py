"""Read several Iceberg tables with PyIceberg in one process: read_table.py's PyIceberg reader
for each, so a test of a hundred tables does not start a hundred Pythons.

Request on stdin: as read_table.py's, with "tables": ["ns.a", "ns.b", ...] instead of "table".
Answer on stdout: {"ns.a": <read_table.py's PyIceberg answer>, ...}
"""

import json
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from read_table import read_pyiceberg  # noqa: E402


def main() -> int:
    opts = json.load(sys.stdin)
    out = {}
    for table in opts["tables"]:
        out[table] = read_pyiceberg({**opts, "table": table})
    json.dump(out, sys.stdout, ensure_ascii=False, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
