#!/usr/bin/env bash
# Start test-stack components on 127.0.0.1 and wait until each is healthy.
#   scripts/stack/start.sh <s3|rest|kafka|registry|trino ...>
# Prints `stack: <name> up on <url>` per component, or exits non-zero after
# `stack: <name> FAILED to start: <reason>` and the tail of its log.
# Components must have been fetched by scripts/stack/setup.sh. State: $FLOE_STACK_DIR.
# FLOE_STACK_TIMEOUT (seconds; default 300, 600 for registry) bounds the wait for each component.
# Data dirs are kept between runs: starting kafka again after stop.sh (same FLOE_STACK_DIR and
# ports) restarts the broker on the same log dirs and cluster id, with every topic and offset.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT="${FLOE_STACK_TIMEOUT:-300}"
mkdir -p "$STACK_LOG_DIR" "$STACK_RUN_DIR"

fail() { # fail <name> <reason>
  local name=$1 reason=$2 log="$STACK_LOG_DIR/$1.log" pid
  echo "stack: $name FAILED to start: $reason" >&2
  if [[ -f $log ]]; then
    echo "---- last lines of $log" >&2
    tail -n 40 "$log" >&2
    echo "----" >&2
  fi
  # stop what this invocation launched (the failed one included); leave components that were
  # already running before it
  local c
  for c in "${launched[@]}"; do
    if pid=$(stack_live_pid "$c"); then kill "$pid" 2>/dev/null || true; fi
    rm -f "$STACK_RUN_DIR/$c.pid"
  done
  exit 1
}

# launch <name> <marker> <cmd...>: start in the background, log to logs/<name>.log, record pid.
# The marker is a string of the command line that stop.sh checks before killing the pid.
launch() {
  local name=$1 marker=$2; shift 2
  local log="$STACK_LOG_DIR/$name.log"
  # where this run's lines begin: the log is appended to across restarts, and a health check
  # must not take an earlier run's "started" line for this one's
  stat -c %s "$log" 2>/dev/null >"$STACK_RUN_DIR/$name.logstart" || echo 0 >"$STACK_RUN_DIR/$name.logstart"
  echo "=== $(date -u +%FT%TZ) start: $*" >>"$log"
  # the server must not inherit start.sh's lock (it would hold it for its whole life), and runs
  # in a session of its own: a caller's process group being killed (a test runner's timeout, a
  # terminal job) must not take down a server that later callers share. stop.sh stops it by pid.
  # (setsid execs in place here: a background child of a script is no group leader, so $! stays
  # the server's pid.)
  setsid nohup "$@" >>"$log" 2>&1 </dev/null {stack_lock}>&- &
  local pid=$! i
  echo "$pid $marker" >"$STACK_RUN_DIR/$name.pid"
  # $! is a fork of this shell until it execs the server: until then its command line lacks the
  # marker and stack_live_pid would call a starting server dead. Wait (bounded) for the exec.
  for i in $(seq 1 100); do
    stack_live_pid "$name" >/dev/null || ! kill -0 "$pid" 2>/dev/null && break
    sleep 0.05
  done
}

require_setup() { # require_setup <name> <dir>
  [[ -f $2/.complete ]] || fail "$1" "not installed in $2 (run scripts/stack/setup.sh $1)"
}

port_free_or_fail() {
  local name=$1 port=$2
  if stack_port_open "$port"; then
    fail "$name" "port $port on $STACK_HOST is already in use by a process this stack did not start"
  fi
}

# ---- launchers -------------------------------------------------------------------------

launch_s3() {
  local bin data="$FLOE_STACK_DIR/s3/data"
  bin=$(stack_s3_bin)
  [[ -x $bin ]] || fail s3 "$bin missing (run scripts/stack/setup.sh s3)"
  port_free_or_fail s3 "$S3_PORT"
  mkdir -p "$data"
  case "$FLOE_S3_SERVER" in
    versitygw)
      launch s3 "$bin" "$bin" --access "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" \
        --region "$S3_REGION" --port "$STACK_HOST:$S3_PORT" --quiet posix "$data" ;;
    minio)
      MINIO_ROOT_USER="$S3_ACCESS_KEY" MINIO_ROOT_PASSWORD="$S3_SECRET_KEY" MINIO_REGION="$S3_REGION" \
        MINIO_BROWSER=off launch s3 "$bin" "$bin" server --quiet --address "$STACK_HOST:$S3_PORT" \
        --console-address "$STACK_HOST:$((S3_PORT + 1))" "$data" ;;
  esac
}

