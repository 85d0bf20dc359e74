# shellcheck shell=bash
# Shared settings and helpers for floe's test stack scripts (sourced, never run).
#
# Where things live:
#   cache (downloads and builds, kept between runs): $FLOE_CACHE_DIR, default ~/.cache/floe
#     go/{mod,build}           Go module and build caches
#     versitygw/<v>/versitygw  S3 server binary (minio/<v>/minio when FLOE_S3_SERVER=minio)
#     iceberg-rest/<v>/        lib/*.jar + classes/ (REST catalog launcher)
#     kafka/<v>/lib/*.jar      broker + tools classpath
#     apicurio/<v>/            unpacked registry app
#     venv/<hash of requirements.txt>/
#     spark/venv/<hash of requirements-spark.txt>/   PySpark
#     spark/jars/                                     Iceberg runtime + AWS bundle + sqlite-jdbc for it
#     spark/cds/spark.jsa                             class-data-sharing archive of a training run
#     trino/<v>/               trino-server's lib/ and plugin/iceberg only (+ sqlite-jdbc)
#     helm/<v>/helm            Helm (go install); helm/kubecheck/<hash>/kubecheck (test/helm/kubecheck)
#   Maven's own repository stays in ~/.m2.
#   runtime state (data, pid files, logs): $FLOE_STACK_DIR, default <repo>/.stack (gitignored)

FLOE_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FLOE_CACHE_DIR="${FLOE_CACHE_DIR:-$HOME/.cache/floe}"
FLOE_STACK_DIR="${FLOE_STACK_DIR:-$FLOE_REPO_ROOT/.stack}"
STACK_SCRIPTS="$FLOE_REPO_ROOT/scripts/stack"

# Versions (change here only).
ICEBERG_VERSION=1.10.1
KAFKA_VERSION=4.1.1
# PySpark from PyPI (test/helpers/requirements-spark.txt pins the same; setup.sh checks). The
# Iceberg jars for it are iceberg-spark-runtime-<SPARK_VERSION's x.y>_<SPARK_SCALA_VERSION> and
# iceberg-aws-bundle, both ICEBERG_VERSION.
SPARK_VERSION=3.5.9
SPARK_SCALA_VERSION=2.12
# Apicurio 3.1+ is compiled for Java 21; the machines have Java 17. 3.0.9 is the newest 3.0.x
# on Maven Central and runs on 17.
APICURIO_VERSION=3.0.9
VERSITYGW_VERSION=v1.8.0
# Trino from Maven Central (io.trino:trino-server:<v>:tar.gz); 476 needs Java 24+: the Temurin 25
# JDK (stack_java25_home).
TRINO_VERSION=476
# sqlite-jdbc copied into Trino's Iceberg plugin (floe's embedded SQLite catalog as a JDBC catalog)
TRINO_SQLITE_JDBC_VERSION=3.50.3.0
# MinIO's tags are not semver; this is the Go proxy's pseudo-version of its newest commit.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
# versitygw (default) or minio. MinIO's build took over 30 min on a loaded 2-core machine.
FLOE_S3_SERVER="${FLOE_S3_SERVER:-versitygw}"
# Helm for the chart's tests (helm lint, helm template), built from the Go module proxy.
HELM_VERSION=v3.21.4

