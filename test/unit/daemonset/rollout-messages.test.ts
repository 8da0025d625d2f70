import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import { describe, expect, it } from 'vitest';
import { CHANGE_CAUSE_ANNOTATION, computeRevisions, type DaemonSetRevision } from '../../../agent/daemonset/revisions.js';
import { controllerRevisionCells, imageUpdatedMessage, planUndo, restartedMessage, rolloutStatus } from '../../../agent/daemonset/rollout-messages.js';
import { describePodTemplate, rolloutHistory, undoDryRun } from '../../../agent/cli/printers/rollout.js';
import { FLUENTD_V1, FLUENTD_V2, daemonSet, seedDaemonSet } from './fixtures.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');

function withStatus(ds: DaemonSet, generation: number, status: Partial<DaemonSetStatus>): DaemonSet {
  return {
    ...ds,
    metadata: { ...ds.metadata, generation },
    status: { currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 1, ...status },
  };
}

describe('rollout status', () => {
  const ds = seedDaemonSet(FLUENTD_V2);
  it.each<[string, number, Partial<DaemonSetStatus>, string, boolean]>([
    ['spec not observed yet', 3, { observedGeneration: 2 }, 'Waiting for daemon set spec update to be observed...', false],
    ['old pod still there', 2, { observedGeneration: 2, updatedNumberScheduled: 0 }, 'Waiting for daemon set "fluentd-elasticsearch" rollout to finish: 0 out of 1 new pods have been updated...', false],
    ['new pod not available', 2, { observedGeneration: 2, updatedNumberScheduled: 1, numberAvailable: 0 }, 'Waiting for daemon set "fluentd-elasticsearch" rollout to finish: 0 of 1 updated pods are available...', false],
    ['done', 2, { observedGeneration: 2, updatedNumberScheduled: 1, numberAvailable: 1 }, 'daemon set "fluentd-elasticsearch" successfully rolled out', true],
    ['nothing wanted on this node is done too', 2, { observedGeneration: 2, desiredNumberScheduled: 0 }, 'daemon set "fluentd-elasticsearch" successfully rolled out', true],
  ])('%s', (_name, generation, status, message, done) => {
    expect(rolloutStatus(withStatus(ds, generation, status))).toEqual({ ok: true, value: { message, done } });
  });

  it('is only available for RollingUpdate', () => {
    expect(rolloutStatus(daemonSet({}, { strategy: { type: 'OnDelete' } }))).toEqual({ ok: false, error: 'rollout status is only available for RollingUpdate strategy type' });
  });
});

function fluentdHistory(): DaemonSetRevision[] {
  const v1 = seedDaemonSet(FLUENTD_V1);
  const v2 = seedDaemonSet(FLUENTD_V2);
  v2.metadata = { ...v2.metadata, annotations: { 'kubernetes.io/change-cause': 'kubectl apply --filename=fluentd-daemonset-update.yaml --record=true' } };
  const first = computeRevisions(v1, [], new Set(), { now: T0 });
  return [...computeRevisions(v2, first.history, new Set(), { now: T0 + 1000 }).history];
}

