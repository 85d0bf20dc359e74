"""Times a full DuckDB scan of an Iceberg table, for bench/maintain.bench.ts.

    <venv python> bench/duckdb_scan.py <metadata file> <column> [runs]

Loads DuckDB's avro and iceberg extensions by path from their duckdb-extension-* wheels (as
test/helpers/read_table.py does: no download), then runs
    SELECT count(*), sum(<column>) FROM iceberg_scan('<metadata file>')
`runs` times (default 3), each timed inside Python with time.perf_counter (interpreter start,
imports and extension loading excluded), and its CPU time (time.process_time: every thread of
the process, so DuckDB's too; steadier than wall clock on a shared machine). Prints one JSON line:
    {"runs_s": [...], "median_s", "cpu_runs_s": [...], "cpu_median_s", "count", "sum", "duckdb"}
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import sys
import time


def extension_path(name: str) -> str:
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


def main() -> None:
    import duckdb

    location = sys.argv[1]
    column = sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    if location.startswith("file://"):
        location = location[len("file://") :]
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False, "allow_unsigned_extensions": True})
    for ext in ("avro", "iceberg"):
        con.execute(f"LOAD '{extension_path(ext)}'")
    quoted = location.replace("'", "''")
    sql = f'SELECT count(*), sum("{column}") FROM iceberg_scan(\'{quoted}\')'
    times = []
    cpu = []
    result = None
    for _ in range(runs):
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = con.execute(sql).fetchone()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(
        json.dumps(
            {
                "runs_s": [round(t, 4) for t in times],
                "median_s": round(statistics.median(times), 4),
                "cpu_runs_s": [round(t, 4) for t in cpu],
                "cpu_median_s": round(statistics.median(cpu), 4),
                "count": int(result[0]),
                "sum": None if result[1] is None else str(result[1]),
                "duckdb": duckdb.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
