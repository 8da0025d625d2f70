import { describe, expect, it } from 'vitest';
import { mountsToUnmount, parseMountPoints } from '../../../agent/host/mountinfo.js';

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
