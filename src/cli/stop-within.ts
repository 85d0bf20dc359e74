// A graceful stop bounded in time, as every long-running command (`floe run`, `floe serve`,
// `floe maintain -c`) does it on SIGTERM: how the stop ended, or 'timeout' past the bound.

/** 'stopped', the error the stop failed with, or 'timeout' when it took longer than `ms`. */
export async function stopWithin(stop: Promise<unknown>, ms: number): Promise<'stopped' | 'timeout' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      stop.then(
        () => 'stopped' as const,
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
