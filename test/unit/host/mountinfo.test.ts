import { describe, expect, it } from 'vitest';
import { mountsToUnmount, parseMountPoints, mountPropagation } from '../../../agent/host/mountinfo.js';

const MOUNTINFO = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '46 27 254:0 /srv/data /var/lib/nodelet/pods/u1/volume-subpaths/data/app/0 rw,relatime shared:1 - ext4 /dev/vda rw',
  '47 27 254:0 /srv/data /var/lib/nodelet/pods/u1/volume-subpaths/data/app/0 rw,relatime - ext4 /dev/vda rw',
  '48 27 254:0 /tmp/x /var/lib/nodelet/pods/u1/with\\040space rw,relatime - ext4 /dev/vda rw',
  '49 27 254:0 /tmp/y /var/lib/nodelet/pods/u1 rw,relatime - ext4 /dev/vda rw',
  '50 27 254:0 /tmp/z /var/lib/nodelet/pods/u10/x rw,relatime - ext4 /dev/vda rw',
  '',
].join('\n');

describe('mountinfo', () => {
  it('lists every mount point, octal escapes decoded, a path mounted twice twice', () => {
    expect(parseMountPoints(MOUNTINFO)).toEqual([
      '/',
      '/var/lib/nodelet/pods/u1/volume-subpaths/data/app/0',
      '/var/lib/nodelet/pods/u1/volume-subpaths/data/app/0',
      '/var/lib/nodelet/pods/u1/with space',
      '/var/lib/nodelet/pods/u1',
      '/var/lib/nodelet/pods/u10/x',
    ]);
  });

  it('unmounts deepest first, each stacked mount once, and only at or below the root (not a sibling with the same prefix)', () => {
    expect(mountsToUnmount(parseMountPoints(MOUNTINFO), '/var/lib/nodelet/pods/u1')).toEqual([
      '/var/lib/nodelet/pods/u1/volume-subpaths/data/app/0',
      '/var/lib/nodelet/pods/u1/volume-subpaths/data/app/0',
      '/var/lib/nodelet/pods/u1/with space',
      '/var/lib/nodelet/pods/u1',
    ]);
    expect(mountsToUnmount(parseMountPoints(MOUNTINFO), '/elsewhere')).toEqual([]);
  });
});

describe('mountPropagation (kubelet MakeRShared: isShared)', () => {
  const text = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '30 22 0:25 / /tmp rw,nosuid - tmpfs tmpfs rw',
    '31 30 0:25 /k /tmp/k rw master:5 shared:7 - tmpfs tmpfs rw',
    '32 22 8:1 /var/lib/kubelet /var/lib/kubelet rw - ext4 /dev/sda1 rw',
  ].join('\n');
  it('finds the longest mount point at or above the path and reads its shared: field', () => {
    expect(mountPropagation(text, '/etc')).toEqual({ mountPoint: '/', shared: true });
    expect(mountPropagation(text, '/tmp/x')).toEqual({ mountPoint: '/tmp', shared: false });
    expect(mountPropagation(text, '/tmp/k/pods')).toEqual({ mountPoint: '/tmp/k', shared: true });
    expect(mountPropagation(text, '/var/lib/kubelet')).toEqual({ mountPoint: '/var/lib/kubelet', shared: false });
  });
  it('takes the last of two mounts at one point (a bind over a private mount)', () => {
    expect(mountPropagation(`${text}\n40 32 8:1 /var/lib/kubelet /var/lib/kubelet rw shared:9 - ext4 /dev/sda1 rw`, '/var/lib/kubelet/pods')).toEqual({ mountPoint: '/var/lib/kubelet', shared: true });
  });
});
