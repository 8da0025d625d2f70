// Pure: usageNanoCores from two cumulative samples, as the kubelet's CRI stats provider caches
// the previous sample per container (getAndUpdateContainerUsageNanoCores). Sampling happens only
// when someone asks (no background loop), so the rate is over the time since the last request.

interface Previous {
  readonly time: number;
  readonly usageNs: number;
  /** The rate computed when this sample was taken, kept for requests that come too soon after. */
  readonly rate?: number;
}

/** Samples closer than this reuse the previous rate: a 0 ms window gives no rate at all. */
export const MIN_RATE_WINDOW_MS = 1000;

export class CpuRateCache {
  readonly #prev = new Map<string, Previous>();

  /**
   * The rate in ns of CPU per s of wall time (= nanocores) between the cached sample of `key`
   * and this one; undefined on the first sample, and when the counter went backwards (a new
   * cgroup under an old key).
   */
  rate(key: string, time: number, usageNs: number): number | undefined {
    const prev = this.#prev.get(key);
    if (prev && time - prev.time < MIN_RATE_WINDOW_MS && usageNs >= prev.usageNs) return prev.rate;
    const rate = prev && time > prev.time && usageNs >= prev.usageNs ? Math.round(((usageNs - prev.usageNs) * 1000) / (time - prev.time)) : undefined;
    this.#prev.set(key, { time, usageNs, ...(rate !== undefined ? { rate } : {}) });
    return rate;
  }

  /** Forgets keys not in `live` (containers and pods that are gone), so the cache stays bounded. */
  retain(live: ReadonlySet<string>): void {
    for (const key of this.#prev.keys()) if (!live.has(key)) this.#prev.delete(key);
  }
}
