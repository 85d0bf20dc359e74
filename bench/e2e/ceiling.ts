// The consume ceiling: bench/kafka-consume.bench.ts's child mode (src/kafka/source.ts reading the
// topic from the earliest offset, touching every value, doing nothing else), pinned to one core.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../..');

export interface CeilingResult {
  records: number;
  bytes: number;
  /** consumer start (connect, join) to the last record */
  totalMs: number;
  /** first record to the last */
  steadyMs: number;
  /** records / steadyMs */
  recordsPerSec: number;
  mbPerSec: number;
  error?: string;
}

export function consumeCeiling(topic: string, records: number, cpu: number | undefined, brokers: string[]): CeilingResult {
  const node = [process.execPath, path.join(repo, 'bench/kafka-consume.bench.ts'), '--child', 'floe', '--topic', topic, '--records', String(records)];
  const argv = cpu === undefined ? node : ['taskset', '-c', String(cpu), ...node];
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, FLOE_TEST_KAFKA_BROKERS: brokers.join(',') },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 660_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as CeilingResult;
  } catch {
    const error = (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ');
    return { records: 0, bytes: 0, totalMs: 0, steadyMs: 0, recordsPerSec: 0, mbPerSec: 0, error };
  }
}
