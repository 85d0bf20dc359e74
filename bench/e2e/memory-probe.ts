// Preloaded into the floe child with `--import` (e2e.bench.ts --memory-probe): appends each
// thread's process.memoryUsage() to $FLOE_BENCH_MEM_FILE once a second (one JSON line each;
// worker threads inherit --import, so the encoder worker reports too), so the benchmark can tell
// V8 heaps from Buffers (external) within the process's RSS.
import fs from 'node:fs';
import { isMainThread, threadId } from 'node:worker_threads';

const file = process.env.FLOE_BENCH_MEM_FILE;
if (file) {
  const mb = (n: number) => Math.round(n / 2 ** 20);
  const t0 = Date.now();
  setInterval(() => {
    const m = process.memoryUsage();
    const line = {
      thread: isMainThread ? 'main' : `worker-${threadId}`,
      s: Math.round((Date.now() - t0) / 100) / 10,
      rss: mb(m.rss),
      heapTotal: mb(m.heapTotal),
      heapUsed: mb(m.heapUsed),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
    };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 1000).unref();
}
