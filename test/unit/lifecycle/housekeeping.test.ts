// Which leftover pod state housekeeping may remove (issue 12 item 7): the pure decision.
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Housekeeping, VOLUME_SCAN_EVERY, isPodUid, memoryVolumeUid, orphanedPodUids } from '../../../agent/lifecycle/housekeeping.js';
import { NodeHostFs } from '../../../agent/host/host-fs.js';
import { FakePodRuntime } from '../../helpers/fake-pod-runtime.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import { memoryVolumeName } from '../../../agent/translate/volumes.js';

const STATIC = '0123456789abcdef0123456789abcdef';
const DAEMON = '01234567-89ab-cdef-0123-456789abcdef';
const OTHER = 'fedcba9876543210fedcba9876543210';

describe('isPodUid', () => {
  it('accepts the UIDs nodelet makes and nothing that could name another path', () => {
    expect(isPodUid(STATIC)).toBe(true);
    expect(isPodUid(DAEMON)).toBe(true);
    for (const name of ['', '.', '..', 'lost+found', `${STATIC}/..`, STATIC.toUpperCase(), `${STATIC}0`, 'my-pod', `.${STATIC}`, `${STATIC}.tmp`]) expect(isPodUid(name)).toBe(false);
  });
});

describe('memoryVolumeUid', () => {
  it('reads the UID back from memoryVolumeName', () => {
    expect(memoryVolumeUid(memoryVolumeName(STATIC, 'cache'))).toBe(STATIC);
    expect(memoryVolumeUid(memoryVolumeName(DAEMON, 'scratch-1'))).toBe(DAEMON);
  });

  it('ignores volumes that are not memory emptyDirs of a nodelet UID', () => {
    for (const name of ['nodelet_x_cache', `other_${STATIC}_cache`, `nodelet_${STATIC}`, `nodelet_${STATIC}_a_b`]) expect(memoryVolumeUid(name)).toBeUndefined();
  });
});

describe('orphanedPodUids', () => {
  it('nominates directories and volumes of UIDs not in use, once each, sorted', () => {
    const inUse = new Set([STATIC]);
    const uids = orphanedPodUids({
      podDirs: [OTHER, STATIC, 'not-a-uid', DAEMON],
      memoryVolumes: [memoryVolumeName(DAEMON, 'cache'), memoryVolumeName(STATIC, 'cache'), 'unrelated'],
      inUse: (uid) => inUse.has(uid),
    });
    expect(uids).toEqual([DAEMON, OTHER]);
  });

  it('never nominates a pod in use (desired, in Docker or with a worker)', () => {
    expect(orphanedPodUids({ podDirs: [STATIC, DAEMON], memoryVolumes: [memoryVolumeName(OTHER, 'm')], inUse: () => true })).toEqual([]);
  });
});

describe('Housekeeping scans', () => {
  it('list Docker volumes only at the first scan and then every VOLUME_SCAN_EVERY scans: an idle agent asks Docker for its relist only', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nodelet-hk-'));
    try {
      const runtime = new FakePodRuntime({ clock: new FakeClock() });
      let volumeLists = 0;
      const listVolumes = runtime.listVolumes.bind(runtime);
      runtime.listVolumes = (filter: string) => {
        volumeLists++;
        return listVolumes(filter);
      };
      const { logger } = sinkLogger();
      const hk = new Housekeeping({ podsBases: [root], nodeName: 'n1', hostFs: new NodeHostFs(), runtime, logger, inUse: () => false, enqueue: () => undefined });
      for (let i = 0; i < VOLUME_SCAN_EVERY + 1; i++) await hk.scan();
      expect(volumeLists).toBe(2);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