describe('rollout history', () => {
  it('prints the table', () => {
    expect(rolloutHistory('fluentd-elasticsearch', fluentdHistory())).toEqual({
      ok: true,
      value:
        'daemonset.apps/fluentd-elasticsearch\n' +
        'REVISION  CHANGE-CAUSE\n' +
        '1         <none>\n' +
        '2         kubectl apply --filename=fluentd-daemonset-update.yaml --record=true\n' +
        '\n',
    });
  });

  it('prints a CHANGE-CAUSE with a newline or a tab on one line, escaped and quoted (issue 12 item 8c)', () => {
    const [first, second] = fluentdHistory();
    if (!first || !second) throw new Error('fixture');
    const history = [
      { ...first, annotations: { [CHANGE_CAUSE_ANNOTATION]: 'nodelet set image ds/x c=busybox:1.37\nREVISION 9\tforged' } },
      { ...second, annotations: { [CHANGE_CAUSE_ANNOTATION]: 'plain "quoted" \\ cause' } },
    ];
    expect(rolloutHistory('fluentd-elasticsearch', history)).toEqual({
      ok: true,
      value:
        'daemonset.apps/fluentd-elasticsearch\n' +
        'REVISION  CHANGE-CAUSE\n' +
        '1         "nodelet set image ds/x c=busybox:1.37\\nREVISION 9\\tforged"\n' +
        '2         plain "quoted" \\ cause\n' +
        '\n',
    });
  });

  it('prints a revision as kubectl describes a pod template (tabs included)', () => {
    expect(rolloutHistory('fluentd-elasticsearch', fluentdHistory(), 1)).toEqual({
      ok: true,
      value: [
        'daemonset.apps/fluentd-elasticsearch with revision #1',
        'Pod Template:',
        '  Labels:\tname=fluentd-elasticsearch',
        '  Containers:',
        '   fluentd-elasticsearch:',
        '    Image:\tquay.io/fluentd_elasticsearch/fluentd:v2.5.2',
        '    Port:\t<none>',
        '    Host Port:\t<none>',
        '    Environment:\t<none>',
        '    Mounts:',
        '      /var/lib/docker/containers from varlibdockercontainers (ro)',
        '      /var/log from varlog (rw)',
        '  Volumes:',
        '   varlog:',
        '    Type:\tHostPath (bare host directory volume)',
        '    Path:\t/var/log',
        '    HostPathType:\t',
        '   varlibdockercontainers:',
        '    Type:\tHostPath (bare host directory volume)',
        '    Path:\t/var/lib/docker/containers',
        '    HostPathType:\t',
        '  Node-Selectors:\t<none>',
        '  Tolerations:\tnode-role.kubernetes.io/master:NoSchedule',
        '',
        '',
      ].join('\n'),
    });
  });

  it('describes resources, env, ports and tolerations of revision 2', () => {
    const text = describePodTemplate(fluentdHistory()[1]?.template ?? {});
    expect(text).toContain('    Limits:\n      memory:\t200Mi\n    Requests:\n      cpu:\t100m\n      memory:\t200Mi\n');
    expect(text).toContain('  Tolerations:\tnode-role.kubernetes.io/control-plane:NoSchedule op=Exists\n\tnode-role.kubernetes.io/master:NoSchedule op=Exists\n');
    const ds = daemonSet({
      containers: [
        {
          name: 'c',
          image: 'i',
          ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, protocol: 'UDP' }],
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'A', value: 'b' }],
          args: ['--v=5'],
        },
      ],
    });
    const described = describePodTemplate(ds.spec?.template ?? {});
    expect(described).toContain('    Ports:\t80/TCP, 53/UDP\n    Host Ports:\t8080/TCP, 0/UDP\n    Args:\n      --v=5\n');
    expect(described).toContain('    Environment:\n      NODE:\t (v1:spec.nodeName)\n      A:\tb\n');
  });

  it('errors and empty history', () => {
    expect(rolloutHistory('x', fluentdHistory(), 9)).toEqual({ ok: false, error: 'unable to find the specified revision' });
    expect(rolloutHistory('x', [])).toEqual({ ok: true, value: 'daemonset.apps/x\nNo rollout history found.\n' });
  });
});

describe('rollout undo', () => {
  const v2 = seedDaemonSet(FLUENTD_V2);
  const history = fluentdHistory();
  it.each<[string, DaemonSet, DaemonSetRevision[], number, ReturnType<typeof planUndo>['kind'], string]>([
    ['to the previous revision', v2, history, 0, 'rollback', 'daemonset.apps/fluentd-elasticsearch rolled back'],
    ['to revision 1', v2, history, 1, 'rollback', 'daemonset.apps/fluentd-elasticsearch rolled back'],
    ['to the current template', v2, history, 2, 'skipped', 'daemonset.apps/fluentd-elasticsearch skipped rollback (current template already matches revision 2)'],
    ['negative revision', v2, history, -1, 'error', 'unable to find specified revision -1 in history'],
    ['unknown revision', v2, history, 5, 'error', 'unable to find specified revision 5 in history'],
    ['only one revision', v2, history.slice(1), 0, 'error', 'no last revision to roll back to'],
  ])('%s', (_name, ds, hist, to, kind, text) => {
    const r = planUndo(ds, hist, to);
    expect(r.kind).toBe(kind);
    if (r.kind === 'error') expect(r.error).toBe(text);
    else if (r.kind === 'rollback' || r.kind === 'skipped') expect(r.message).toBe(text);
    if (r.kind === 'rollback') expect(r.revision.revision).toBe(1);
  });

  it('--dry-run prints the template it would roll back to', () => {
    const r = undoDryRun(v2, history, 0);
    expect(undoDryRun(v2, history, 5)).toEqual({ kind: 'error', error: 'unable to find specified revision 5 in history' });
    expect(r.kind).toBe('dryRun');
    if (r.kind === 'dryRun') {
      expect(r.output.startsWith('daemonset.apps/fluentd-elasticsearch will roll back to Pod Template:\n  Labels:\tname=fluentd-elasticsearch\n')).toBe(true);
      expect(r.output.endsWith('\n (dry run)\n')).toBe(true);
    }
  });

  it('other rollout messages', () => {
    expect(restartedMessage('x')).toBe('daemonset.apps/x restarted');
    expect(imageUpdatedMessage('x')).toBe('daemonset.apps/x image updated');
    const rev = history[0] as DaemonSetRevision;
    expect(controllerRevisionCells(rev, 'fluentd-elasticsearch')).toEqual([rev.name, 'daemonset.apps/fluentd-elasticsearch', '1']);
  });
});
