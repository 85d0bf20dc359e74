// The maintenance worker runs below ingestion's CPU priority where the two share cores (one VM
// or node running both, a laptop): a compaction can wait a few milliseconds, a connector's commit
// should not. Unix nice, applied to every thread of the process (on Linux a nice value belongs to
// a thread: the main thread's, the libuv pool's, V8's helpers'); threads started later inherit it
// from the thread that starts them. Raising one's own nice value needs no privilege.
import fs from 'node:fs';
import os from 'node:os';

/** Threads of this process, by id (only the calling thread where /proc is missing). */
function threadIds(): number[] {
  try {
    return fs
      .readdirSync('/proc/self/task')
      .map(Number)
      .filter((n) => Number.isInteger(n));
  } catch {
    return [0];
  }
}

/**
 * Sets every thread of the process to `nice` where it is lower (never raises a priority).
 * Returns how many threads were set; a thread that refuses (gone meanwhile, a platform
 * without nice values) is skipped.
 */
export function lowerPriority(nice: number): number {
  let set = 0;
  for (const tid of threadIds()) {
    try {
      if (os.getPriority(tid) >= nice) continue;
      os.setPriority(tid, nice);
      set++;
    } catch {
      // a thread that ended, or no nice values here: nothing to lower
    }
  }
  return set;
}
