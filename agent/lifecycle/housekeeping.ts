// Periodic housekeeping of pod state on disk (issue 12 item 7), kubelet's HandlePodCleanups /
// cleanupOrphanedPodDirs: a pod directory (<stateDir>/pods/<uid>, emptyDirs, downward API
// files, termination logs) and the Docker tmpfs volumes of its medium-Memory emptyDirs are
// normally removed by the pod's last pass (cleanupPod). An agent killed in between (kill -9
// during a rollout) leaves them behind for good, because no pass ever runs for that UID again.
//
// The scan (at start, after the first relist, and every resync period) only nominates UIDs:
// neither desired, nor with any container in Docker, nor with a pod worker in flight. The
// removal itself runs inside that UID's pod worker pass (the agent calls removeIfOrphaned when
// its pass finds the pod neither desired nor in Docker), so it is serialised with every other
// pass of the pod: a pod that became desired again meanwhile gets a normal pass instead and
// its directory is never removed. Only direct children of <rootDir>/pods (and of the legacy
// <stateDir>/pods, where an older nodelet put them) whose name is a UID nodelet generates are
// ever touched, and only through HostFs.removeTree.
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { HostFs } from '../host/host-fs.js';
import type { PodRuntime } from '../runtime/pod-runtime.js';
import { LABELS } from '../core/labels.js';
import { errorMessage } from '../core/errors.js';

/** Static pod UIDs (32 hex digits) and daemon pod UIDs (UUID-shaped), as nodelet makes them. */
const POD_UID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function isPodUid(name: string): boolean {
  return POD_UID.test(name);
}

/** The pod UID of a memory-emptyDir volume name, `nodelet_<uid>_<volume>` (translate/volumes.ts). */
export function memoryVolumeUid(name: string): string | undefined {
  const uid = /^nodelet_([^_]+)_[a-z0-9-]+$/.exec(name)?.[1];
  return uid !== undefined && isPodUid(uid) ? uid : undefined;
}

export interface HousekeepingView {
  /** Directory names found directly under the pods directories. */
  readonly podDirs: readonly string[];
  /** Names of this node's memory-emptyDir volumes in Docker. */
  readonly memoryVolumes: readonly string[];
  /** Desired, in Docker, or with a pod worker in flight: its state is not to be touched. */
  readonly inUse: (uid: string) => boolean;
}

/** Pure: the UIDs whose leftover state may go, sorted. Names that are not UIDs are never nominated. */
export function orphanedPodUids(view: HousekeepingView): string[] {
  const uids = new Set<string>();
  for (const name of view.podDirs) if (isPodUid(name)) uids.add(name);
  for (const name of view.memoryVolumes) {
    const uid = memoryVolumeUid(name);
    if (uid !== undefined) uids.add(uid);
  }
  return [...uids].filter((uid) => !view.inUse(uid)).sort();
}

export interface HousekeepingDeps {
  /** Directories holding pods/: the kubelet root dir, then the state dir of older nodelets. */
  readonly podsBases: readonly string[];
  readonly nodeName: string;
  readonly hostFs: HostFs;
  readonly runtime: PodRuntime;
  readonly logger: Logger;
  readonly inUse: (uid: string) => boolean;
  /** Asks for a pass of the pod worker of `uid`; the pass calls removeIfOrphaned. */
  readonly enqueue: (uid: string) => void;
}

/** Docker's volumes are listed at every this many scans (every 5 min at the 10 s resync period). */
export const VOLUME_SCAN_EVERY = 30;

export class Housekeeping {
  readonly #d: HousekeepingDeps;
  readonly #log: Logger;
  /** UIDs the last scan nominated, until their pod worker pass has dealt with them. */
  readonly #nominated = new Set<string>();
  #scanning = false;
  #scans = 0;

  constructor(deps: HousekeepingDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'housekeeping' });
  }

  get #podsDirs(): string[] {
    return [...new Set(this.#d.podsBases)].map((base) => join(base, 'pods'));
  }

  async #listPodDirs(): Promise<string[]> {
    return (await Promise.all(this.#podsDirs.map((dir) => this.#d.hostFs.listDirectories(dir)))).flat();
  }

  /** One scan: nominates orphaned UIDs and asks for their pod worker passes. */
  async scan(): Promise<void> {
    if (this.#scanning) return;
    this.#scanning = true;
    try {
      // The pod directories cost one readdir; Docker's volumes are listed at the first scan and
      // then every VOLUME_SCAN_EVERY scans only, so an idle agent asks Docker for nothing but its
      // relist. A volume is left behind only by a crash during a pod's removal, which the
      // first scan after the restart finds; a pod whose directory remains has its volumes
      // removed with it.
      const withVolumes = this.#scans++ % VOLUME_SCAN_EVERY === 0;
      const [podDirs, memoryVolumes] = await Promise.all([
        this.#listPodDirs(),
        withVolumes ? this.#d.runtime.listVolumes(`${LABELS.node}=${this.#d.nodeName}`) : Promise.resolve([] as string[]),
      ]);
      // inUse is read after the awaits, against the agent's state of this moment. A nomination
      // only saves the pass of a removed pod from this I/O: whether the state goes is decided
      // in the pod's own pass, so a stale one is harmless, and each scan starts afresh.
      this.#nominated.clear();
      for (const uid of orphanedPodUids({ podDirs, memoryVolumes, inUse: this.#d.inUse })) {
        this.#nominated.add(uid);
        this.#d.enqueue(uid);
      }
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'housekeeping scan failed; retrying at the next period');
    } finally {
      this.#scanning = false;
    }
  }

  /**
   * Called from the pod worker pass of `uid` once it found the pod neither desired nor in
   * Docker: removes its leftover directory and memory volumes if a scan nominated it.
   */
  async removeIfOrphaned(uid: string): Promise<void> {
    if (!this.#nominated.delete(uid) || !isPodUid(uid)) return;
    for (const name of await this.#d.runtime.listVolumes(`${LABELS.podUid}=${uid}`)) {
      await this.#d.runtime.removeVolume(name);
      this.#log.info({ uid, volume: name }, 'removed the memory volume of an orphaned pod');
    }
    for (const podsDir of this.#podsDirs) {
      if (!(await this.#d.hostFs.listDirectories(podsDir)).includes(uid)) continue;
      const dir = join(podsDir, uid);
      await this.#d.hostFs.removeTree(dir);
      this.#log.info({ uid, path: dir }, 'removed the directory of an orphaned pod');
    }
  }
}
