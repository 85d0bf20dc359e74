#!/usr/bin/env bash
# Stop what scripts/stack/start.sh started (by the pid files in $FLOE_STACK_DIR/run).
#   scripts/stack/stop.sh [s3|rest|kafka|registry|trino ...]   (default: all that are running)
# Only pids recorded by start.sh whose command line still matches are signalled.
# Data stays in $FLOE_STACK_DIR; FLOE_STACK_CLEAN=1 also removes it (logs are kept).
# FLOE_STACK_STOP_SIGNAL=KILL stops with SIGKILL at once, as a crash would (default TERM: a
# clean shutdown, SIGKILL only if the process is still there after 30 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$STACK_RUN_DIR"
exec {stack_lock}>"$STACK_RUN_DIR/.lock"
flock "$stack_lock"

STOP_SIGNAL=${FLOE_STACK_STOP_SIGNAL:-TERM}
case "$STOP_SIGNAL" in TERM|KILL) ;; *) echo "stop: FLOE_STACK_STOP_SIGNAL must be TERM or KILL, not '$STOP_SIGNAL'" >&2; exit 2 ;; esac

components=("$@")
if [[ ${#components[@]} -eq 0 ]]; then
  # reverse dependency order: clients of s3 first
  components=(trino registry kafka rest s3)
fi

for c in "${components[@]}"; do
  pidfile="$STACK_RUN_DIR/$c.pid"
  [[ -f $pidfile ]] || continue
  if pid=$(stack_live_pid "$c"); then
    kill -"$STOP_SIGNAL" "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      echo "stack: $c killed (pid $pid did not stop in 30s)"
    else
      echo "stack: $c stopped (SIG$STOP_SIGNAL)"
    fi
  fi
  rm -f "$pidfile"
done

if [[ ${FLOE_STACK_CLEAN:-0} == 1 ]]; then
  rm -rf "$FLOE_STACK_DIR/s3" "$FLOE_STACK_DIR/rest" "$FLOE_STACK_DIR/kafka" "$FLOE_STACK_DIR/registry" "$FLOE_STACK_DIR/trino"
fi
