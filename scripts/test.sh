#!/usr/bin/env bash
# floe's whole test run (`npm test`, and CI through .ci/run):
#   dependencies -> stack setup -> stack start -> typecheck, lint, format -> node --test -> stack stop.
# Works on a fresh clone with only system Node + npm (and the machine's Java, Maven, Go, Python).
# Prints one line per stage with elapsed seconds; component logs go to $FLOE_STACK_DIR/logs.
#   FLOE_TEST_GLOB   test files to run (default 'test/**/*.test.ts')
#   FLOE_STACK_KEEP=1  leave the stack running afterwards
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
T0=$(date +%s.%N)
stage() { awk -v a="$T0" -v b="$(date +%s.%N)" -v m="$*" 'BEGIN { printf "test.sh [%6.1fs] %s\n", b - a, m }'; }

# ---- 1. node_modules (npm ci when missing or older than the lock file) ----------------------
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json ]] ||
  { [[ -f package-lock.json ]] && [[ package-lock.json -nt node_modules/.package-lock.json ]]; }; then
  stage "npm dependencies: installing"
  mkdir -p .stack/logs
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund >.stack/logs/npm.log 2>&1 || { tail -n 30 .stack/logs/npm.log; exit 1; }
  else
    npm install --no-audit --no-fund >.stack/logs/npm.log 2>&1 || { tail -n 30 .stack/logs/npm.log; exit 1; }
  fi
fi
stage "npm dependencies: ok ($(node_modules/.bin/node --version))"

# ---- 2. which servers the tests need --------------------------------------------------------
# s3 + rest always; kafka + registry once there are Kafka tests (test/kafka) or a test names them.
components=(s3 rest)
mentions() { grep -rlq --include='*.ts' -e "$1" test 2>/dev/null; }
if [[ -d test/kafka ]] && [[ -n $(find test/kafka -name '*.test.ts' -print -quit) ]]; then
  components+=(kafka registry)
else
  if mentions 'FLOE_TEST_KAFKA_BROKERS\|kafkaBrokers'; then components+=(kafka); fi
  if mentions 'FLOE_TEST_REGISTRY_URL\|registryUrl'; then components+=(registry); fi
fi
# Trino is a server (set up and started) once a test uses test/helpers/trino.ts.
if grep -rlq --include='*.test.ts' -e 'helpers/trino\.ts' test 2>/dev/null; then components+=(trino); fi
# Spark is no server, only set up (PySpark venv, Iceberg jars, CDS archive): once a test uses
# test/helpers/spark.ts.
setup_only=()
if grep -rlq --include='*.test.ts' -e 'helpers/spark\.ts' test 2>/dev/null; then setup_only+=(spark); fi
# Helm and kubecheck (built with Go): once a test uses test/helm/helm-tools.ts.
if grep -rlq --include='*.test.ts' -e 'helm-tools\.ts' test 2>/dev/null; then setup_only+=(helm); fi

# ---- 3. stack: setup (cached), start, stop on exit -----------------------------------------
stop_stack() {
  local rc=$?
  if [[ ${FLOE_STACK_KEEP:-0} != 1 ]]; then
    "$ROOT/scripts/stack/stop.sh" >/dev/null 2>&1 || true
    stage "stack stopped"
  fi
  exit "$rc"
}
trap stop_stack EXIT
trap 'exit 130' INT TERM

stage "stack setup: ${components[*]} python ${setup_only[*]}"
scripts/stack/setup.sh "${components[@]}" python "${setup_only[@]}" | sed 's/^/  /'
stage "stack start: ${components[*]}"
scripts/stack/start.sh "${components[@]}" | sed 's/^/  /'
# shellcheck source=stack/env.sh
source scripts/stack/env.sh

# ---- 4. typecheck, lint, format -------------------------------------------------------------
stage "typecheck"
node_modules/.bin/tsc -p . --noEmit
stage "typecheck: ok"
stage "lint (eslint) and format (prettier --check)"
node_modules/.bin/eslint --max-warnings 0 .
node_modules/.bin/prettier --check --log-level warn .
stage "lint and format: ok"

# ---- 5. tests -------------------------------------------------------------------------------
stage "tests: ${FLOE_TEST_GLOB:-test/**/*.test.ts}"
set +e
node_modules/.bin/node --test --test-concurrency=1 "${FLOE_TEST_GLOB:-test/**/*.test.ts}"
rc=$?
set -e
stage "tests: exit $rc"
exit "$rc"
