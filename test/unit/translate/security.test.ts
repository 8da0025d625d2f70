import { describe, expect, it } from 'vitest';
import type { Container, Pod, PodSecurityContext, SecurityContext } from 'kubernetes-types/core/v1.js';
import {
  dockerCapability,
  dockerUser,
  effectiveSecurityContext,
  seccompOption,
  toContainerSecurity,
  toSandboxSecurity,
  verifyRunAsNonRoot,
} from '../../../agent/translate/security.js';

function pod(podSc?: PodSecurityContext, sc?: SecurityContext, more: Container[] = []): { pod: Pod; container: Container } {
  const container: Container = { name: 'app', image: 'busybox', ...(sc ? { securityContext: sc } : {}) };
  return {
    container,
    pod: {
      metadata: { name: 'web-node1', namespace: 'default', uid: 'u1' },
      spec: { containers: [container, ...more], ...(podSc ? { securityContext: podSc } : {}) },
    },
  };
}

const stateDir = '/var/lib/nodelet';

describe('effectiveSecurityContext', () => {
  it('fills shared fields from the pod, the container wins', () => {
    const { pod: p, container } = pod(
      { runAsUser: 1000, runAsGroup: 2000, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, fsGroup: 3000 },
      { runAsUser: 1001, privileged: false },
    );
    expect(effectiveSecurityContext(p, container)).toEqual({
      runAsUser: 1001,
      runAsGroup: 2000,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      privileged: false,
    });
  });
});

describe('dockerUser (cri-dockerd modifyContainerConfig)', () => {
  it.each<[number | undefined, number | undefined, string | undefined, string | undefined]>([
    [undefined, undefined, undefined, undefined],
    [1000, undefined, undefined, '1000'],
    [1000, 2000, undefined, '1000:2000'],
    [0, 0, 'nobody', '0:0'],
    [undefined, 2000, undefined, '0:2000'],
    [undefined, 2000, '', '0:2000'],
    [undefined, 2000, '1234', '1234:2000'],
    [undefined, 2000, '1234:55', '1234:2000'],
    [undefined, 2000, 'nginx', 'nginx:2000'],
  ])('runAsUser %s, runAsGroup %s, image user %j → %s', (uid, gid, image, expected) => {
    expect(dockerUser(uid, gid, image)).toBe(expected);
  });
});

describe('dockerCapability', () => {
  it.each([
    ['NET_ADMIN', 'CAP_NET_ADMIN'],
    ['CAP_SYS_TIME', 'CAP_SYS_TIME'],
    ['net_raw', 'CAP_NET_RAW'],
    ['ALL', 'ALL'],
    ['all', 'ALL'],
  ])('%s → %s', (input, expected) => {
    expect(dockerCapability(input)).toBe(expected);
  });
});

describe('seccompOption (getSeccompProfile, seccompDefault off)', () => {
  it.each<[string, Parameters<typeof seccompOption>[0], ReturnType<typeof seccompOption>]>([
    ['unset is unconfined', undefined, { ok: true, value: 'unconfined' }],
    ['Unconfined', { type: 'Unconfined' }, { ok: true, value: 'unconfined' }],
    ['RuntimeDefault is Docker default', { type: 'RuntimeDefault' }, { ok: true, value: undefined }],
    ['Localhost under <stateDir>/seccomp', { type: 'Localhost', localhostProfile: 'profiles/audit.json' }, { ok: true, value: 'localhost//var/lib/nodelet/seccomp/profiles/audit.json' }],
    ['Localhost is joined like filepath.Join', { type: 'Localhost', localhostProfile: './a/../../x.json' }, { ok: true, value: 'localhost//var/lib/nodelet/x.json' }],
    ['Localhost without a profile', { type: 'Localhost' }, { ok: false, message: 'localhostProfile must be set if seccompProfile type is Localhost.' }],
  ])('%s', (_name, profile, expected) => {
    expect(seccompOption(profile, stateDir)).toEqual(expected);
  });
});

