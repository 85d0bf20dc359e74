#!/usr/bin/env bash
# Fetch/build the test stack's components into the cache (idempotent; cached runs take seconds).
#   scripts/stack/setup.sh [s3|rest|kafka|registry|python|spark|trino|helm ...]   (default: all but spark, trino and helm)
# One line per component on stdout; details go to $FLOE_STACK_DIR/logs/setup-<name>.log.
set -euo pipefail
shopt -s inherit_errexit
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$FLOE_CACHE_DIR" "$STACK_LOG_DIR"

# Install missing system tools with apt-get (only when missing; root on Debian).
apt_updated=0
need_pkg() { # need_pkg <command-test> <debian package>
  if ! eval "$1" >/dev/null 2>&1; then
    if [[ $apt_updated == 0 ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$STACK_LOG_DIR/setup-apt.log" 2>&1
      apt_updated=1
    fi
    stack_log "apt-get install $2" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >>"$STACK_LOG_DIR/setup-apt.log" 2>&1
  fi
}

# ready <dir> <key>: the cache dir was completed for this key.
ready() { [[ -f $1/.complete && "$(cat "$1/.complete")" == "$2" ]]; }

run_logged() { # run_logged <name> <cmd...>: append output to the component's log; on failure show its tail
  local name=$1; shift
  if ! "$@" >>"$STACK_LOG_DIR/setup-$name.log" 2>&1; then
    echo "setup: $name FAILED: $* (tail of $STACK_LOG_DIR/setup-$name.log follows)" >&2
    tail -n 30 "$STACK_LOG_DIR/setup-$name.log" >&2
    return 1
  fi
}

# Maven's local repository: ~/.m2/repository unless FLOE_M2_REPO says otherwise.
M2_REPO="${FLOE_M2_REPO:-$HOME/.m2/repository}"
mvn_q() { mvn -B -q -Dmaven.repo.local="$M2_REPO" "$@"; }

mvn_copy_deps() { # mvn_copy_deps <name> <pom> <outdir>
  run_logged "$1" mvn_q -f "$2" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$3"
}

setup_s3() {
  local bin dir key pkg ver
  bin=$(stack_s3_bin); dir=$(dirname "$bin")
  case "$FLOE_S3_SERVER" in
    versitygw) pkg=github.com/versity/versitygw/cmd/versitygw; ver=$VERSITYGW_VERSION ;;
    minio) pkg=github.com/minio/minio; ver=$MINIO_VERSION ;;
  esac
  key="$pkg@$ver"
  # Go may be installed outside PATH (the machines have it in /usr/local/go)
  command -v go >/dev/null 2>&1 || { [[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"; } || true
  if ready "$dir" "$key" && [[ -x $bin ]]; then echo cached; return; fi
  need_pkg "command -v go" golang-go
  rm -rf "$dir"; mkdir -p "$dir"
  GOBIN="$dir" GOMODCACHE="$FLOE_CACHE_DIR/go/mod" GOCACHE="$FLOE_CACHE_DIR/go/build" \
    GOFLAGS=-buildvcs=false run_logged s3 go install "$key"
  echo "$key" >"$dir/.complete"
  echo built
}

setup_rest() {
  local dir key src="$STACK_SCRIPTS/rest/FloeRestCatalogServer.java" pom="$STACK_SCRIPTS/rest/pom.xml"
  dir=$(stack_rest_dir)
  key=$(stack_hash_files "$pom" "$src")
  if ready "$dir" "$key"; then echo cached; return; fi
  need_pkg "command -v javac" openjdk-17-jdk-headless
  need_pkg "command -v mvn" maven
  rm -rf "$dir"; mkdir -p "$dir/classes"
  mvn_copy_deps rest "$pom" "$dir/lib"
  run_logged rest javac -nowarn -d "$dir/classes" -cp "$dir/lib/*" "$src"
  echo "$key" >"$dir/.complete"
  echo built
}

setup_kafka() {
  local dir key pom="$STACK_SCRIPTS/kafka/pom.xml"
  dir=$(stack_kafka_dir)
  key=$(stack_hash_files "$pom")
  # the CA and certificates of a secured private broker (start.sh, FLOE_STACK_KAFKA_SECURITY)
  need_pkg "command -v openssl" openssl
  if ready "$dir" "$key"; then echo cached; return; fi
  need_pkg "command -v java" openjdk-17-jdk-headless
  need_pkg "command -v mvn" maven
  rm -rf "$dir"; mkdir -p "$dir"
  mvn_copy_deps kafka "$pom" "$dir/lib"
  echo "$key" >"$dir/.complete"
  echo built
}

setup_registry() {
  local dir key="apicurio-registry-app-$APICURIO_VERSION-all" tgz
  dir=$(stack_registry_dir)
  if ready "$dir" "$key"; then echo cached; return; fi
  need_pkg "command -v java" openjdk-17-jdk-headless
  need_pkg "command -v mvn" maven
  rm -rf "$dir"; mkdir -p "$dir"
  run_logged registry mvn_q dependency:get -Dtransitive=false \
    -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all"
  tgz="$M2_REPO/io/apicurio/apicurio-registry-app/$APICURIO_VERSION/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
  run_logged registry tar -xzf "$tgz" -C "$dir"
  echo "$key" >"$dir/.complete"
  echo built
}

setup_python() {
  local dir key req="$FLOE_REPO_ROOT/test/helpers/requirements.txt"
  dir=$(stack_venv_dir)
  key=$(stack_hash_files "$req")
  if ready "$dir" "$key" && [[ -x $dir/bin/python ]]; then echo cached; return; fi
  need_pkg "python3 -c 'import venv, ensurepip'" python3-venv
  rm -rf "$dir"; mkdir -p "$(dirname "$dir")"
  run_logged python python3 -m venv "$dir"
  run_logged python "$dir/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
  echo "$key" >"$dir/.complete"
  echo built
}

# PySpark (its own venv: a 317 MB sdist carrying Spark's jars) and the Iceberg jars it loads
# from a local folder (spark_sql.py puts them on the driver's class path; nothing is resolved at
# run time). Java 17 runs it.
setup_spark() {
  local venv jars vkey jkey how=cached req="$FLOE_REPO_ROOT/test/helpers/requirements-spark.txt" pom="$STACK_SCRIPTS/spark/pom.xml"
  venv=$(stack_spark_venv_dir); jars=$(stack_spark_jars_dir)
  if ! grep -qx "pyspark==$SPARK_VERSION" "$req"; then
    echo "setup: spark: $req must pin pyspark==$SPARK_VERSION (SPARK_VERSION in lib.sh)" >&2
    return 1
  fi
  need_pkg "command -v java" openjdk-17-jdk-headless
  vkey=$(stack_hash_files "$req")
  if ! { ready "$venv" "$vkey" && [[ -x $venv/bin/python ]]; }; then
    need_pkg "python3 -c 'import venv, ensurepip'" python3-venv
    rm -rf "$venv"; mkdir -p "$(dirname "$venv")"
    run_logged spark python3 -m venv "$venv"
    run_logged spark "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
    echo "$vkey" >"$venv/.complete"
    how=built
  fi
  jkey="$(stack_hash_files "$pom") iceberg-$ICEBERG_VERSION spark-${SPARK_VERSION%.*}_$SPARK_SCALA_VERSION"
  if ! ready "$jars" "$jkey"; then
    need_pkg "command -v mvn" maven
    rm -rf "$jars"; mkdir -p "$jars"
    run_logged spark mvn_q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$jars" \
      -Diceberg.version="$ICEBERG_VERSION" -Dspark.binary.version="${SPARK_VERSION%.*}" -Dscala.binary.version="$SPARK_SCALA_VERSION"
    echo "$jkey" >"$jars/.complete"
    how=built
  fi
  # Class-data-sharing archive: a training session (cds_train.py) dumps the ~20k classes Spark,
  # Iceberg, the JDBC and REST catalogs and S3FileIO load; spark_sql.py maps it and starts in
  # about half the time. Valid for this JDK, class path and JVM options only, so keyed on them.
  local cds ckey java_home scratch
  cds=$(stack_spark_cds_file); java_home=$(stack_java17_home)
  ckey="$(stack_hash_files "$FLOE_REPO_ROOT/test/helpers/spark_sql.py" "$FLOE_REPO_ROOT/test/helpers/spark-log4j2.properties" \
    "$STACK_SCRIPTS/spark/cds_train.py") $vkey $jkey $("$java_home/bin/java" -version 2>&1 | head -n 1 | tr -d '"')"
  if ! { ready "$(dirname "$cds")" "$ckey" && [[ -f $cds ]]; }; then
    rm -rf "$(dirname "$cds")"; mkdir -p "$(dirname "$cds")"
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/floe-spark-cds.XXXXXX")
    FLOE_TEST_SPARK_JARS="$jars" FLOE_TEST_SPARK_JAVA_HOME="$java_home" \
      run_logged spark "$venv/bin/python" "$STACK_SCRIPTS/spark/cds_train.py" "$cds" "$scratch"
    rm -rf "$scratch"
    echo "$ckey" >"$(dirname "$cds")/.complete"
    how=built
  fi
  echo "$how"
}

# Trino: the server's lib/ and only the Iceberg plugin out of the tarball on Maven Central
# (~820 MB, kept in ~/.m2; ~465 MB unpacked here). Runs on the Temurin 25 JDK.
setup_trino() {
  local dir key="trino-server-$TRINO_VERSION lib+iceberg sqlite-jdbc-$TRINO_SQLITE_JDBC_VERSION" tgz top="trino-server-$TRINO_VERSION"
  dir=$(stack_trino_dir)
  if [[ -z $(stack_java25_home) ]]; then
    echo "setup: trino: no Temurin 25 JDK in /usr/lib/jvm/temurin-25* (Trino $TRINO_VERSION needs Java 24+)" >&2
    return 1
  fi
  if ready "$dir" "$key"; then echo cached; return; fi
  need_pkg "command -v mvn" maven
  rm -rf "$dir"; mkdir -p "$dir"
  run_logged trino mvn_q dependency:get -Dtransitive=false -Dartifact="io.trino:trino-server:$TRINO_VERSION:tar.gz"
  tgz="$M2_REPO/io/trino/trino-server/$TRINO_VERSION/trino-server-$TRINO_VERSION.tar.gz"
  # plugin/iceberg's AWS jars are hard links to copies under other plugins: extract those too,
  # then drop every plugin but iceberg
  # (links into lib/ are extracted with it: tar reports a name inside a named folder as not found)
  run_logged trino bash -c 'set -o pipefail; tar -tvzf "$1" "$2/plugin/iceberg" | sed -n "s/.* link to //p" |
    { grep -v -e "^$2/lib/" -e "^$2/plugin/iceberg/" || true; } | sort -u >"$3"' _ "$tgz" "$top" "$dir/.links"
  run_logged trino tar -xzf "$tgz" -C "$dir" --strip-components=1 "$top/lib" "$top/plugin/iceberg" -T "$dir/.links"
  find "$dir/plugin" -mindepth 1 -maxdepth 1 ! -name iceberg -exec rm -rf {} +
  rm -f "$dir/.links"
  run_logged trino mvn_q dependency:copy -Dartifact="org.xerial:sqlite-jdbc:$TRINO_SQLITE_JDBC_VERSION" \
    -DoutputDirectory="$dir/plugin/iceberg"
  echo "$key" >"$dir/.complete"
  echo built
}

# Helm (helm lint and helm template over helm/floe) and kubecheck (test/helm/kubecheck: the
# rendered manifests decoded into the Kubernetes API types), both built with Go from the module
# proxy into the shared Go caches; helm keyed on its version, kubecheck on its sources.
setup_helm() {
  local helm kc key how=cached src="$FLOE_REPO_ROOT/test/helm/kubecheck"
  helm=$(stack_helm_bin); kc=$(stack_kubecheck_bin)
  key="helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  command -v go >/dev/null 2>&1 || { [[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"; } || true
  if ! { ready "$(dirname "$helm")" "$key" && [[ -x $helm ]]; }; then
    need_pkg "command -v go" golang-go
    rm -rf "$(dirname "$helm")"; mkdir -p "$(dirname "$helm")"
    GOBIN="$(dirname "$helm")" GOMODCACHE="$FLOE_CACHE_DIR/go/mod" GOCACHE="$FLOE_CACHE_DIR/go/build" \
      GOFLAGS=-buildvcs=false run_logged helm go install "$key"
    echo "$key" >"$(dirname "$helm")/.complete"
    how=built
  fi
  if [[ ! -x $kc ]]; then
    need_pkg "command -v go" golang-go
    mkdir -p "$(dirname "$kc")"
    (cd "$src" && GOMODCACHE="$FLOE_CACHE_DIR/go/mod" GOCACHE="$FLOE_CACHE_DIR/go/build" \
      GOFLAGS="-buildvcs=false -mod=readonly" run_logged helm go build -o "$kc.tmp" .)
    mv "$kc.tmp" "$kc"
    how=built
  fi
  echo "$how"
}

need_pkg "command -v curl" curl

components=("$@")
[[ ${#components[@]} -gt 0 ]] || components=(s3 rest kafka registry python)
for c in "${components[@]}"; do
  case "$c" in s3|rest|kafka|registry|python|spark|trino|helm) ;; *) echo "setup: unknown component '$c' (s3 rest kafka registry python spark trino helm)" >&2; exit 2 ;; esac
  t0=$(stack_now)
  # one setup per component at a time on this machine (other checkouts share the cache)
  exec {lock}>"$FLOE_CACHE_DIR/.setup-$c.lock"
  flock "$lock"
  how=$("setup_$c")
  flock -u "$lock"; exec {lock}>&-
  echo "setup: $c $how in $(stack_elapsed "$t0")s"
done
