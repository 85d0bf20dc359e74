#!/usr/bin/env bash
# Makes sure node_modules (and with it Node 24 from the npm registry) matches package-lock.json.
# Works with any npm on PATH, so a fresh clone on a machine with an older Node still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.floe-lock-stamp
if [ ! -x node_modules/.bin/node ] || [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "floe: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi
