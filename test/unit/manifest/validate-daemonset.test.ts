import { describe, expect, it } from 'vitest';
import type { DaemonSet, DaemonSetSpec } from 'kubernetes-types/apps/v1.js';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { defaultDaemonSet } from '../../../agent/manifest/defaults.js';
import { daemonSetWarnings, validateDaemonSet } from '../../../agent/manifest/validate-daemonset.js';

function baseDaemonSet(): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'agent', image: 'agent:1.0' }] },
      },
    },
  };
}

const spec = (ds: DaemonSet): DaemonSetSpec => ds.spec as DaemonSetSpec;
const podSpec = (ds: DaemonSet): PodSpec => spec(ds).template.spec as PodSpec;
const c0 = (ds: DaemonSet): Container => podSpec(ds).containers[0] as Container;

function messages(mutate: (ds: DaemonSet) => void): string[] {
  const ds = baseDaemonSet();
  mutate(ds);
  return validateDaemonSet(defaultDaemonSet(ds)).map((i) => i.message);
}

const MISMATCH = '`selector` does not match template `labels`';
const PERCENT_MSG =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

type Case = [name: string, mutate: (ds: DaemonSet) => void, expected: string[]];

const cases: Case[] = [
  ['a valid DaemonSet', () => {}, []],
  ['name missing', (ds) => void delete ds.metadata?.name, ['metadata.name: Required value: name or generateName is required']],
  [
    'selector missing',
    (ds) => void delete (spec(ds) as Partial<DaemonSetSpec>).selector,
    [`spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: ${MISMATCH}`],
  ],
  [
    'selector does not match the template labels',
    (ds) => (spec(ds).selector = { matchLabels: { app: 'other' } }),
    [`spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: ${MISMATCH}`],
  ],
  [
    'template without labels',
    (ds) => void delete spec(ds).template.metadata,
    [`spec.template.metadata.labels: Invalid value: map[string]string(nil): ${MISMATCH}`],
  ],
  [
    'empty selector',
    (ds) => (spec(ds).selector = {}),
    ['spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for daemonset'],
  ],
  ['selector by expression', (ds) => (spec(ds).selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['agent', 'x'] }] }), []],
  [
    'selector expression operator',
    (ds) => (spec(ds).selector = { matchExpressions: [{ key: 'app', operator: 'Like', values: ['agent'] }] }),
    ['spec.selector.matchExpressions[0].operator: Invalid value: "Like": not a valid selector operator'],
  ],
  [
    'restartPolicy must be Always',
    (ds) => (podSpec(ds).restartPolicy = 'OnFailure'),
    ['spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
  ],
  [
    'activeDeadlineSeconds',
    (ds) => (podSpec(ds).activeDeadlineSeconds = 60),
    ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported'],
  ],
  ['minReadySeconds', (ds) => (spec(ds).minReadySeconds = -1), ['spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0']],
  [
    'revisionHistoryLimit',
    (ds) => (spec(ds).revisionHistoryLimit = -3),
    ['spec.revisionHistoryLimit: Invalid value: -3: must be greater than or equal to 0'],
  ],
  ['revisionHistoryLimit 0 keeps no history', (ds) => (spec(ds).revisionHistoryLimit = 0), []],
  [
    'updateStrategy type',
    (ds) => (spec(ds).updateStrategy = { type: 'Recreate' }),
    [
      'spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Recreate", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"',
    ],
  ],
  ['OnDelete', (ds) => (spec(ds).updateStrategy = { type: 'OnDelete' }), []],
  ['surge instead of unavailable', (ds) => (spec(ds).updateStrategy = { rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }), []],
  [
    'maxSurge alone keeps the default maxUnavailable 1',
    (ds) => (spec(ds).updateStrategy = { rollingUpdate: { maxSurge: 1 } }),
    ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero'],
  ],
  [
    'both zero',
    (ds) => (spec(ds).updateStrategy = { rollingUpdate: { maxUnavailable: 0 } }),
    ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
  ],
  [
    'negative maxUnavailable',
    (ds) => (spec(ds).updateStrategy = { rollingUpdate: { maxUnavailable: -1 } }),
    ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be greater than or equal to 0'],
  ],
  [
    'malformed percent',
    (ds) => (spec(ds).updateStrategy = { rollingUpdate: { maxUnavailable: '50x' } }),
    [
      `spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 50x: ${PERCENT_MSG}`,
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
    ],
  ],
  [
    'percent above 100',
    (ds) => (spec(ds).updateStrategy = { rollingUpdate: { maxUnavailable: '150%' } }),
    ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%'],
  ],
  ['percent maxUnavailable', (ds) => (spec(ds).updateStrategy = { rollingUpdate: { maxUnavailable: '10%' } }), []],

  // the template is validated like a pod spec, with template paths
  ['template container image', (ds) => (c0(ds).image = ''), ['spec.template.spec.containers[0].image: Required value']],
  [
    'template label value',
    (ds) => {
      spec(ds).template.metadata = { labels: { app: 'agent', tier: '-x' } };
    },
    [
      "spec.template.labels: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
  ],
  [
    'template hostPort under hostNetwork may stay 0',
    (ds) => {
      podSpec(ds).hostNetwork = true;
      c0(ds).ports = [{ containerPort: 9100 }];
    },
    [],
  ],
  [
    'template hostPort under hostNetwork must match when set',
    (ds) => {
      podSpec(ds).hostNetwork = true;
      c0(ds).ports = [{ containerPort: 9100, hostPort: 9200 }];
    },
    ['spec.template.spec.containers[0].ports[0].hostPort: Invalid value: 9200: must match `containerPort` when `hostNetwork` is true'],
  ],
  [
    'template ephemeral containers',
    (ds) => (podSpec(ds).ephemeralContainers = [{ name: 'debug', image: 'busybox:1.36' }]),
    ['spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template'],
  ],
  ['template secret volume', (ds) => (podSpec(ds).volumes = [{ name: 's', secret: { secretName: 's' } }]), ['static pods may not reference secrets']],
  ['template service account', (ds) => (podSpec(ds).serviceAccountName = 'agent'), ['static pods may not reference serviceaccounts']],
];

describe('validateDaemonSet', () => {
  it.each(cases)('%s', (_name, mutate, expected) => {
    expect(messages(mutate)).toEqual(expected);
  });

  it('hints at the missing apps/v1 selector', () => {
    const ds = baseDaemonSet();
    delete (spec(ds) as Partial<DaemonSetSpec>).selector;
    const [issue] = validateDaemonSet(defaultDaemonSet(ds));
    expect(issue?.field).toBe('spec.template.metadata.labels');
    expect(issue?.hint).toMatch(/spec\.selector/);
  });
});

describe('daemonSetWarnings', () => {
  it('warns when a surge rollout would fight over host ports', () => {
    const ds = baseDaemonSet();
    spec(ds).updateStrategy = { rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };
    c0(ds).ports = [{ containerPort: 80, hostPort: 80 }];
    expect(daemonSetWarnings(defaultDaemonSet(ds)).map((w) => w.field)).toEqual(['spec.updateStrategy.rollingUpdate.maxSurge']);
  });

  it('is quiet without surge or without host ports', () => {
    const ds = baseDaemonSet();
    c0(ds).ports = [{ containerPort: 80, hostPort: 80 }];
    expect(daemonSetWarnings(defaultDaemonSet(ds))).toEqual([]);
    const surge = baseDaemonSet();
    spec(surge).updateStrategy = { rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };
    expect(daemonSetWarnings(defaultDaemonSet(surge))).toEqual([]);
  });
});
