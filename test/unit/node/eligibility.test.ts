import type { NodeSelectorRequirement, Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import {
  admitStaticPod,
  daemonPodTolerations,
  nodeShouldRunDaemonPod,
  toleratesTaint,
} from '../../../agent/node/eligibility.js';
import type { NodeTaint } from '../../../agent/node/node-model.js';
import { FLUENTD_V1, FLUENTD_V2, HWAMEISTOR, SSD_DRIVER, daemonSet, node, seedDaemonSet, seedPod } from '../daemonset/fixtures.js';

const AFFINITY = "node(s) didn't match Pod's node affinity/selector";

describe('nodeShouldRunDaemonPod: labels and node affinity', () => {
  it.each<[string, Record<string, string>, boolean]>([
    ['ssd=true runs the ssd-driver DaemonSet', { ssd: 'true' }, true],
    ['no ssd label', {}, false],
    ['ssd=false', { ssd: 'false' }, false],
    ['ssd=True (string equality)', { ssd: 'True' }, false],
  ])('%s', (_name, labels, runs) => {
    const e = nodeShouldRunDaemonPod(node({ labels }), seedDaemonSet(SSD_DRIVER));
    expect(e).toEqual(runs ? { shouldRun: true, shouldContinueRunning: true } : { shouldRun: false, shouldContinueRunning: false, reason: AFFINITY });
  });

  const expr = (r: NodeSelectorRequirement): NodeSelectorRequirement => r;
  it.each<[string, NodeSelectorRequirement[], NodeSelectorRequirement[], Record<string, string>, boolean]>([
    ['In matches', [expr({ key: 'zone', operator: 'In', values: ['a', 'b'] })], [], { zone: 'b' }, true],
    ['In absent label', [expr({ key: 'zone', operator: 'In', values: ['a'] })], [], {}, false],
    ['NotIn absent label', [expr({ key: 'zone', operator: 'NotIn', values: ['a'] })], [], {}, true],
    ['NotIn listed value', [expr({ key: 'zone', operator: 'NotIn', values: ['a'] })], [], { zone: 'a' }, false],
    ['Exists with empty value', [expr({ key: 'gpu', operator: 'Exists' })], [], { gpu: '' }, true],
    ['DoesNotExist', [expr({ key: 'gpu', operator: 'DoesNotExist' })], [], { gpu: 'x' }, false],
    ['Gt', [expr({ key: 'cores', operator: 'Gt', values: ['8'] })], [], { cores: '16' }, true],
    ['Gt equal', [expr({ key: 'cores', operator: 'Gt', values: ['8'] })], [], { cores: '8' }, false],
    ['Lt', [expr({ key: 'cores', operator: 'Lt', values: ['8'] })], [], { cores: '-3' }, true],
    ['Gt on a non-integer label', [expr({ key: 'cores', operator: 'Gt', values: ['8'] })], [], { cores: 'many' }, false],
    ['Gt with a non-integer value never parses', [expr({ key: 'cores', operator: 'Gt', values: ['x'] })], [], { cores: '16' }, false],
    ['In without values never parses', [expr({ key: 'zone', operator: 'In', values: [] })], [], { zone: 'a' }, false],
    ['unknown operator', [expr({ key: 'zone', operator: 'Like', values: ['a'] })], [], { zone: 'a' }, false],
    ['ANDed expressions', [expr({ key: 'zone', operator: 'In', values: ['a'] }), expr({ key: 'gpu', operator: 'Exists' })], [], { zone: 'a' }, false],
    ['matchFields metadata.name In', [], [expr({ key: 'metadata.name', operator: 'In', values: ['node1'] })], {}, true],
    ['matchFields metadata.name NotIn', [], [expr({ key: 'metadata.name', operator: 'NotIn', values: ['node1'] })], {}, false],
    ['matchFields with two values never parses', [], [expr({ key: 'metadata.name', operator: 'In', values: ['node1', 'x'] })], {}, false],
    ['fields and expressions ANDed', [expr({ key: 'zone', operator: 'In', values: ['a'] })], [expr({ key: 'metadata.name', operator: 'In', values: ['node1'] })], { zone: 'a' }, true],
  ])('required affinity: %s', (_name, matchExpressions, matchFields, labels, runs) => {
    const ds = daemonSet({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions, matchFields }] } } },
    });
    expect(nodeShouldRunDaemonPod(node({ labels }), ds).shouldRun).toBe(runs);
  });

  it('ORs terms, skips empty ones, and ANDs the nodeSelector', () => {
    const terms = [{}, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }];
    const ds = daemonSet({ nodeSelector: { disk: 'ssd' }, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    expect(nodeShouldRunDaemonPod(node({ labels: { zone: 'a', disk: 'ssd' } }), ds).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node({ labels: { zone: 'a' } }), ds).shouldRun).toBe(false);
    const onlyEmpty = daemonSet({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } });
    expect(nodeShouldRunDaemonPod(node(), onlyEmpty).shouldRun).toBe(false);
  });

  it('ignores preferred terms', () => {
    const ds = daemonSet({
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'x', operator: 'Exists' }] } }] } },
    });
    expect(nodeShouldRunDaemonPod(node(), ds).shouldRun).toBe(true);
  });

  it('honours template nodeName', () => {
    expect(nodeShouldRunDaemonPod(node(), daemonSet({ nodeName: 'node1' })).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node(), daemonSet({ nodeName: 'other' }))).toEqual({
      shouldRun: false,
      shouldContinueRunning: false,
      reason: "node(s) didn't match the requested node name",
    });
  });
});