# Fixed test credentials and addresses (127.0.0.1 only). The ports can be moved (a second stack
# beside the first) with FLOE_STACK_{S3,REST,KAFKA,KAFKA_CONTROLLER,REGISTRY,TRINO}_PORT.
STACK_HOST=127.0.0.1
S3_PORT=${FLOE_STACK_S3_PORT:-9000}
REST_PORT=${FLOE_STACK_REST_PORT:-8181}
KAFKA_PORT=${FLOE_STACK_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${FLOE_STACK_KAFKA_CONTROLLER_PORT:-9093}
REGISTRY_PORT=${FLOE_STACK_REGISTRY_PORT:-8081}
TRINO_PORT=${FLOE_STACK_TRINO_PORT:-8095}
S3_ACCESS_KEY=floe
S3_SECRET_KEY=floe-secret-key
S3_REGION=us-east-1
S3_BUCKET=warehouse

STACK_LOG_DIR="$FLOE_STACK_DIR/logs"
STACK_RUN_DIR="$FLOE_STACK_DIR/run"

stack_now() { date +%s.%N; }
stack_elapsed() { awk -v a="$1" -v b="$(stack_now)" 'BEGIN { printf "%.1f", b - a }'; }

# 12 hex digits of sha256 over files' contents (cache keys).
stack_hash_files() { cat "$@" | sha256sum | cut -c1-12; }

stack_venv_dir() {
  echo "$FLOE_CACHE_DIR/venv/$(stack_hash_files "$FLOE_REPO_ROOT/test/helpers/requirements.txt")"
}

stack_spark_venv_dir() {
  echo "$FLOE_CACHE_DIR/spark/venv/$(stack_hash_files "$FLOE_REPO_ROOT/test/helpers/requirements-spark.txt")"
}
stack_spark_jars_dir() { echo "$FLOE_CACHE_DIR/spark/jars"; }
stack_spark_cds_file() { echo "$FLOE_CACHE_DIR/spark/cds/spark.jsa"; }

# A Java 17 home for Spark 3.5 (Debian's openjdk-17; else the home of the `java` on PATH).
stack_java17_home() {
  local d
  for d in /usr/lib/jvm/java-17-openjdk-*; do [[ -x $d/bin/java ]] && { echo "$d"; return; }; done
  d=$(command -v java 2>/dev/null) || return 0
  d=$(readlink -f "$d"); echo "${d%/bin/java}"
}

# The Temurin 25 JDK for Trino (a folder temurin-25* in /usr/lib/jvm); empty when there is none.
stack_java25_home() {
  local d
  for d in /usr/lib/jvm/temurin-25*; do [[ -x $d/bin/java ]] && { echo "$d"; return; }; done
  return 0
}

stack_s3_bin() {
  case "$FLOE_S3_SERVER" in
    versitygw) echo "$FLOE_CACHE_DIR/versitygw/$VERSITYGW_VERSION/versitygw" ;;
    minio) echo "$FLOE_CACHE_DIR/minio/$MINIO_VERSION/minio" ;;
    *) echo "unknown FLOE_S3_SERVER=$FLOE_S3_SERVER (versitygw|minio)" >&2; return 1 ;;
  esac
}

stack_rest_dir() { echo "$FLOE_CACHE_DIR/iceberg-rest/$ICEBERG_VERSION"; }
stack_kafka_dir() { echo "$FLOE_CACHE_DIR/kafka/$KAFKA_VERSION"; }
stack_registry_dir() { echo "$FLOE_CACHE_DIR/apicurio/$APICURIO_VERSION"; }
stack_trino_dir() { echo "$FLOE_CACHE_DIR/trino/$TRINO_VERSION"; }
stack_helm_bin() { echo "$FLOE_CACHE_DIR/helm/$HELM_VERSION/helm"; }
# kubecheck, keyed on its sources (test/helm/kubecheck)
stack_kubecheck_bin() {
  local src="$FLOE_REPO_ROOT/test/helm/kubecheck"
  echo "$FLOE_CACHE_DIR/helm/kubecheck/$(stack_hash_files "$src/go.mod" "$src/go.sum" "$src"/*.go)/kubecheck"
}

stack_url() {
  case "$1" in
    s3) echo "http://$STACK_HOST:$S3_PORT" ;;
    rest) echo "http://$STACK_HOST:$REST_PORT" ;;
    kafka) echo "$STACK_HOST:$KAFKA_PORT" ;;
    registry) echo "http://$STACK_HOST:$REGISTRY_PORT/apis/ccompat/v7" ;;
    trino) echo "http://$STACK_HOST:$TRINO_PORT" ;;
  esac
}

stack_port() {
  case "$1" in
    s3) echo "$S3_PORT" ;;
    rest) echo "$REST_PORT" ;;
    kafka) echo "$KAFKA_PORT" ;;
    registry) echo "$REGISTRY_PORT" ;;
    trino) echo "$TRINO_PORT" ;;
  esac
}

# True when something listens on 127.0.0.1:<port>.
stack_port_open() { (exec 3<>"/dev/tcp/$STACK_HOST/$1") 2>/dev/null; }

# pid recorded by start.sh for a component, if that process still runs and is the one we
# started (its command line carries the marker written next to the pid).
stack_live_pid() {
  local name=$1 pidfile="$STACK_RUN_DIR/$1.pid" pid marker
  [[ -f $pidfile ]] || return 1
  read -r pid marker <"$pidfile" || true
  [[ -n ${pid:-} ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -n ${marker:-} ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"; then
    return 1
  fi
  echo "$pid"
}

# S3 request without a body, signed with SigV4 by curl itself (no AWS CLI needed). S3 wants
# x-amz-content-sha256; curl 7.88 signs the value given here (sha256 of the empty payload).
stack_s3_curl() {
  curl -sS --max-time 10 --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "$@"
}

stack_log() { echo "stack: $*"; }