launch_rest() {
  local dir db="$FLOE_STACK_DIR/rest/catalog.db"
  dir=$(stack_rest_dir)
  require_setup rest "$dir"
  port_free_or_fail rest "$REST_PORT"
  mkdir -p "$FLOE_STACK_DIR/rest"
  CATALOG_URI="jdbc:sqlite:$db" \
    CATALOG_WAREHOUSE="s3://$S3_BUCKET/" \
    CATALOG_IO__IMPL=org.apache.iceberg.aws.s3.S3FileIO \
    CATALOG_S3_ENDPOINT="http://$STACK_HOST:$S3_PORT" \
    CATALOG_S3_PATH__STYLE__ACCESS=true \
    CATALOG_S3_ACCESS__KEY__ID="$S3_ACCESS_KEY" \
    CATALOG_S3_SECRET__ACCESS__KEY="$S3_SECRET_KEY" \
    CATALOG_CLIENT_REGION="$S3_REGION" \
    CATALOG_REST_PORT="$REST_PORT" \
    AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
    AWS_REGION="$S3_REGION" AWS_DEFAULT_REGION="$S3_REGION" \
    FLOE_REST_HOST="$STACK_HOST" \
    launch rest FloeRestCatalogServer java -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -cp "$dir/classes:$dir/lib/*" org.apache.iceberg.rest.FloeRestCatalogServer
}

# FLOE_STACK_KAFKA_SECURITY=1 (a private broker for the security tests; the shared one stays
# PLAINTEXT only) adds three listeners beside PLAINTEXT, on the ports in
# FLOE_STACK_KAFKA_{SASL_SSL,SSL,OAUTH}_PORT:
#   SASL_SSL  PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for FLOE_STACK_KAFKA_SASL_USER (default floe)
#             with FLOE_STACK_KAFKA_SASL_PASSWORD (default floe-secret; SCRAM users are made when
#             the data dir is formatted)
#   SSL       client certificates required (mTLS)
#   OAUTH     SASL_PLAINTEXT with OAUTHBEARER, Kafka's default validator of unsecured JWTs
# A CA, a broker certificate (127.0.0.1, localhost) and a client certificate are made with
# openssl in $FLOE_STACK_DIR/kafka/tls (ca.pem, client.pem, client-key.pem) when missing.
kafka_security_enabled() { [[ ${FLOE_STACK_KAFKA_SECURITY:-} == 1 ]]; }

kafka_security_tls() { # kafka_security_tls <dir>: the CA and the certificates, once
  local tls=$1 name
  [[ -f $tls/.complete ]] && return 0
  command -v openssl >/dev/null || fail kafka "openssl is needed for FLOE_STACK_KAFKA_SECURITY=1 (apt-get install openssl)"
  mkdir -p "$tls"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=floe test CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout "$tls/ca-key.pem" -out "$tls/ca.pem"
    for name in broker client; do
      openssl req -newkey rsa:2048 -nodes -subj "/CN=floe-$name" -keyout "$tls/$name-key.pem" -out "$tls/$name.csr"
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >"$tls/$name.ext"
      openssl x509 -req -days 30 -in "$tls/$name.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" \
        -CAcreateserial -extfile "$tls/$name.ext" -out "$tls/$name.pem"
    done
  } >>"$STACK_LOG_DIR/kafka.log" 2>&1 || fail kafka "making the test CA and certificates with openssl failed"
  cat "$tls/broker-key.pem" "$tls/broker.pem" >"$tls/broker-keystore.pem"
  touch "$tls/.complete"
}

kafka_security_props() { # kafka_security_props <tls dir>: the extra lines of server.properties
  local tls=$1 user=${FLOE_STACK_KAFKA_SASL_USER:-floe} password=${FLOE_STACK_KAFKA_SASL_PASSWORD:-floe-secret}
  cat <<EOF
ssl.keystore.type=PEM
ssl.keystore.location=$tls/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
listener.name.ssl.ssl.client.auth=required
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$user="$password";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER
listener.name.oauth.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";
EOF
}

