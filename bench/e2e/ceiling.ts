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
  /** user + system CPU seconds of the consumer process (its start included), from bash's `times` */
  cpuSeconds?: number;
  recordsPerCpuSecond?: number;
  error?: string;
}

export function consumeCeiling(topic: string, records: number, cpu: number | undefined, brokers: string[]): CeilingResult {
  const node = [process.execPath, path.join(repo, 'bench/kafka-consume.bench.ts'), '--child', 'floe', '--topic', topic, '--records', String(records)];
  const argv = cpu === undefined ? node : ['taskset', '-c', String(cpu), ...node];
  // bash's `times` prints its children's user and system CPU time after the consumer exits
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${quoted}; rc=$?; times >&2; exit $rc`], {
    encoding: 'utf8',
    env: { ...process.env, FLOE_TEST_KAFKA_BROKERS: brokers.join(',') },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 660_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const times = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/m.exec((r.stderr ?? '').trim().split('\n').pop() ?? '');
  try {
    const out = JSON.parse(line) as CeilingResult;
    if (times) {
      out.cpuSeconds = Math.round((Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4])) * 100) / 100;
      out.recordsPerCpuSecond = Math.round(records / out.cpuSeconds);
    }
    return out;
  } catch {
    const error = (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ');
    return { records: 0, bytes: 0, totalMs: 0, steadyMs: 0, recordsPerSec: 0, mbPerSec: 0, error };
  }
}
