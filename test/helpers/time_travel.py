"""Read an Iceberg table as of given snapshots with PyIceberg (time travel by snapshot id).

floe's snapshot-expiry conformance test runs this as `python time_travel.py` with a JSON
request on stdin:

  {"catalog": <as table_probe.py takes it>, "table": "ns.name", "column": "id",
   "snapshot_ids": ["<id>", ...]}

and gets {"results": [{"snapshot_id": "<id>", "values": ["<value>", ...]}
                      | {"snapshot_id": "<id>", "error": "<message>"}]} on stdout:
the column's values of a scan of each snapshot, as sorted decimal strings, or why it failed
(a snapshot that no longer exists, a file that is gone).
"""

import json
import sys

from table_probe import load_catalog


def main():
    req = json.load(sys.stdin)
    table = load_catalog(req["catalog"]).load_table(req["table"])
    column = req["column"]
    results = []
    for sid in req["snapshot_ids"]:
        try:
            scan = table.scan(snapshot_id=int(sid), selected_fields=(column,))
            values = sorted(str(v) for v in scan.to_arrow().column(column).to_pylist())
            results.append({"snapshot_id": str(sid), "values": values})
        except Exception as err:  # noqa: BLE001 - reported to the test, which decides
            results.append({"snapshot_id": str(sid), "error": f"{type(err).__name__}: {err}"})
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
