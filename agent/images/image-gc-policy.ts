// Pure: the kubelet's image garbage collection (pkg/kubelet/images/image_gc_manager.go):
// image records (first detected, last used), the usage of the image filesystem against the
// high/low thresholds, and which images to remove, least recently used first, never one in
// use by any container nor the pinned sandbox image. The adapter (image-gc.ts) lists, measures
// and removes; everything that decides is here.

export interface GcPolicy {
  readonly highThresholdPercent: number;
  readonly lowThresholdPercent: number;
  readonly minimumAgeMs: number;
}

export interface ImageRecord {
  readonly firstDetected: number;
  readonly lastUsed: number;
  readonly sizeBytes: number;
  readonly pinned: boolean;
}

export interface ListedImage {
  readonly id: string;
  readonly sizeBytes: number;
  readonly repoTags: readonly string[];
  /** `<repo>@sha256:...` names (status.images lists them first, as the kubelet does). */
  readonly repoDigests?: readonly string[];
}

/** HighThresholdPercent 100 (with no ImageMaximumGCAge, which nodelet does not have) disables GC. */
export function gcDisabled(policy: GcPolicy): boolean {
  return policy.highThresholdPercent >= 100;
}

/**
 * detectImages: a record per listed image; a new one is first detected at `detectTime` (the
 * kubelet passes the zero time on its first pass, so images present at start are not young);
 * an image in use gets lastUsed = now; records of images gone are dropped.
 */
export function detectImages(
  records: ReadonlyMap<string, ImageRecord>,
  images: readonly ListedImage[],
  inUse: ReadonlySet<string>,
  opts: { readonly detectTime: number; readonly now: number; readonly sandboxImage: string },
): Map<string, ImageRecord> {
  const out = new Map<string, ImageRecord>();
  for (const image of images) {
    const prev = records.get(image.id);
    out.set(image.id, {
      firstDetected: prev?.firstDetected ?? opts.detectTime,
      lastUsed: inUse.has(image.id) ? opts.now : (prev?.lastUsed ?? 0),
      sizeBytes: image.sizeBytes,
      // cri-dockerd pins the image whose tags hold the sandbox image.
      pinned: image.repoTags.includes(opts.sandboxImage),
    });
  }
  return out;
}

export type GcUsage = { readonly ok: true; readonly usagePercent: number; readonly bytesToFree: number } | { readonly ok: false; readonly error: string };

/** usagePercent = 100 - int(available*100/capacity); free down to the low threshold. */
export function imageFsUsage(stats: { capacity: number; available: number }, policy: GcPolicy): GcUsage {
  const capacity = Math.floor(stats.capacity);
  if (capacity <= 0) return { ok: false, error: 'invalid capacity 0 on image filesystem' };
  const available = Math.min(Math.floor(stats.available), capacity);
  const usagePercent = 100 - Math.trunc((available * 100) / capacity);
  const bytesToFree = Math.trunc((capacity * (100 - policy.lowThresholdPercent)) / 100) - available;
  return { ok: true, usagePercent, bytesToFree };
}

export interface EvictionCandidate {
  readonly id: string;
  readonly sizeBytes: number;
  readonly lastUsed: number;
  readonly firstDetected: number;
}

/**
 * imagesInEvictionOrder + the skips of freeSpace: images neither in use nor pinned, least
 * recently used first (ties: first detected first), without those used at `now` or younger
 * than the minimum age. The adapter removes them in this order until enough is freed.
 */
export function evictionOrder(records: ReadonlyMap<string, ImageRecord>, inUse: ReadonlySet<string>, opts: { readonly now: number; readonly policy: GcPolicy }): EvictionCandidate[] {
  const candidates: EvictionCandidate[] = [];
  for (const [id, r] of records) {
    if (inUse.has(id) || r.pinned) continue;
    candidates.push({ id, sizeBytes: r.sizeBytes, lastUsed: r.lastUsed, firstDetected: r.firstDetected });
  }
  candidates.sort((a, b) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
  return candidates.filter((c) => c.lastUsed < opts.now && opts.now - c.firstDetected >= opts.policy.minimumAgeMs);
}

/** The kubelet's FreeDiskSpaceFailed text. */
export function freeSpaceFailedMessage(wanted: number, freed: number): string {
  return `Failed to garbage collect required amount of images. Attempted to free ${wanted} bytes, but only found ${freed} bytes eligible to free.`;
}

/** freeSpace's text when removals failed. */
export function deletionErrorsMessage(wanted: number, freed: number, errors: readonly string[]): string {
  const list = [...new Set(errors)];
  return `wanted to free ${wanted} bytes, but freed ${freed} bytes space with errors in image deletion: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`;
}
