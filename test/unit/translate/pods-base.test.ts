// Where a pod's directory lives: <rootDir>/pods/<uid> (the kubelet's layout), except for pods an
// older nodelet started under <stateDir>/pods/<uid>, whose running containers bind that path.
import { describe, expect, it } from 'vitest';
import { emptyDirPath, podsBase } from '../../../agent/translate/volumes.js';

describe('podsBase', () => {
  const uid = '0123456789abcdef0123456789abcdef';
  it('is the root dir, the state dir for a legacy pod, and the state dir when no root dir is configured', () => {
    expect(emptyDirPath(podsBase({ stateDir: '/var/lib/nodelet', rootDir: '/var/lib/kubelet' }, uid), uid, 'data')).toBe(`/var/lib/kubelet/pods/${uid}/volumes/kubernetes.io~empty-dir/data`);
    expect(podsBase({ stateDir: '/var/lib/nodelet', rootDir: '/var/lib/kubelet', legacyPodUids: new Set([uid]) }, uid)).toBe('/var/lib/nodelet');
    expect(podsBase({ stateDir: '/var/lib/nodelet', rootDir: '/var/lib/kubelet', legacyPodUids: new Set(['other']) }, uid)).toBe('/var/lib/kubelet');
    expect(podsBase({ stateDir: '/var/lib/nodelet' }, uid)).toBe('/var/lib/nodelet');
  });
});
