#!/usr/bin/env bash
# `npm start`: the real job on embedded defaults. Makes sure node_modules (Node 24) is there,
# starts a local Kafka broker from scripts/stack (fetched from Maven Central on the first run,
# then cached), and runs `floe quickstart`: demo events → Kafka → floe → ./warehouse, then shows
# what landed. Arguments go to `floe quickstart` (npm start -- --count 1000 --topic t ...).
#
# A broker already started by scripts/stack/start.sh (its pid file) is used and left running.
# A broker this script starts is stopped at the end (by its pid file, scripts/stack/stop.sh
# kafka) unless FLOE_KEEP_KAFKA=1. FLOE_STACK_KAFKA_PORT / FLOE_STACK_KAFKA_CONTROLLER_PORT move
# the broker's ports (default 9092 / 9093); floe then uses the moved port.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-node.sh
# shellcheck source=stack/lib.sh
source scripts/stack/lib.sh

started_kafka=0
stop_kafka() {
  local rc=$?
  if [[ $started_kafka == 1 ]]; then
    if [[ ${FLOE_KEEP_KAFKA:-0} == 1 ]]; then
      echo "floe: leaving the Kafka broker on $(stack_url kafka) running (FLOE_KEEP_KAFKA=1); scripts/stack/stop.sh kafka stops it" >&2
    else
      scripts/stack/stop.sh kafka >&2 || true
    fi
  fi
  exit "$rc"
}

if pid=$(stack_live_pid kafka); then
  if ! stack_port_open "$KAFKA_PORT"; then
    echo "floe: the Kafka broker scripts/stack started (pid $pid, $FLOE_STACK_DIR) does not listen on port $KAFKA_PORT;" >&2
    echo "floe: run with the FLOE_STACK_KAFKA_PORT it was started with, or stop it first: scripts/stack/stop.sh kafka" >&2
    exit 1
  fi
  echo "floe: using the Kafka broker scripts/stack started on $(stack_url kafka)" >&2
else
  for port_var in KAFKA_PORT:FLOE_STACK_KAFKA_PORT KAFKA_CONTROLLER_PORT:FLOE_STACK_KAFKA_CONTROLLER_PORT; do
    name=${port_var%%:*}
    port=${!name}
    if stack_port_open "$port"; then
      echo "floe: port $port on $STACK_HOST is in use by a process scripts/stack did not start, so no Kafka broker can be started there." >&2
      suggest=19092
      for suggest in 19092 29092 39092 49092; do
        ! stack_port_open "$suggest" && ! stack_port_open "$((suggest + 1))" && break
      done
      echo "floe: move the broker to free ports, e.g. FLOE_STACK_KAFKA_PORT=$suggest FLOE_STACK_KAFKA_CONTROLLER_PORT=$((suggest + 1)) npm start" >&2
      echo "floe: (or stop what holds port $port; ${port_var#*:} sets this port)" >&2
      exit 1
    fi
  done
  scripts/stack/setup.sh kafka >&2
  trap stop_kafka EXIT
  trap 'exit 130' INT TERM
  started_kafka=1
  scripts/stack/start.sh kafka >&2
fi

node_modules/.bin/node bin/floe.ts quickstart --brokers "$(stack_url kafka)" "$@"
