// The kubelet's image pullers (pkg/kubelet/images/puller.go): with serializeImagePulls one
// pull runs at a time; otherwise up to maxParallelImagePulls (unlimited when unset). A pure
// counting semaphore, FIFO so pulls start in the order they were asked for.

export interface PullLimiter {
  /** Runs `fn` when a slot is free; resolves or rejects with it. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** serializeImagePulls / maxParallelImagePulls resolved to a number of slots (Infinity: no limit). */
export function pullSlots(opts: { serializeImagePulls: boolean; maxParallelImagePulls?: number }): number {
  if (opts.serializeImagePulls) return 1;
  return opts.maxParallelImagePulls !== undefined && opts.maxParallelImagePulls > 0 ? opts.maxParallelImagePulls : Number.POSITIVE_INFINITY;
}

export function createPullLimiter(slots: number): PullLimiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    running--;
    const next = waiting.shift();
    if (next) {
      running++;
      next();
    }
  };
  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (running < slots) running++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await fn();
      } finally {
        release();
      }
    },
  };
}
