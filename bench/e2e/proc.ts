// Linux /proc readings of a process: CPU time (all threads, and per thread by name) and memory.
import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node supports

/** utime + stime in seconds from a /proc/<pid>[/task/<tid>]/stat line (fields after `comm`). */
function statCpuSeconds(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
}

/** stime alone in seconds (the kernel's share: file writes, fsyncs, sockets). */
function statSystemSeconds(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / TICKS_PER_SECOND;
}

/** CPU seconds the whole process has spent in the kernel so far; undefined once it is gone. */
export function systemCpuSeconds(pid: number): number | undefined {
  try {
    return statSystemSeconds(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) the whole process has used so far; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    return statCpuSeconds(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** CPU seconds per thread name (threads with the same name summed), e.g. node, libuv-worker. */
export function cpuByThread(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out[name] = Math.round(((out[name] ?? 0) + statCpuSeconds(stat)) * 100) / 100;
    } catch {
      // thread ended
    }
  }
  return out;
}

export interface MemoryReading {
  /** resident set size now, MB */
  rssMB: number;
  /** peak resident set size (VmHWM), MB */
  peakRssMB: number;
}

export function memory(pid: number): MemoryReading | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: Math.round(kb('VmRSS') / 1024), peakRssMB: Math.round(kb('VmHWM') / 1024) };
}
