// How many consumer-group members `floe run` starts in one process (the connector file's
// `workers`): a number, or `auto` = the cores this process may use. Those are the CPUs it may run
// on (os.availableParallelism(): the affinity mask, so `taskset -c 0` means 1) and, in a
// container, its CPU quota (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us),
// rounded down (a member more than the quota only gets throttled), at least 1.
import fs from 'node:fs';
import os from 'node:os';

type ReadText = (file: string) => string | undefined;

const readIfThere: ReadText = (file) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** The CPU quota of this process's cgroup in cores (e.g. 1.5), or undefined when there is none. */
export function cgroupCpuQuota(read: ReadText = readIfThere): number | undefined {
  const v2 = read('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  if (v2 && v2.length === 2) return v2[0] === 'max' ? undefined : quota(Number(v2[0]), Number(v2[1]));
  const q = read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  const p = read('/sys/fs/cgroup/cpu/cpu.cfs_period_us');
  return q !== undefined && p !== undefined ? quota(Number(q), Number(p)) : undefined;
}

function quota(q: number, period: number): number | undefined {
  return Number.isFinite(q) && q > 0 && Number.isFinite(period) && period > 0 ? q / period : undefined;
}

/** The cores this process may use: its CPUs, capped by its cgroup's quota (rounded down), at least 1. */
export function usableCores(cpus = os.availableParallelism(), cpuQuota = cgroupCpuQuota()): number {
  return Math.max(1, Math.min(cpus, cpuQuota === undefined ? cpus : Math.floor(cpuQuota)));
}

/** The connector file's `workers` as a count (absent: 1). */
export function workerCount(setting: number | 'auto' | undefined, cores: () => number = usableCores): number {
  if (setting === undefined) return 1;
  return setting === 'auto' ? cores() : setting;
}

/**
 * Whether each group member encodes Parquet on a worker thread of its own (ParquetEncoderPool)
 * or inline: on a thread only when the process has a core to spare beyond its members. Without
 * one the thread overlaps nothing and costs a V8 heap and the copies in flight: Avro with 1 GB
 * of lag on one core, no faster (~200k records per CPU-second either way) and 450 → 355 MB of
 * peak RSS inline; `workers: 2` on 2 cores, 137k/144k → 149k/165k records per CPU-second and
 * 835 → 695 MB (docs/decisions.md, "The encoder thread").
 */
export function encoderOnThread(workers: number, cores: number = usableCores()): boolean {
  return cores > workers;
}
