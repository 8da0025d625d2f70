import { describe, expect, it } from 'vitest';
import type { Container, PodSpec, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { DesiredPod } from '../../../agent/core/types.js';
import {
  cleanPath,
  downwardApiPath,
  emptyDirPath,
  memoryVolumeName,
  planVolumes,
  podDir,
  terminationLogPath,
  toMounts,
} from '../../../agent/translate/volumes.js';

const stateDir = '/var/lib/nodelet';
const uid = '0123abcd';
const Mi = 1024 * 1024;

function desired(spec: Partial<PodSpec> & { containers?: Container[] }): DesiredPod {
  const full: PodSpec = { containers: [{ name: 'app', image: 'busybox' }], ...spec };
  return {
    uid,
    namespace: 'default',
    name: 'web-node1',
    pod: { metadata: { name: 'web-node1', namespace: 'default', uid, labels: { app: 'web' }, annotations: { a: 'b' } }, spec: full },
    origin: { kind: 'Pod', file: '/etc/kubernetes/manifests/web.yaml' },
  };
}

describe('paths', () => {
  it('lays volumes out like kubelet under the state dir', () => {
    expect(emptyDirPath(stateDir, uid, 'cache')).toBe('/var/lib/nodelet/pods/0123abcd/volumes/kubernetes.io~empty-dir/cache');
    expect(downwardApiPath(stateDir, uid, 'info')).toBe('/var/lib/nodelet/pods/0123abcd/volumes/kubernetes.io~downward-api/info');
    expect(terminationLogPath(stateDir, uid, 'app', 3)).toBe('/var/lib/nodelet/pods/0123abcd/containers/app/3-termination-log');
    expect(memoryVolumeName(uid, 'shm')).toBe('nodelet_0123abcd_shm');
  });

  it.each([
    ['/a/b/../c', '/a/c'],
    ['/a//b/./c/', '/a/b/c'],
    ['/../a', '/a'],
    ['a/../../b', '../b'],
    ['', '.'],
    ['/', '/'],
  ])('cleanPath(%j) = %j', (input, expected) => {
    expect(cleanPath(input)).toBe(expected);
  });
});

describe('planVolumes', () => {
  it('lists hostPaths, emptyDirs and memory volumes; no subPath is created ahead of the container start', () => {
    const volumes: Volume[] = [
      { name: 'data', hostPath: { path: '/srv/data', type: 'DirectoryOrCreate' } },
      { name: 'logs', hostPath: { path: '/var/log' } },
      { name: 'cache', emptyDir: {} },
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    ];
    const mounts: VolumeMount[] = [
      { name: 'data', mountPath: '/data', subPath: 'app/one' },
      { name: 'cache', mountPath: '/cache', subPath: 'c' },
      { name: 'cache', mountPath: '/cache2', subPathExpr: '$(POD)' },
      { name: 'shm', mountPath: '/dev/shm' },
      { name: 'data', mountPath: '/bad', subPath: '../escape' },
    ];
    const plan = planVolumes(desired({ volumes, containers: [{ name: 'app', image: 'x', volumeMounts: mounts }], initContainers: [{ name: 'init', image: 'x', volumeMounts: [mounts[0]!] }] }), stateDir, {
      cpuMilli: 2000,
      memoryBytes: 4096 * Mi,
    });
    expect(plan).toEqual({
      hostPaths: [
        { volume: 'data', path: '/srv/data', type: 'DirectoryOrCreate' },
        { volume: 'logs', path: '/var/log', type: '' },
      ],
      emptyDirs: [{ volume: 'cache', path: emptyDirPath(stateDir, uid, 'cache') }],
      memoryVolumes: [{ volume: 'shm', name: 'nodelet_0123abcd_shm', sizeBytes: 64 * Mi }],
      dirs: [],
      files: [],
      errors: [],
    });
  });

  it.each<[string, Partial<PodSpec>, number | undefined, number | undefined]>([
    ['no limits: node allocatable', {}, 1024 * Mi, 1024 * Mi],
    ['no limits, allocatable unknown: Docker default', {}, undefined, undefined],
    ['pod limit below allocatable', { containers: [{ name: 'a', image: 'x', resources: { limits: { memory: '256Mi' } } }] }, 1024 * Mi, 256 * Mi],
    [
      'sizeLimit below the pod limit',
      { containers: [{ name: 'a', image: 'x', resources: { limits: { memory: '256Mi' } } }], volumes: [{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '100Mi' } }] },
      1024 * Mi,
      100 * Mi,
    ],
    [
      'sizeLimit above the pod limit is ignored',
      { containers: [{ name: 'a', image: 'x', resources: { limits: { memory: '256Mi' } } }], volumes: [{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } }] },
      1024 * Mi,
      256 * Mi,
    ],
  ])('memory emptyDir size: %s', (_name, spec, allocatable, expected) => {
    const withVolume = { volumes: [{ name: 'm', emptyDir: { medium: 'Memory' } }], ...spec };
    const plan = planVolumes(desired(withVolume), stateDir, allocatable === undefined ? undefined : { cpuMilli: 1000, memoryBytes: allocatable });
    expect(plan.memoryVolumes[0]?.sizeBytes).toBe(expected);
  });

  it('writes downwardAPI files with content and modes, parents first', () => {
    const volumes: Volume[] = [
      {
        name: 'info',
        downwardAPI: {
          defaultMode: 0o600,
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'meta/name', fieldRef: { fieldPath: 'metadata.name' }, mode: 0o644 },
            { path: 'meta/deep/ann', fieldRef: { fieldPath: "metadata.annotations['a']" } },
            { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
          ],
        },
      },
    ];
    const root = downwardApiPath(stateDir, uid, 'info');
    const plan = planVolumes(desired({ volumes }), stateDir, { cpuMilli: 2000, memoryBytes: 1 });
    expect(plan.dirs).toEqual([
      { volume: 'info', path: root, mode: 0o755 },
      { volume: 'info', path: `${root}/meta`, mode: 0o755 },
      { volume: 'info', path: `${root}/meta/deep`, mode: 0o755 },
    ]);
    expect(plan.files).toEqual([
      { volume: 'info', path: `${root}/labels`, content: 'app="web"', mode: 0o600 },
      { volume: 'info', path: `${root}/meta/name`, content: 'web-node1', mode: 0o644 },
      { volume: 'info', path: `${root}/meta/deep/ann`, content: 'b', mode: 0o600 },
      { volume: 'info', path: `${root}/cpu`, content: '2000', mode: 0o600 },
    ]);
    expect(plan.errors).toEqual([]);
  });

  it('reports downwardAPI items it cannot compute', () => {
    const volumes: Volume[] = [{ name: 'info', downwardAPI: { items: [{ path: 'x', fieldRef: { fieldPath: 'spec.nodeName' } }, { path: 'y', resourceFieldRef: { containerName: 'ghost', resource: 'limits.cpu' } }] } }];
    expect(planVolumes(desired({ volumes }), stateDir).errors).toEqual([
      { volume: 'info', message: 'unsupported fieldPath: spec.nodeName' },
      { volume: 'info', message: 'container ghost not found' },
    ]);
  });
});

