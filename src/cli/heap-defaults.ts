// floe's default V8 heap settings, applied when the CLI starts (bin/floe.ts).
//
// Node's young generation may grow to two 64 MB semi-spaces, and a connector allocates fast
// enough (a record object per Kafka record) that it does: with 1 GB of lag the main heap held
// ~200 MB of which ~90 MB was live. A smaller young generation keeps that headroom out of RSS
// (docs/decisions.md, "Benchmark", memory). V8 reads these flags only when the heap is set up,
// so they cannot be changed from inside a running process: the CLI replaces itself
// (process.execve: same pid, nothing runs twice after it) with the same command plus the
// defaults — only when the user chose no heap size of their own, on the command line
// (`node --max-semi-space-size=64 bin/floe.ts ...`) or in NODE_OPTIONS.
import { isMainThread } from 'node:worker_threads';

/** Added to node's options unless the user set any of USER_HEAP_FLAGS. */
export const DEFAULT_HEAP_FLAGS: readonly string[] = ['--max-semi-space-size=16'];

/** Any of these, given by the user, means "leave the heap as I said": no defaults are added. */
const USER_HEAP_FLAGS = new Set(['--max-semi-space-size', '--min-semi-space-size', '--semi-space-growth-factor', '--max-old-space-size', '--max-heap-size']);

/** `--max_old_space_size=1024` → `--max-old-space-size` (V8 accepts both spellings). */
function flagName(arg: string): string {
  const name = arg.split('=', 1)[0];
  return name.startsWith('--') ? `--${name.slice(2).replaceAll('_', '-')}` : name;
}

/**
 * The flags to add to node's own options (`execArgv`, then NODE_OPTIONS' words): the defaults,
 * or none when the user already set a heap size there.
 */
export function heapFlagsToAdd(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].filter(Boolean);
  return given.some((arg) => USER_HEAP_FLAGS.has(flagName(arg))) ? [] : [...DEFAULT_HEAP_FLAGS];
}

/**
 * Replaces this process with the same command plus the default heap flags, when they are to be
 * added. Returns (doing nothing) when the user set heap flags, in a worker thread, or where
 * process.execve does not exist (Windows) or fails: floe then runs with Node's own heap sizes.
 */
export function applyHeapDefaults(): void {
  const add = heapFlagsToAdd(process.execArgv, process.env.NODE_OPTIONS);
  if (add.length === 0 || !isMainThread || typeof process.execve !== 'function') return;
  try {
    process.execve(process.execPath, [process.execPath, ...add, ...process.execArgv, ...process.argv.slice(1)], process.env);
  } catch (e) {
    process.stderr.write(`floe: could not restart node with ${add.join(' ')} (${(e as Error).message}); running with Node's default heap sizes\n`);
  }
}
