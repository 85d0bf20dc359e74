// Shared pieces of bench/maintain.bench.ts and its child processes (bench/maintain/child.ts):
// the embedded SQLite catalog in the run's temp dir, the tables, CPU and memory readings.
import fs from 'node:fs';
import path from 'node:path';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import type { TableIdentifier } from '../../src/catalog/catalog.ts';

export const NAMESPACE = 'bench';
/** The table of many small files (compaction, scans). */
export const SMALL = 'small_files';
/** The table a connector-like writer commits to while maintenance runs (commit p99). */
export const COMMITS = 'commits';
/** The table of the long commit series (latency growth). */
export const GROWTH = 'growth';

export const tableId = (name: string): TableIdentifier => ({ namespace: [NAMESPACE], name });

export function openCatalog(dir: string): SqlCatalog {
  return new SqlCatalog({ uri: path.join(dir, 'catalog.db'), warehouse: `file://${path.join(dir, 'warehouse')}` });
}

/** CPU seconds of this process (all threads) since `since`. */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

/** VmHWM and VmRSS of this process in MB (Linux), else the resource usage's max RSS. */
export function memoryMB(): { hwm: number; rss: number } {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwm: round(kb('VmHWM') / 1024, 1), rss: round(kb('VmRSS') / 1024, 1) };
  } catch {
    const mb = round(process.resourceUsage().maxRSS / 1024, 1);
    return { hwm: mb, rss: round(process.memoryUsage().rss / 2 ** 20, 1) };
  }
}

/** Resets VmHWM to the current RSS (Linux: /proc/self/clear_refs 5); false where that is not possible. */
export function resetPeakRss(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export const round = (v: number, digits = 0) => Math.round(v * 10 ** digits) / 10 ** digits;

/** The q-quantile (0..1) of the values, nearest rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