launch_kafka() {
  local dir state="$FLOE_STACK_DIR/kafka" props cluster_id listeners protocols p
  local scram=()
  dir=$(stack_kafka_dir)
  require_setup kafka "$dir"
  port_free_or_fail kafka "$KAFKA_PORT"
  port_free_or_fail kafka "$KAFKA_CONTROLLER_PORT"
  mkdir -p "$state/data"
  props="$state/server.properties"
  listeners="PLAINTEXT://$STACK_HOST:$KAFKA_PORT,CONTROLLER://$STACK_HOST:$KAFKA_CONTROLLER_PORT"
  protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if kafka_security_enabled; then
    for p in FLOE_STACK_KAFKA_SASL_SSL_PORT FLOE_STACK_KAFKA_SSL_PORT FLOE_STACK_KAFKA_OAUTH_PORT; do
      [[ -n ${!p:-} ]] || fail kafka "FLOE_STACK_KAFKA_SECURITY=1 needs $p"
      port_free_or_fail kafka "${!p}"
    done
    kafka_security_tls "$state/tls"
    listeners+=",SASL_SSL://$STACK_HOST:$FLOE_STACK_KAFKA_SASL_SSL_PORT,SSL://$STACK_HOST:$FLOE_STACK_KAFKA_SSL_PORT,OAUTH://$STACK_HOST:$FLOE_STACK_KAFKA_OAUTH_PORT"
    protocols+=",SASL_SSL:SASL_SSL,SSL:SSL,OAUTH:SASL_PLAINTEXT"
    for p in SCRAM-SHA-256 SCRAM-SHA-512; do
      scram+=(--add-scram "$p=[name=${FLOE_STACK_KAFKA_SASL_USER:-floe},password=${FLOE_STACK_KAFKA_SASL_PASSWORD:-floe-secret}]")
    done
  fi
  cat >"$props" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$STACK_HOST:$KAFKA_CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$state/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
# tests produce records with fixed old timestamps: time retention would delete them mid-test
log.retention.ms=-1
EOF
  if kafka_security_enabled; then kafka_security_props "$state/tls" >>"$props"; fi
  cp "$STACK_SCRIPTS/kafka/log4j2.properties" "$state/log4j2.properties"
  if [[ ! -f $state/data/meta.properties ]]; then
    # Cluster id: 16 random bytes, base64url without padding (what `random-uuid` prints).
    # One starting with "-" would be taken for an option by StorageTool's parser: draw again.
    cluster_id=-
    while [[ $cluster_id == -* ]]; do
      cluster_id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    done
    if ! java -Xmx256m -Dlog4j2.configurationFile="$state/log4j2.properties" -cp "$dir/lib/*" \
      kafka.tools.StorageTool format --standalone --ignore-formatted -t "$cluster_id" -c "$props" "${scram[@]}" \
      >>"$STACK_LOG_DIR/kafka.log" 2>&1; then
      fail kafka "StorageTool format failed"
    fi
  fi
  launch kafka "kafka.Kafka" java -Xms256m -Xmx768m -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$state/log4j2.properties" -cp "$dir/lib/*" kafka.Kafka "$props"
}

launch_registry() {
  local dir jar
  dir=$(stack_registry_dir)
  require_setup registry "$dir"
  port_free_or_fail registry "$REGISTRY_PORT"
  jar=$( (ls "$dir"/apicurio-registry-app-*-runner.jar "$dir"/quarkus-run.jar 2>/dev/null || true) | head -n1)
  [[ -n $jar ]] || fail registry "no runner jar in $dir"
  # In-memory storage (the default: H2 in memory); HTTP on 127.0.0.1 only.
  (cd "$dir" && launch registry "apicurio-registry-app" java -Xmx512m -XX:+UseSerialGC \
    -Dquarkus.http.host="$STACK_HOST" -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.http.access-log.enabled=false -Dquarkus.log.console.color=false \
    -Dapicurio.storage.snapshot.location="$FLOE_STACK_DIR/registry" \
    -jar "$jar")
}

# Trino (coordinator and worker in one JVM, Iceberg plugin only) on the Temurin 25 JDK. Catalog
# `floe`: the stack's REST catalog with native S3 on the stack's S3 server. etc/ is written here.
launch_trino() {
  local dir java_home state="$FLOE_STACK_DIR/trino"
  dir=$(stack_trino_dir)
  require_setup trino "$dir"
  java_home=$(stack_java25_home)
  [[ -n $java_home ]] || fail trino "no Temurin 25 JDK in /usr/lib/jvm/temurin-25* (Trino $TRINO_VERSION needs Java 24+)"
  port_free_or_fail trino "$TRINO_PORT"
  # catalogs that tests created (CREATE CATALOG) are files here: a new start forgets them
  rm -rf "$state/etc/catalog"
  mkdir -p "$state/etc/catalog"
  cat >"$state/etc/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
node.environment=floe_test
node.id=floe-test-trino
node.bind-ip=$STACK_HOST
node.internal-address=$STACK_HOST
http-server.http.port=$TRINO_PORT
discovery.uri=http://$STACK_HOST:$TRINO_PORT
plugin.dir=$dir/plugin
catalog.management=dynamic
catalog.store=file
query.max-memory=1GB
query.max-memory-per-node=1GB
EOF
  # the file catalog store reads etc/catalog-store.properties below the working directory
  echo "catalog.config-dir=$state/etc/catalog" >"$state/etc/catalog-store.properties"
  cat >"$state/etc/catalog/floe.properties" <<EOF
connector.name=iceberg
iceberg.catalog.type=rest
iceberg.rest-catalog.uri=http://$STACK_HOST:$REST_PORT
fs.native-s3.enabled=true
s3.endpoint=http://$STACK_HOST:$S3_PORT
s3.region=$S3_REGION
s3.path-style-access=true
s3.aws-access-key=$S3_ACCESS_KEY
s3.aws-secret-key=$S3_SECRET_KEY
EOF
  # (working directory $state: Trino keeps var/ there)
  (cd "$state" && launch trino "io.trino.server.TrinoServer" "$java_home/bin/java" -Xmx2G -XX:+UseG1GC \
    -XX:+ExitOnOutOfMemoryError -XX:+EnableDynamicAgentLoading -Djdk.attach.allowAttachSelf=true \
    --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    -Dconfig="$state/etc/config.properties" -cp "$dir/lib/*" io.trino.server.TrinoServer)
}

# ---- health checks: return 0 when healthy -------------------------------------------------

healthy_s3() { # signed ListBuckets; a server that answers but refuses is a failure, not a wait
  local code
  stack_port_open "$S3_PORT" || return 1
  code=$(stack_s3_curl -o "$STACK_RUN_DIR/s3-health.out" -w '%{http_code}' "http://$STACK_HOST:$S3_PORT/" 2>/dev/null) || return 1
  case "$code" in
    200) return 0 ;;
    000|503) return 1 ;;
    *) fail s3 "ListBuckets answered HTTP $code: $(head -c 300 "$STACK_RUN_DIR/s3-health.out")" ;;
  esac
}

healthy_rest() { curl -sf --max-time 5 -o /dev/null "http://$STACK_HOST:$REST_PORT/v1/config"; }

# lines of <name>.log written since its last launch
stack_log_since_launch() {
  local from=0
  [[ -f $STACK_RUN_DIR/$1.logstart ]] && read -r from <"$STACK_RUN_DIR/$1.logstart"
  tail -c +"$((${from:-0} + 1))" "$STACK_LOG_DIR/$1.log"
}

healthy_kafka() {
  # no grep -q: under pipefail its early exit kills tail with SIGPIPE (141) once the log is big,
  # and a healthy broker was taken for a dead one and restarted
  stack_port_open "$KAFKA_PORT" && stack_log_since_launch kafka | grep 'Kafka Server started' >/dev/null
}

healthy_registry() {
  curl -sf --max-time 5 -o /dev/null "http://$STACK_HOST:$REGISTRY_PORT/apis/ccompat/v7/subjects"
}

healthy_trino() { curl -sf --max-time 5 "http://$STACK_HOST:$TRINO_PORT/v1/info" | grep '"starting":false' >/dev/null; }

# ---- after healthy: one real operation ------------------------------------------------------

ready_s3() { # create the bucket (idempotent) and check that it is there
  local code
  code=$(stack_s3_curl -o "$STACK_RUN_DIR/s3-create.out" -w '%{http_code}' -X PUT \
    "http://$STACK_HOST:$S3_PORT/$S3_BUCKET") || fail s3 "bucket create request failed"
  case "$code" in 200|409) ;; *) fail s3 "creating bucket $S3_BUCKET answered HTTP $code: $(cat "$STACK_RUN_DIR/s3-create.out")" ;; esac
  code=$(stack_s3_curl -o /dev/null -w '%{http_code}' -I "http://$STACK_HOST:$S3_PORT/$S3_BUCKET")
  [[ $code == 200 ]] || fail s3 "bucket $S3_BUCKET not found after create (HTTP $code)"
}

ready_rest() {
  curl -sf --max-time 5 "http://$STACK_HOST:$REST_PORT/v1/config" | grep -q '"defaults"' ||
    fail rest "/v1/config did not return a catalog config"
}

ready_kafka() { # list topics through the admin client classes on the broker's classpath
  local dir
  dir=$(stack_kafka_dir)
  if ! timeout 120 java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$FLOE_STACK_DIR/kafka/log4j2.properties" -cp "$dir/lib/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$STACK_HOST:$KAFKA_PORT" --list \
    >>"$STACK_LOG_DIR/kafka.log" 2>&1; then
    fail kafka "topic listing through the admin API failed"
  fi
}

ready_registry() {
  curl -sf --max-time 5 "http://$STACK_HOST:$REGISTRY_PORT/apis/ccompat/v7/subjects" | grep -q '^\[' ||
    fail registry "/apis/ccompat/v7/subjects did not return a JSON array"
}

ready_trino() { # SELECT 1 through the HTTP protocol: POST the statement, follow nextUri to the end
  local url="http://$STACK_HOST:$TRINO_PORT/v1/statement" out="$STACK_RUN_DIR/trino-ready.out" data=""
  curl -sf --max-time 10 -X POST -H 'X-Trino-User: floe' --data 'SELECT 1 AS one' -o "$out" "$url" ||
    fail trino "POST /v1/statement failed"
  for _ in $(seq 1 240); do
    grep -q '"data":\[\[1\]\]' "$out" && data=1
    grep -q '"error":' "$out" && fail trino "SELECT 1 failed: $(head -c 500 "$out")"
    url=$(sed -n 's/.*"nextUri":"\([^"]*\)".*/\1/p' "$out")
    [[ -n $url ]] || break
    curl -sf --max-time 10 -H 'X-Trino-User: floe' -o "$out" "$url" || fail trino "GET $url failed"
    sleep 0.25
  done
  [[ -n $data ]] || fail trino "SELECT 1 returned no row 1: $(head -c 500 "$out")"
}

