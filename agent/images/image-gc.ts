// The image garbage collector: every period, lists images and the images containers use,
// measures the image filesystem (the Docker data-root's) and removes unused images, least
// recently used first, down to the low threshold, as the kubelet's realImageGCManager does.
// Decisions are image-gc-policy.ts's; this is the loop, the I/O through a port, and the
// kubelet's events (FreeDiskSpaceFailed, InvalidDiskCapacity, ImageGCFailed on a second
// failure in a row).
import { errorMessage } from '../core/errors.js';
import type { EventStore } from '../events/event-store.js';
import { deletionErrorsMessage, detectImages, evictionOrder, freeSpaceFailedMessage, gcDisabled, imageFsUsage, type GcPolicy, type ImageRecord, type ListedImage } from './image-gc-policy.js';

/** What the GC needs of the engine (DockerRuntime implements it; a test may narrow it). */
export interface ImageStore {
  listImages(): Promise<ListedImage[]>;
  /** Image IDs of every container on the engine, running or not, nodelet's or not. */
  imagesInUse(): Promise<Set<string>>;
  /** The filesystem holding the engine's data root. */
  imageFsStats(): Promise<{ capacity: number; available: number }>;
  /** Removes every tag of the image, then the image. */
  removeImage(image: ListedImage): Promise<void>;
}

interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ImageGcOptions {
  readonly store: ImageStore;
  readonly policy: GcPolicy;
  readonly periodMs: number;
  readonly sandboxImage: string;
  readonly nodeName: string;
  readonly events: EventStore;
  readonly logger: Log;
  readonly now?: () => number;
}

export class ImageGcManager {
  readonly #o: ImageGcOptions;
  #records = new Map<string, ImageRecord>();
  #initialized = false;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #prevFailed = false;

  constructor(opts: ImageGcOptions) {
    this.#o = opts;
  }

  start(): void {
    if (gcDisabled(this.#o.policy)) {
      this.#o.logger.info({}, 'ImageGCHighThresholdPercent is set 100 and ImageMaximumGCAge is 0, Disable image GC');
      return;
    }
    this.#timer = setInterval(() => void this.runOnce(), this.#o.periodMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass (kubelet.go's StartGarbageCollection loop body); never throws. */
  runOnce(): Promise<void> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<void> {
    const { logger } = this.#o;
    try {
      await this.garbageCollect();
      this.#prevFailed = false;
    } catch (e) {
      const message = errorMessage(e);
      if (this.#prevFailed) {
        logger.error({ err: message }, 'Image garbage collection failed multiple times in a row');
        this.#nodeEvent('ImageGCFailed', message);
      } else {
        logger.warn({ err: message }, 'Image garbage collection failed once. Stats initialization may not have completed yet');
      }
      this.#prevFailed = true;
    }
  }

  /** GarbageCollect: detect, measure, free down to the low threshold. Throws the kubelet's errors. */
  async garbageCollect(): Promise<void> {
    const { store, policy } = this.#o;
    const now = (this.#o.now ?? Date.now)();
    const { images, inUse } = await this.#detect(now);
    const usage = imageFsUsage(await store.imageFsStats(), policy);
    if (!usage.ok) {
      this.#nodeEvent('InvalidDiskCapacity', usage.error);
      throw new Error(usage.error);
    }
    if (usage.usagePercent < policy.highThresholdPercent) return;
    this.#o.logger.info(
      { usage: usage.usagePercent, highThreshold: policy.highThresholdPercent, amountToFree: usage.bytesToFree, lowThreshold: policy.lowThresholdPercent },
      'Disk usage on image filesystem is over the high threshold, trying to free bytes down to the low threshold',
    );
    const freed = await this.#freeSpace(usage.bytesToFree, images, inUse, now);
    if (freed < usage.bytesToFree) {
      const message = freeSpaceFailedMessage(usage.bytesToFree, freed);
      this.#nodeEvent('FreeDiskSpaceFailed', message);
      throw new Error(message);
    }
  }

  /**
   * DeleteUnusedImages, for the eviction manager under disk pressure: every unused image past
   * the minimum age goes (freeSpace with no byte goal), whatever the thresholds say.
   */
  async deleteUnusedImages(): Promise<void> {
    const now = (this.#o.now ?? Date.now)();
    this.#o.logger.info({}, 'Attempting to delete unused images');
    const { images, inUse } = await this.#detect(now);
    await this.#freeSpace(Number.MAX_SAFE_INTEGER, images, inUse, now);
  }

  /** detectImages: lists images and the images in use, and updates the records. */
  async #detect(now: number): Promise<{ images: ListedImage[]; inUse: Set<string> }> {
    const { store } = this.#o;
    const [images, inUse] = await Promise.all([store.listImages(), store.imagesInUse()]);
    // The first detection dates images present at start at time zero: they are not "young".
    this.#records = detectImages(this.#records, images, inUse, { detectTime: this.#initialized ? now : 0, now, sandboxImage: this.#o.sandboxImage });
    this.#initialized = true;
    return { images, inUse };
  }

  /** freeSpace: removes candidates in eviction order until `bytesToFree`; throws the kubelet's error if removals failed. */
  async #freeSpace(bytesToFree: number, images: readonly ListedImage[], inUse: ReadonlySet<string>, now: number): Promise<number> {
    const byId = new Map(images.map((i) => [i.id, i]));
    let freed = 0;
    const errors: string[] = [];
    for (const candidate of evictionOrder(this.#records, inUse, { now, policy: this.#o.policy })) {
      const image = byId.get(candidate.id);
      if (!image) continue;
      try {
        await this.#o.store.removeImage(image);
      } catch (e) {
        errors.push(errorMessage(e));
        continue;
      }
      this.#records.delete(candidate.id);
      freed += candidate.sizeBytes;
      this.#o.logger.info({ image: candidate.id, tags: image.repoTags, sizeBytes: candidate.sizeBytes, lastUsed: candidate.lastUsed || undefined }, 'Removing image to free bytes');
      if (freed >= bytesToFree) break;
    }
    if (errors.length > 0) throw new Error(deletionErrorsMessage(bytesToFree, freed, errors));
    return freed;
  }

  #nodeEvent(reason: string, message: string): void {
    this.#o.events.record({ kind: 'Node', namespace: '', name: this.#o.nodeName }, 'Warning', reason, message);
  }
}
