#!/usr/bin/env bash
# Environment for tests against the stack.
#   source scripts/stack/env.sh    -> exports the variables
#   scripts/stack/env.sh           -> prints them as `export NAME=value` lines
_floe_env_lib="$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib.sh
source "$_floe_env_lib"
export FLOE_TEST_S3_ENDPOINT="http://$STACK_HOST:$S3_PORT"
export FLOE_TEST_S3_ACCESS_KEY="$S3_ACCESS_KEY"
export FLOE_TEST_S3_SECRET_KEY="$S3_SECRET_KEY"
export FLOE_TEST_S3_REGION="$S3_REGION"
export FLOE_TEST_S3_BUCKET="$S3_BUCKET"
export FLOE_TEST_REST_URI="http://$STACK_HOST:$REST_PORT"
export FLOE_TEST_KAFKA_BROKERS="$STACK_HOST:$KAFKA_PORT"
export FLOE_TEST_REGISTRY_URL="http://$STACK_HOST:$REGISTRY_PORT/apis/ccompat/v7"
FLOE_TEST_PYTHON="$(stack_venv_dir)/bin/python"
export FLOE_TEST_PYTHON
FLOE_TEST_KAFKA_LIB="$(stack_kafka_dir)/lib"
export FLOE_TEST_KAFKA_LIB
# Spark (setup.sh spark): PySpark's Python, the Iceberg jars, the CDS archive, a Java 17 home
FLOE_TEST_SPARK_PYTHON="$(stack_spark_venv_dir)/bin/python"
FLOE_TEST_SPARK_JARS="$(stack_spark_jars_dir)"
FLOE_TEST_SPARK_CDS="$(stack_spark_cds_file)"
FLOE_TEST_SPARK_JAVA_HOME="$(stack_java17_home)"
export FLOE_TEST_SPARK_PYTHON FLOE_TEST_SPARK_JARS FLOE_TEST_SPARK_CDS FLOE_TEST_SPARK_JAVA_HOME
# Trino (setup.sh trino, start.sh trino): HTTP protocol, catalog `floe` = the REST catalog
export FLOE_TEST_TRINO_URL="http://$STACK_HOST:$TRINO_PORT"
unset _floe_env_lib
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  for _v in FLOE_TEST_S3_ENDPOINT FLOE_TEST_S3_ACCESS_KEY FLOE_TEST_S3_SECRET_KEY FLOE_TEST_S3_REGION \
    FLOE_TEST_S3_BUCKET FLOE_TEST_REST_URI FLOE_TEST_KAFKA_BROKERS FLOE_TEST_REGISTRY_URL FLOE_TEST_PYTHON FLOE_TEST_KAFKA_LIB \
    FLOE_TEST_SPARK_PYTHON FLOE_TEST_SPARK_JARS FLOE_TEST_SPARK_CDS FLOE_TEST_SPARK_JAVA_HOME FLOE_TEST_TRINO_URL; do
    printf 'export %s=%q\n' "$_v" "${!_v}"
  done
fi