# ---- main -----------------------------------------------------------------------------------

[[ $# -gt 0 ]] || { echo "usage: $0 <s3|rest|kafka|registry|trino ...>" >&2; exit 2; }
for c in "$@"; do
  case "$c" in s3|rest|kafka|registry|trino) ;; *) echo "start: unknown component '$c' (s3 rest kafka registry trino)" >&2; exit 2 ;; esac
done

# One start.sh/stop.sh at a time per stack dir (two callers must not launch the same server twice).
exec {stack_lock}>"$STACK_RUN_DIR/.lock"
flock "$stack_lock"

# Launch everything first (JVM starts overlap), then wait for each in order.
declare -A started_at already
launched=()
for c in "$@"; do
  if stack_live_pid "$c" >/dev/null; then
    # ours and alive: healthy now, or still starting / slow under load. Never kill it (other
    # callers may be using it); the wait below fails by name if it does not become healthy.
    if "healthy_$c"; then already[$c]=1; else started_at[$c]=$(stack_now); fi
    continue
  fi
  rm -f "$STACK_RUN_DIR/$c.pid"
  started_at[$c]=$(stack_now)
  launched+=("$c")
  "launch_$c"
done

for c in "$@"; do
  if [[ -n ${already[$c]:-} ]]; then
    echo "stack: $c up on $(stack_url "$c") (already running)"
    continue
  fi
  t0=${started_at[$c]}
  limit=$TIMEOUT
  [[ $c == registry && -z ${FLOE_STACK_TIMEOUT:-} ]] && limit=600 # Quarkus start is slow on a busy machine
  deadline=$(( $(date +%s) + limit ))
  until "healthy_$c"; do
    stack_live_pid "$c" >/dev/null || fail "$c" "process exited"
    (( $(date +%s) < deadline )) || fail "$c" "not healthy after ${limit}s"
    sleep 0.5
  done
  "ready_$c"
  echo "stack: $c up on $(stack_url "$c") in $(stack_elapsed "$t0")s"
done
