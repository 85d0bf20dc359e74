// The test stack's addresses and credentials, as exported by scripts/stack/env.sh (scripts/test.sh
// exports them for every test). Tests that need a server call stackEnv(); it throws, naming the
// variable, when the stack's environment is missing, so such a test fails instead of skipping.
import { randomBytes } from 'node:crypto';

export interface StackEnv {
  /** S3-compatible server, e.g. http://127.0.0.1:9000 (path-style addressing). */
  s3Endpoint: string;
  s3AccessKey: string;
  s3SecretKey: string;
  s3Region: string;
  /** Bucket created at start; the REST catalog's warehouse is s3://<bucket>/. */
  s3Bucket: string;
  /** Iceberg REST catalog base URI, e.g. http://127.0.0.1:8181. */
  restUri: string;
  /** Kafka bootstrap servers, e.g. 127.0.0.1:9092. */
  kafkaBrokers: string;
  /** Confluent-compatible Schema Registry API, e.g. http://127.0.0.1:8081/apis/ccompat/v7. */
  registryUrl: string;
  /** Python of the test venv (pyiceberg, duckdb, pyarrow). */
  python: string;
}

const VARS: Record<keyof StackEnv, string> = {
  s3Endpoint: 'FLOE_TEST_S3_ENDPOINT',
  s3AccessKey: 'FLOE_TEST_S3_ACCESS_KEY',
  s3SecretKey: 'FLOE_TEST_S3_SECRET_KEY',
  s3Region: 'FLOE_TEST_S3_REGION',
  s3Bucket: 'FLOE_TEST_S3_BUCKET',
  restUri: 'FLOE_TEST_REST_URI',
  kafkaBrokers: 'FLOE_TEST_KAFKA_BROKERS',
  registryUrl: 'FLOE_TEST_REGISTRY_URL',
  python: 'FLOE_TEST_PYTHON',
};

/** Reads the stack's environment. Throws if any variable is missing. */
export function stackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  const out: Partial<StackEnv> = {};
  for (const key of Object.keys(VARS) as (keyof StackEnv)[]) {
    const name = VARS[key];
    const value = env[name];
    if (value === undefined || value === '') {
      throw new Error(
        `${name} is not set: the test stack is not running. Run the tests with \`npm test\` ` +
          '(scripts/test.sh starts the stack), or start it yourself: scripts/stack/setup.sh && ' +
          'scripts/stack/start.sh s3 rest kafka registry && source scripts/stack/env.sh',
      );
    }
    out[key] = value;
  }
  return out as StackEnv;
}

/** S3 settings for readers and FileIO, taken from the stack. */
export function stackS3(env: StackEnv = stackEnv()): {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
} {
  return { endpoint: env.s3Endpoint, accessKey: env.s3AccessKey, secretKey: env.s3SecretKey, region: env.s3Region };
}

let counter = 0;

/**
 * A name unique to this process and call, safe as an Iceberg namespace or table name, a Kafka
 * topic or a registry subject: `<prefix>_<base36 time>_<random hex>_<counter>`, lower case,
 * characters [a-z0-9_] only (other characters in the prefix become `_`).
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  counter += 1;
  return `${clean}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}_${counter}`;
}