describe('toMounts', () => {
  const volumes: Volume[] = [
    { name: 'data', hostPath: { path: '/srv/data' } },
    { name: 'cache', emptyDir: {} },
    { name: 'shm', emptyDir: { medium: 'Memory' } },
    { name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    { name: 'relative', hostPath: { path: 'srv' } },
    { name: 'secret', secret: { secretName: 's' } },
  ];
  const env = [
    { name: 'POD', value: 'web-node1' },
    { name: 'EMPTY', value: '' },
  ];
  const termination = { kind: 'bind', source: terminationLogPath(stateDir, uid, 'app', 2), target: '/dev/termination-log', readOnly: false, createIfMissing: 'file' };

  function mounts(volumeMounts: VolumeMount[], extra: Partial<Container> = {}) {
    const container: Container = { name: 'app', image: 'x', volumeMounts, ...extra };
    return toMounts(desired({ volumes, containers: [container] }), container, env, stateDir, 2);
  }

  it.each<[string, VolumeMount, object]>([
    ['hostPath bind', { name: 'data', mountPath: '/data' }, { kind: 'bind', source: '/srv/data', target: '/data', readOnly: false }],
    ['read-only', { name: 'data', mountPath: '/data', readOnly: true }, { kind: 'bind', source: '/srv/data', target: '/data', readOnly: true }],
    ['None propagation is private', { name: 'data', mountPath: '/data', mountPropagation: 'None' }, { kind: 'bind', source: '/srv/data', target: '/data', readOnly: false }],
    ['HostToContainer → rslave', { name: 'data', mountPath: '/data', mountPropagation: 'HostToContainer' }, { kind: 'bind', source: '/srv/data', target: '/data', readOnly: false, propagation: 'rslave' }],
    ['Bidirectional → rshared', { name: 'data', mountPath: '/data', mountPropagation: 'Bidirectional' }, { kind: 'bind', source: '/srv/data', target: '/data', readOnly: false, propagation: 'rshared' }],
    [
      'subPath: Docker binds the target under volume-subpaths, never the joined path',
      { name: 'data', mountPath: '/conf', subPath: 'etc//app/' },
      {
        kind: 'bind',
        source: '/var/lib/nodelet/pods/0123abcd/volume-subpaths/data/app/0',
        target: '/conf',
        readOnly: false,
        subPath: { volumePath: '/srv/data', subPath: 'etc/app', volumeName: 'data', containerName: 'app', mountIndex: 0 },
      },
    ],
    [
      'subPathExpr from env',
      { name: 'cache', mountPath: '/c', subPathExpr: 'pods/$(POD)' },
      {
        kind: 'bind',
        source: `/var/lib/nodelet/pods/0123abcd/volume-subpaths/cache/app/0`,
        target: '/c',
        readOnly: false,
        subPath: { volumePath: emptyDirPath(stateDir, uid, 'cache'), subPath: 'pods/web-node1', volumeName: 'cache', containerName: 'app', mountIndex: 0 },
      },
    ],
    [
      'subPath of a downwardAPI volume stays read-only',
      { name: 'info', mountPath: '/etc/name', subPath: 'name' },
      {
        kind: 'bind',
        source: `/var/lib/nodelet/pods/0123abcd/volume-subpaths/info/app/0`,
        target: '/etc/name',
        readOnly: true,
        subPath: { volumePath: downwardApiPath(stateDir, uid, 'info'), subPath: 'name', volumeName: 'info', containerName: 'app', mountIndex: 0 },
      },
    ],
    ['disk emptyDir', { name: 'cache', mountPath: '/cache' }, { kind: 'bind', source: emptyDirPath(stateDir, uid, 'cache'), target: '/cache', readOnly: false }],
    ['memory emptyDir is a named volume', { name: 'shm', mountPath: '/dev/shm' }, { kind: 'volume', source: 'nodelet_0123abcd_shm', target: '/dev/shm', readOnly: false }],
    ['downwardAPI is always read-only', { name: 'info', mountPath: '/etc/podinfo' }, { kind: 'bind', source: downwardApiPath(stateDir, uid, 'info'), target: '/etc/podinfo', readOnly: true }],
    ['relative mountPath made absolute', { name: 'data', mountPath: 'data/x' }, { kind: 'bind', source: '/srv/data', target: '/data/x', readOnly: false }],
  ])('%s', (_name, mount, expected) => {
    expect(mounts([mount])).toEqual({ ok: true, mounts: [expected, termination] });
  });

  it('names each subPath target by the mount index, so two mounts of one volume never share one', () => {
    const r = mounts([
      { name: 'cache', mountPath: '/a', subPath: 'x' },
      { name: 'data', mountPath: '/b' },
      { name: 'cache', mountPath: '/c', subPath: 'x' },
    ]);
    expect(r.ok && r.mounts.map((m) => m.source)).toEqual([
      '/var/lib/nodelet/pods/0123abcd/volume-subpaths/cache/app/0',
      '/srv/data',
      '/var/lib/nodelet/pods/0123abcd/volume-subpaths/cache/app/2',
      terminationLogPath(stateDir, uid, 'app', 2),
    ]);
  });

  it('keeps volumeMounts order and puts the termination file last', () => {
    const r = mounts([
      { name: 'cache', mountPath: '/b' },
      { name: 'data', mountPath: '/a' },
    ]);
    expect(r.ok && r.mounts.map((m) => m.target)).toEqual(['/b', '/a', '/dev/termination-log']);
  });

  it('binds the termination file at a custom path, none for an empty path', () => {
    const custom = mounts([], { terminationMessagePath: '/tmp/msg' });
    expect(custom).toEqual({ ok: true, mounts: [{ ...termination, target: '/tmp/msg' }] });
    expect(mounts([], { terminationMessagePath: '' })).toEqual({ ok: true, mounts: [] });
  });

  it.each<[string, VolumeMount, string]>([
    ['unknown volume', { name: 'ghost', mountPath: '/g' }, 'cannot find volume "ghost" to mount into container "app"'],
    ['absolute subPath', { name: 'data', mountPath: '/d', subPath: '/etc' }, 'error SubPath `/etc` must not be an absolute path'],
    ['backsteps in subPath', { name: 'data', mountPath: '/d', subPath: 'a/../../etc' }, "unable to provision SubPath `a/../../etc`: must not contain '..'"],
    ['backsteps from subPathExpr', { name: 'data', mountPath: '/d', subPathExpr: '..' }, "unable to provision SubPath `..`: must not contain '..'"],
    ['subPathExpr with unknown and empty vars', { name: 'data', mountPath: '/d', subPathExpr: '$(NOPE)/$(EMPTY)/$(AAA)' }, 'missing value for AAA, EMPTY, NOPE'],
    ['invalid propagation', { name: 'data', mountPath: '/d', mountPropagation: 'Sideways' }, 'invalid MountPropagation mode: "Sideways"'],
    ['subPath on a memory emptyDir', { name: 'shm', mountPath: '/d', subPath: 'x' }, 'subPath is not supported for emptyDir volume "shm" with medium Memory'],
    ['relative hostPath', { name: 'relative', mountPath: '/d' }, `invalid mount config for type "bind": invalid mount path: 'srv' mount path must be absolute`],
    ['unsupported volume kind', { name: 'secret', mountPath: '/d' }, 'volume "secret" of container "app": only hostPath, emptyDir and downwardAPI volumes are supported'],
  ])('fails: %s', (_name, mount, message) => {
    expect(mounts([mount])).toEqual({ ok: false, message });
  });
});

describe('podDir', () => {
  it('never builds a path outside <stateDir>/pods from a UID', () => {
    expect(podDir('/var/lib/nodelet', '0123456789abcdef0123456789abcdef')).toBe('/var/lib/nodelet/pods/0123456789abcdef0123456789abcdef');
    for (const uid of ['../../../etc', '..', '', 'a/b']) expect(() => podDir('/var/lib/nodelet', uid)).toThrow(/refusing the pod UID/);
  });
});

describe('emptyDir with a medium the kubelet does not know (issue 18 corpus: medium: memory)', () => {
  it('fails the volume set-up as the kubelet does, instead of giving the pod a disk emptyDir', () => {
    const volumes: Volume[] = [{ name: 'empty', emptyDir: { medium: 'memory', sizeLimit: '20Mi' } }];
    const plan = planVolumes(desired({ volumes }), stateDir);
    expect(plan.errors).toEqual([{ volume: 'empty', message: 'unknown storage medium "memory"' }]);
    expect(plan.emptyDirs).toEqual([]);
    expect(plan.memoryVolumes).toEqual([]);
  });
});
