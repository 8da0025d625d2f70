import { describe, expect, it } from 'vitest';
import { ignoreReason, isManifestName } from '../../../agent/source/file-filter.js';

describe('ignoreReason', () => {
  const read: readonly string[] = [
    'web.yaml',
    'web.yml',
    'web.json',
    'etcd.manifest',
    'noextension',
    'kube-apiserver.yaml',
    'a~b.yaml', // ~ only counts at the end
    'swap.yaml.swpx', // not *.swp / *.swx
    'backup.yaml.bak2',
    'tmp.yaml', // .tmp is a suffix rule, not a prefix
    'rpm.yaml', // *.rpm* needs the dot
    '#web.yaml', // needs both #s
    'web#',
    'WEB.BAK', // case-sensitive, like the globs
  ];
  it.each(read)('reads %s', (name) => {
    expect(ignoreReason(name)).toBeUndefined();
    expect(isManifestName(name)).toBe(true);
  });

  const ignored: readonly (readonly [string, string])[] = [
    ['.web.yaml', 'hidden file'],
    ['.web.yaml.swp', 'hidden file'],
    ['.#web.yaml', 'hidden file'],
    ['.', 'hidden file'],
    ['web.yaml~', 'editor backup file (*~)'],
    ['web.yaml.swp', 'editor swap file (*.swp, *.swx)'],
    ['web.yaml.swx', 'editor swap file (*.swp, *.swx)'],
    ['web.yaml.bak', 'backup file (*.bak)'],
    ['web.yaml.tmp', 'temporary file (*.tmp)'],
    ['web.yaml.orig', 'merge leftover (*.orig)'],
    ['web.yaml.dpkg-old', 'package manager leftover (*.dpkg-*)'],
    ['web.yaml.dpkg-new', 'package manager leftover (*.dpkg-*)'],
    ['web.yaml.dpkg-dist', 'package manager leftover (*.dpkg-*)'],
    ['web.yaml.rpmnew', 'package manager leftover (*.rpm*)'],
    ['web.yaml.rpmsave', 'package manager leftover (*.rpm*)'],
    ['web.yaml.rpmorig', 'package manager leftover (*.rpm*)'],
    ['#web.yaml#', 'editor autosave file (#*#)'],
    ['', 'empty name'],
  ];
  it.each(ignored)('ignores %j as %s', (name, reason) => {
    expect(ignoreReason(name)).toBe(reason);
    expect(isManifestName(name)).toBe(false);
  });
});
