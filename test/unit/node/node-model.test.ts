import { describe, expect, it } from 'vitest';
import {
  applyLabelArgs,
  applyOverlay,
  applyTaintArgs,
  automaticLabels,
  baseNodeIdentity,
  buildNodeIdentity,
  diffOverlay,
  type NodeIdentity,
  nodeNotFoundError,
  splitLabelCommandArgs,
  nodeRoles,
  parseLabelArgs,
  parseTaintArgs,
  splitTaintCommandArgs,
  toNodeObject,
} from '../../../agent/node/node-model.js';

const node: NodeIdentity = {
  name: 'node1',
  labels: { 'kubernetes.io/hostname': 'node1', disktype: 'hdd' },
  taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
};

describe('automatic labels', () => {
  it.each([
    ['linux', 'x64', 'linux', 'amd64'],
    ['linux', 'arm64', 'linux', 'arm64'],
    ['linux', 'ppc64', 'linux', 'ppc64le'],
    ['win32', 'ia32', 'windows', '386'],
  ])('%s/%s -> %s/%s', (platform, arch, os, goarch) => {
    expect(automaticLabels('node1', platform, arch)).toEqual({ 'kubernetes.io/hostname': 'node1', 'kubernetes.io/os': os, 'kubernetes.io/arch': goarch });
  });

  it('config labels win over the automatic ones, and the runtime overlay over both', () => {
    const base = baseNodeIdentity({ name: 'n', platform: 'linux', arch: 'x64', configLabels: { 'kubernetes.io/hostname': 'custom', ssd: 'true' } });
    expect(base.labels).toEqual({ 'kubernetes.io/hostname': 'custom', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ssd: 'true' });
    expect(base.os).toBe('linux');
    const full = buildNodeIdentity({
      name: 'n',
      platform: 'linux',
      arch: 'x64',
      configLabels: { ssd: 'true' },
      overlay: { labels: { ssd: null, zone: 'a' }, taints: { set: [], removed: [] } },
    });
    expect(full.labels).toEqual({ 'kubernetes.io/hostname': 'n', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', zone: 'a' });
  });
});

describe('nodelet label node (kubectl label semantics)', () => {
  it.each<[string, string[], { overwrite?: boolean }, { message?: string; error?: string; labels?: Record<string, string>; notices?: string[] }]>([
    ['add', ['ssd=true'], {}, { message: 'node/node1 labeled', labels: { 'kubernetes.io/hostname': 'node1', disktype: 'hdd', ssd: 'true' } }],
    ['same value again needs no --overwrite', ['disktype=hdd'], {}, { message: 'node/node1 not labeled' }],
    ['different value without --overwrite', ['disktype=ssd'], {}, { error: "'disktype' already has a value (hdd), and --overwrite is false" }],
    ['different value with --overwrite', ['disktype=ssd'], { overwrite: true }, { message: 'node/node1 labeled', labels: { 'kubernetes.io/hostname': 'node1', disktype: 'ssd' } }],
    ['remove', ['disktype-'], {}, { message: 'node/node1 unlabeled', labels: { 'kubernetes.io/hostname': 'node1' } }],
    ['remove a missing label', ['nope-'], {}, { message: 'node/node1 not labeled', notices: ['label "nope" not found.'] }],
    ['add and remove', ['a=b', 'disktype-'], {}, { message: 'node/node1 label(s) changed' }],
    ['two conflicts aggregate', ['disktype=x', 'kubernetes.io/hostname=y'], {}, {
      error: "['disktype' already has a value (hdd), and --overwrite is false, 'kubernetes.io/hostname' already has a value (node1), and --overwrite is false]",
    }],
    ['invalid key is rejected as the API server does', ['bad key=v'], {}, {
      error: `The Node "node1" is invalid: metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    }],
  ])('%s', (_name, args, opts, want) => {
    const parsed = parseLabelArgs(args);
    if (!parsed.ok) throw new Error(parsed.error);
    const out = applyLabelArgs(node, parsed.value, { overwrite: opts.overwrite ?? false });
    if (want.error) {
      expect(out).toEqual({ ok: false, error: want.error });
      return;
    }
    if (!out.ok) throw new Error(out.error);
    expect(out.value.message).toBe(want.message);
    if (want.labels) expect(out.value.node.labels).toEqual(want.labels);
    expect(out.value.notices).toEqual(want.notices ?? []);
  });

  it.each([
    [['a=b=c'], 'invalid label spec: a=b=c'],
    [['a'], 'unknown label spec: a'],
    [['a=b', 'a-'], 'can not both modify and remove a label in the same command'],
    [[], 'at least one label update is required'],
    [
      ['a=b c'],
      `invalid label value: "a=b c": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    ],
  ])('parse error %j', (args, error) => {
    expect(parseLabelArgs(args)).toEqual({ ok: false, error });
  });
});

describe('nodelet taint node (kubectl taint semantics)', () => {
  it.each<[string, string[], { overwrite?: boolean }, { message?: string; error?: string; taints?: unknown[] }]>([
    ['add with value', ['gpu=true:NoSchedule'], {}, {
      message: 'node/node1 tainted',
      taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }, { key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
    }],
    ['add without value', ['eks.tke.cloud.tencent.com/eklet:NoSchedule'], {}, { message: 'node/node1 tainted' }],
    ['same key and effect without --overwrite', ['dedicated=web:NoSchedule'], {}, { error: 'node node1 already has dedicated taint(s) with same effect(s) and --overwrite is false' }],
    ['same key and effect with --overwrite', ['dedicated=web:NoSchedule'], { overwrite: true }, { message: 'node/node1 modified', taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] }],
    ['same key, other effect', ['dedicated=db:NoExecute'], {}, { message: 'node/node1 tainted' }],
    ['remove by key and effect', ['dedicated:NoSchedule-'], {}, { message: 'node/node1 untainted', taints: [] }],
    ['remove by key', ['dedicated-'], {}, { message: 'node/node1 untainted', taints: [] }],
    ['remove missing', ['nope:NoExecute-'], {}, { error: 'taint "nope:NoExecute" not found' }],
    ['remove missing by key', ['nope-'], {}, { error: 'taint "nope:" not found' }],
    ['add and remove', ['x=y:NoExecute', 'dedicated-'], {}, { message: 'node/node1 modified', taints: [{ key: 'x', value: 'y', effect: 'NoExecute' }] }],
  ])('%s', (_name, args, opts, want) => {
    const parsed = parseTaintArgs(args);
    if (!parsed.ok) throw new Error(parsed.error);
    const out = applyTaintArgs(node, parsed.value, { overwrite: opts.overwrite ?? false });
    if (want.error) {
      expect(out).toEqual({ ok: false, error: want.error });
      return;
    }
    if (!out.ok) throw new Error(out.error);
    expect(out.value.message).toBe(want.message);
    if (want.taints) expect(out.value.node.taints).toEqual(want.taints);
  });

  it.each([
    // Without `:` the whole spec is the key (only removal may omit the effect).
    [['k=v'], "invalid taint spec: k=v, name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"],
    [['k'], 'invalid taint spec: k'],
    [['k=v:Bad'], 'invalid taint effect: Bad, unsupported taint effect'],
    [['a:b:c'], 'invalid taint spec: a:b:c'],
    [['k=v=w:NoSchedule'], 'invalid taint spec: k=v=w:NoSchedule'],
    [['k=a:NoSchedule', 'k=b:NoSchedule'], 'duplicated taints with the same key and effect: {k b NoSchedule <nil>}'],
    [['k=a:NoSchedule', 'k-'], 'can not both modify and remove the following taint(s) in the same command: {"k":""}'],
    [['k=a:NoSchedule', 'k:NoSchedule-'], 'can not both modify and remove the following taint(s) in the same command: {"k":"NoSchedule"}'],
  ])('parse error %j', (args, error) => {
    expect(parseTaintArgs(args)).toEqual({ ok: false, error });
  });

  it('splits resources from label pairs like kubectl', () => {
    expect(splitLabelCommandArgs(['node', 'node1', 'ssd=true', 'old-'])).toEqual({ ok: true, value: { resources: ['node', 'node1'], labels: ['ssd=true', 'old-'] } });
    expect(splitLabelCommandArgs(['node', 'a=b', 'node1'])).toEqual({ ok: false, error: 'all resources must be specified before label changes: node1' });
    expect(splitLabelCommandArgs(['a=b'])).toEqual({ ok: false, error: 'one or more resources must be specified as <resource> <name> or <resource>/<name>' });
    expect(nodeNotFoundError('other')).toBe('Error from server (NotFound): nodes "other" not found');
  });

  it('splits resources from taint specs like kubectl', () => {
    expect(splitTaintCommandArgs(['node', 'node1', 'k=v:NoSchedule'])).toEqual({ ok: true, value: { resources: ['node', 'node1'], taints: ['k=v:NoSchedule'] } });
    expect(splitTaintCommandArgs(['node', 'k-', 'node1'])).toEqual({ ok: false, error: 'all resources must be specified before taint changes: node1' });
    expect(splitTaintCommandArgs(['node'])).toEqual({ ok: false, error: 'at least one taint update is required' });
  });
});

describe('runtime overlay', () => {
  it('persists only what differs from the base and replays to the same node', () => {
    const base = baseNodeIdentity({
      name: 'n',
      platform: 'linux',
      arch: 'x64',
      configLabels: { zone: 'a', ssd: 'true' },
      configTaints: [{ key: 'cfg', effect: 'NoSchedule' }, { key: 'keep', value: 'v', effect: 'NoExecute' }],
    });
    const effective: NodeIdentity = {
      ...base,
      labels: { ...base.labels, zone: 'b', extra: 'x' },
      taints: [{ key: 'keep', value: 'v2', effect: 'NoExecute' }, { key: 'new', effect: 'PreferNoSchedule' }],
    };
    const overlay = diffOverlay(base, effective);
    expect(overlay).toEqual({
      labels: { zone: 'b', extra: 'x' },
      taints: { set: [{ key: 'keep', value: 'v2', effect: 'NoExecute' }, { key: 'new', effect: 'PreferNoSchedule' }], removed: [{ key: 'cfg', effect: 'NoSchedule' }] },
    });
    expect(applyOverlay(base, overlay)).toEqual(effective);
    // Removing a config label is remembered as a tombstone.
    const { ssd: _ssd, ...withoutSsd } = base.labels;
    expect(diffOverlay(base, { ...base, labels: withoutSsd }).labels).toEqual({ ssd: null });
  });
});

describe('get node helpers', () => {
  it('finds roles as kubectl does', () => {
    expect(nodeRoles({ 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/': 'x' })).toEqual(['control-plane', 'worker']);
  });
  it('builds a v1 Node', () => {
    expect(toNodeObject(node)).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node1', labels: node.labels },
      spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
    });
  });
});