describe('nodeShouldRunDaemonPod: taints', () => {
  const t = (key: string, effect: NodeTaint['effect'], value?: string): NodeTaint => (value === undefined ? { key, effect } : { key, value, effect });
  it.each<[string, string, NodeTaint[], boolean, boolean]>([
    ['no taints', FLUENTD_V1, [], true, true],
    ['untolerated NoSchedule keeps a running pod', FLUENTD_V1, [t('dedicated', 'NoSchedule', 'db')], false, true],
    ['untolerated NoExecute stops it', FLUENTD_V1, [t('dedicated', 'NoExecute', 'db')], false, false],
    ['PreferNoSchedule is ignored', FLUENTD_V1, [t('dedicated', 'PreferNoSchedule')], true, true],
    ['v1 tolerates master:NoSchedule with an empty value (Equal)', FLUENTD_V1, [t('node-role.kubernetes.io/master', 'NoSchedule')], true, true],
    ['v1 does not tolerate master=true:NoSchedule', FLUENTD_V1, [t('node-role.kubernetes.io/master', 'NoSchedule', 'true')], false, true],
    ['v2 tolerates master=true:NoSchedule (Exists)', FLUENTD_V2, [t('node-role.kubernetes.io/master', 'NoSchedule', 'true')], true, true],
    ['v1 does not tolerate control-plane', FLUENTD_V1, [t('node-role.kubernetes.io/control-plane', 'NoSchedule')], false, true],
    ['v2 tolerates control-plane', FLUENTD_V2, [t('node-role.kubernetes.io/control-plane', 'NoSchedule')], true, true],
    ['cordon taint is auto-tolerated', FLUENTD_V1, [t('node.kubernetes.io/unschedulable', 'NoSchedule')], true, true],
    ['not-ready NoExecute is auto-tolerated', FLUENTD_V1, [t('node.kubernetes.io/not-ready', 'NoExecute')], true, true],
    ['memory/disk/pid pressure are auto-tolerated', FLUENTD_V1, [t('node.kubernetes.io/memory-pressure', 'NoSchedule'), t('node.kubernetes.io/disk-pressure', 'NoSchedule'), t('node.kubernetes.io/pid-pressure', 'NoSchedule')], true, true],
    ['network-unavailable needs hostNetwork', FLUENTD_V1, [t('node.kubernetes.io/network-unavailable', 'NoSchedule')], false, true],
    ['hwameistor (hostNetwork) tolerates network-unavailable', HWAMEISTOR, [t('node.kubernetes.io/network-unavailable', 'NoSchedule')], true, true],
    ['hwameistor CriticalAddonsOnly has no effect: all effects', HWAMEISTOR, [t('CriticalAddonsOnly', 'NoExecute', 'true')], true, true],
    ['hwameistor eklet is untolerated', HWAMEISTOR, [t('eks.tke.cloud.tencent.com/eklet', 'NoSchedule')], false, true],
  ])('%s', (_name, seed, taints, shouldRun, shouldContinueRunning) => {
    const e = nodeShouldRunDaemonPod(node({ taints }), seedDaemonSet(seed));
    expect([e.shouldRun, e.shouldContinueRunning]).toEqual([shouldRun, shouldContinueRunning]);
  });

  it('names the untolerated taint like the scheduler', () => {
    expect(nodeShouldRunDaemonPod(node({ taints: [t('dedicated', 'NoSchedule', 'db')] }), daemonSet()).reason).toBe('node(s) had untolerated taint {dedicated: db}');
  });

  it('the Tencent eklet toleration lets the DaemonSet run', () => {
    const ds = daemonSet({ tolerations: [{ key: 'eks.tke.cloud.tencent.com/eklet', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(nodeShouldRunDaemonPod(node({ taints: [t('eks.tke.cloud.tencent.com/eklet', 'NoSchedule')] }), ds).shouldRun).toBe(true);
  });
});

describe('toleratesTaint', () => {
  const taint: NodeTaint = { key: 'k', value: 'v', effect: 'NoSchedule' };
  it.each<[Toleration, boolean]>([
    [{ operator: 'Exists' }, true],
    [{ key: 'k', operator: 'Exists' }, true],
    [{ key: 'k', value: 'v' }, true],
    [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, true],
    [{ key: 'k', operator: 'Equal', value: 'w' }, false],
    [{ key: 'k', operator: 'Exists', effect: 'NoExecute' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
    [{ key: 'k', operator: 'Lt', value: '5' }, false],
    [{ key: 'k', value: 'v', effect: 'NoSchedule', tolerationSeconds: 1 }, true],
  ])('%j', (tol, want) => {
    expect(toleratesTaint(tol, taint)).toBe(want);
  });
});

describe('daemonPodTolerations', () => {
  it('adds the controller defaults and replaces an identical user toleration', () => {
    const tolerations = daemonPodTolerations({
      containers: [],
      hostNetwork: true,
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' },
      ],
    });
    expect(tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });
});

describe('admitStaticPod (kubelet admission of manifest Pods)', () => {
  const pod = seedPod('004-pod-with-node-affinity.yaml');
  it.each<[string, Record<string, string>, NodeTaint[], ReturnType<typeof admitStaticPod>]>([
    ['zone label matches', { 'kubernetes.io/e2e-az-name': 'e2e-az2' }, [], { admit: true }],
    ['no zone label', {}, [], { admit: false, reason: 'NodeAffinity', message: `Predicate NodeAffinity failed: ${AFFINITY}` }],
    ['taints are not checked for static pods', { 'kubernetes.io/e2e-az-name': 'e2e-az1' }, [{ key: 'x', effect: 'NoExecute' }], { admit: true }],
  ])('%s', (_name, labels, taints, want) => {
    expect(admitStaticPod(pod, node({ labels, taints }))).toEqual(want);
  });

  it('checks nodeSelector, the kubernetes.io/os label and spec.os', () => {
    const base = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } } as const satisfies Pod;
    expect(admitStaticPod({ ...base, spec: { ...base.spec, nodeSelector: { ssd: 'true' } } }, node())).toMatchObject({ admit: false, reason: 'NodeAffinity' });
    expect(admitStaticPod({ ...base, metadata: { name: 'p', labels: { 'kubernetes.io/os': 'windows' } } }, node())).toEqual({
      admit: false,
      reason: 'PodOSSelectorNodeLabelDoesNotMatch',
      message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label",
    });
    expect(admitStaticPod({ ...base, spec: { ...base.spec, os: { name: 'windows' } } }, node())).toEqual({
      admit: false,
      reason: 'PodOSNotSupported',
      message: "Failed to admit pod as the OS field doesn't match node OS",
    });
  });
});
