import { describe, expect, it } from 'vitest';
import { checkManifestTrust, checkPathDirectory, type TrustSubject } from '../../../agent/source/trust.js';

const FILE = '/etc/kubernetes/manifests/web.yaml';
const DIR = '/etc/kubernetes/manifests';
const file = (mode: number, uid = 0, extra: Partial<TrustSubject> = {}): TrustSubject => ({ kind: 'file', path: FILE, mode: 0o100000 | mode, uid, ...extra });
const dir = (mode: number, uid = 0): TrustSubject => ({ kind: 'directory', path: DIR, mode: 0o040000 | mode, uid });

describe('checkManifestTrust', () => {
  it.each([
    ['root file 0644', file(0o644), 0],
    ['root file 0600', file(0o600), 0],
    ['root file 0444', file(0o444), 0],
    ['root dir 0755', dir(0o755), 0],
    ['root dir 0700 (mkdtemp)', dir(0o700), 0],
    ['file of the agent user', file(0o644, 1000), 1000],
    ['root file, agent not root', file(0o644, 0), 1000],
    ['setuid bit alone is not a write bit', file(0o4755), 0],
  ])('accepts %s', (_name, subject, agentUid) => {
    expect(checkManifestTrust(subject, agentUid)).toEqual({ ok: true });
  });

  it.each([
    [
      'group-writable file',
      file(0o664),
      0,
      `manifest ${FILE} is writable by group (mode 0664); refusing it. Fix: chmod go-w ${FILE}, or run with --allow-insecure-manifests`,
    ],
    [
      'world-writable file',
      file(0o646),
      0,
      `manifest ${FILE} is writable by others (mode 0646); refusing it. Fix: chmod go-w ${FILE}, or run with --allow-insecure-manifests`,
    ],
    [
      'file writable by both',
      file(0o666),
      0,
      `manifest ${FILE} is writable by group/others (mode 0666); refusing it. Fix: chmod go-w ${FILE}, or run with --allow-insecure-manifests`,
    ],
    [
      'file of another user',
      file(0o644, 1000),
      0,
      `manifest ${FILE} is owned by uid 1000, not root; refusing it. Fix: chown root ${FILE}, or run with --allow-insecure-manifests`,
    ],
    [
      'file of a third user when the agent is not root',
      file(0o644, 1001),
      1000,
      `manifest ${FILE} is owned by uid 1001, not root or the agent's user (uid 1000); refusing it. Fix: chown root ${FILE}, or run with --allow-insecure-manifests`,
    ],
    [
      'both faults',
      file(0o666, 1000),
      0,
      `manifest ${FILE} is owned by uid 1000, not root and is writable by group/others (mode 0666); refusing it. Fix: chown root ${FILE} && chmod go-w ${FILE}, or run with --allow-insecure-manifests`,
    ],
    [
      'group-writable directory',
      dir(0o775),
      0,
      `manifest directory ${DIR} is writable by group (mode 0775); refusing every manifest in it. Fix: chmod go-w ${DIR}, or run with --allow-insecure-manifests`,
    ],
    [
      'sticky world-writable directory (like /tmp)',
      dir(0o1777),
      0,
      `manifest directory ${DIR} is writable by group/others (mode 01777); refusing every manifest in it. Fix: chmod go-w ${DIR}, or run with --allow-insecure-manifests`,
    ],
    [
      'a symlink whose target is writable: the target is named and fixed',
      file(0o666, 0, { symlinkTarget: '/srv/web.yaml' }),
      0,
      `manifest ${FILE} (a symlink to /srv/web.yaml) is writable by group/others (mode 0666); refusing it. Fix: chmod go-w /srv/web.yaml, or run with --allow-insecure-manifests`,
    ],
  ])('refuses a %s', (_name, subject, agentUid, problem) => {
    expect(checkManifestTrust(subject, agentUid)).toEqual({ ok: false, problem });
  });
});

describe('checkPathDirectory (directories on a manifest path)', () => {
  const d = (mode: number, uid = 0) => ({ path: '/x', mode: 0o040000 | mode, uid });
  it.each([
    ['root 0755', d(0o755), 0, 'trusted'],
    ['root 0700', d(0o700), 0, 'trusted'],
    ["the agent user's 0755", d(0o755, 1000), 1000, 'trusted'],
    ['root sticky 1777 (/tmp)', d(0o1777), 0, 'sticky'],
    ['root sticky 1770', d(0o1770), 0, 'sticky'],
    ["another user's 0755", d(0o755, 1000), 0, 'untrusted'],
    ["another user's sticky 1777", d(0o1777, 1000), 0, 'untrusted'],
    ["the agent user's sticky 1777 (only root's sticky directories are exempt)", d(0o1777, 1000), 1000, 'untrusted'],
    ['root 0775', d(0o775), 0, 'untrusted'],
    ['root 0757', d(0o757), 0, 'untrusted'],
  ])('%s', (_name, dir, agentUid, verdict) => {
    expect(checkPathDirectory(dir, agentUid)).toBe(verdict);
  });
});