describe('toContainerSecurity', () => {
  it('defaults: unprivileged, unconfined seccomp, image user', () => {
    const { pod: p, container } = pod();
    expect(toContainerSecurity(p, container, { stateDir })).toEqual({
      ok: true,
      security: { privileged: false, groupAdd: [], capAdd: [], capDrop: [], readonlyRootfs: false, noNewPrivileges: false, seccomp: 'unconfined', sysctls: {} },
    });
  });

  it('maps every field', () => {
    const { pod: p, container } = pod(
      { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 5000], seccompProfile: { type: 'RuntimeDefault' }, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
      { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    );
    expect(toContainerSecurity(p, container, { stateDir })).toEqual({
      ok: true,
      security: {
        privileged: false,
        user: '1000:3000',
        groupAdd: ['2000', '4000', '5000'],
        capAdd: ['CAP_NET_ADMIN'],
        capDrop: ['ALL'],
        readonlyRootfs: true,
        noNewPrivileges: true,
        sysctls: {},
      },
    });
  });

  it('allowPrivilegeEscalation true or unset keeps privileges', () => {
    const { pod: p, container } = pod(undefined, { allowPrivilegeEscalation: true });
    const r = toContainerSecurity(p, container, { stateDir });
    expect(r.ok && r.security.noNewPrivileges).toBe(false);
  });

  it('privileged drops capability and seccomp changes', () => {
    const { pod: p, container } = pod({ seccompProfile: { type: 'Unconfined' } }, { privileged: true, capabilities: { add: ['SYS_ADMIN'], drop: ['NET_RAW'] } });
    expect(toContainerSecurity(p, container, { stateDir })).toEqual({
      ok: true,
      security: { privileged: true, groupAdd: [], capAdd: [], capDrop: [], readonlyRootfs: false, noNewPrivileges: false, sysctls: {} },
    });
  });

  it('container seccomp wins over the pod one', () => {
    const { pod: p, container } = pod({ seccompProfile: { type: 'RuntimeDefault' } }, { seccompProfile: { type: 'Localhost', localhostProfile: 'a.json' } });
    const r = toContainerSecurity(p, container, { stateDir });
    expect(r.ok && r.security.seccomp).toBe('localhost//var/lib/nodelet/seccomp/a.json');
  });

  it('fails on a Localhost profile without a file', () => {
    const { pod: p, container } = pod(undefined, { seccompProfile: { type: 'Localhost' } });
    expect(toContainerSecurity(p, container, { stateDir })).toEqual({ ok: false, message: 'localhostProfile must be set if seccompProfile type is Localhost.' });
  });
});

describe('verifyRunAsNonRoot', () => {
  const where = '(pod: "web-node1_default(u1)", container: app)';
  it.each<[string, PodSecurityContext | undefined, SecurityContext | undefined, string | undefined, string | undefined]>([
    ['not asked', undefined, undefined, '', undefined],
    ['asked, runAsUser 1000', { runAsNonRoot: true, runAsUser: 1000 }, undefined, '', undefined],
    ['asked, runAsUser 0', { runAsNonRoot: true }, { runAsUser: 0 }, '', `container's runAsUser breaks non-root policy ${where}`],
    ['asked, image runs as root', { runAsNonRoot: true }, undefined, '', `container has runAsNonRoot and image will run as root ${where}`],
    ['asked, image uid 0', undefined, { runAsNonRoot: true }, '0:0', `container has runAsNonRoot and image will run as root ${where}`],
    ['asked, image uid 1000', { runAsNonRoot: true }, undefined, '1000', undefined],
    [
      'asked, image user by name',
      { runAsNonRoot: true },
      undefined,
      'nginx',
      `container has runAsNonRoot and image has non-numeric user (nginx), cannot verify user is non-root ${where}`,
    ],
    ['asked, image user unknown: skipped', { runAsNonRoot: true }, undefined, undefined, undefined],
    ['asked, image user by name with a group', { runAsNonRoot: true }, undefined, 'nobody:nogroup', `container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root ${where}`],
    ['asked, image names only a group: root', { runAsNonRoot: true }, undefined, ':1000', `container has runAsNonRoot and image will run as root ${where}`],
    ['asked, image uid:gid 1000:1000', { runAsNonRoot: true }, undefined, '1000:1000', undefined],
    ['asked, image uid with a sign (Go ParseInt accepts it)', { runAsNonRoot: true }, undefined, '+1000', undefined],
    [
      'asked, image uid negative',
      { runAsNonRoot: true },
      undefined,
      '-1',
      `container has runAsNonRoot and image has an invalid user id (-1). (Must be 1-(2147483647)): must be between 0 and 4294967295, inclusive ${where}`,
    ],
    [
      'asked, image uid above uint32',
      { runAsNonRoot: true },
      undefined,
      '4294967296',
      `container has runAsNonRoot and image has an invalid user id (4294967296). (Must be 1-(2147483647)): must be between 0 and 4294967295, inclusive ${where}`,
    ],
    [
      'asked, image uid beyond int64 is a name (ParseInt fails)',
      { runAsNonRoot: true },
      undefined,
      '99999999999999999999',
      `container has runAsNonRoot and image has non-numeric user (99999999999999999999), cannot verify user is non-root ${where}`,
    ],
    ['asked, runAsUser 1000 over an image running as root', { runAsNonRoot: true }, { runAsUser: 1000 }, '0', undefined],
    ['asked, runAsUser 0 over a non-root image', { runAsNonRoot: true }, { runAsUser: 0 }, '1000', `container's runAsUser breaks non-root policy ${where}`],
    ['pod says false, container true', { runAsNonRoot: false }, { runAsNonRoot: true }, 'root', `container has runAsNonRoot and image has non-numeric user (root), cannot verify user is non-root ${where}`],
    ['container says false', { runAsNonRoot: true }, { runAsNonRoot: false }, '', undefined],
  ])('%s', (_name, podSc, sc, imageUser, expected) => {
    const { pod: p, container } = pod(podSc, sc);
    expect(verifyRunAsNonRoot(p, container, imageUser)).toBe(expected);
  });
});

describe('toSandboxSecurity', () => {
  it('defaults: no-new-privileges, default seccomp', () => {
    expect(toSandboxSecurity(pod().pod)).toEqual({ privileged: false, groupAdd: [], capAdd: [], capDrop: [], readonlyRootfs: false, noNewPrivileges: true, sysctls: {} });
  });

  it('takes the pod user, groups and sysctls; privileged when any container is', () => {
    const privilegedInit: Container = { name: 'init', image: 'x', securityContext: { privileged: true } };
    const { pod: p } = pod({ runAsUser: 65535, runAsGroup: 65535, fsGroup: 2000, supplementalGroups: [7], sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] });
    p.spec = { ...p.spec!, initContainers: [privilegedInit] };
    expect(toSandboxSecurity(p)).toEqual({
      privileged: true,
      user: '65535:65535',
      groupAdd: ['2000', '7'],
      capAdd: [],
      capDrop: [],
      readonlyRootfs: false,
      noNewPrivileges: true,
      sysctls: { 'net.ipv4.ip_forward': '1' },
    });
  });

  it('leaves out runAsGroup without runAsUser', () => {
    expect(toSandboxSecurity(pod({ runAsGroup: 10 }).pod).user).toBeUndefined();
  });
});
