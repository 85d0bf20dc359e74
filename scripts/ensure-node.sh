#!/usr/bin/env bash
# Makes sure node_modules (and with it Node 24 from the npm registry) matches package-lock.json.
# Works with any npm on PATH, so a fresh clone on a machine with an older Node still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.floe-lock-stamp
current() {
  [ -x node_modules/.bin/node ] || return 1
  [ -f "$stamp" ] && cmp -s package-lock.json "$stamp" && return 0
  # npm ci / npm install ran since the lock file last changed (the check scripts/test.sh makes):
  # do not install a second time (a test running `npm start` must not swap node_modules)
  [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] &&
    cp package-lock.json "$stamp"
}
if ! current; then
  echo "floe: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi
