import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import { describe, expect, it } from 'vitest';
import type { Eligibility } from '../../../agent/node/eligibility.js';
import { daemonPodIdentity } from '../../../agent/daemonset/expand.js';
import {
  type DaemonPodState,
  nextFailedPodBackoff,
  planRollout,
  type RolloutAction,
  type RolloutInput,
  trackRolloutProgress,
} from '../../../agent/daemonset/rollout.js';
import { daemonSet } from './fixtures.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');
const DS_UID = 'ds-uid';
const RUN: Eligibility = { shouldRun: true, shouldContinueRunning: true };
const KEEP: Eligibility = { shouldRun: false, shouldContinueRunning: true, reason: 'node(s) had untolerated taint {dedicated: db}' };
const STOP: Eligibility = { shouldRun: false, shouldContinueRunning: false, reason: "node(s) didn't match Pod's node affinity/selector" };

const ROLLING = daemonSet();
const SURGE = daemonSet({}, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
const SURGE_PERCENT = daemonSet({}, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '0%', maxSurge: '100%' } } });
const ON_DELETE = daemonSet({}, { strategy: { type: 'OnDelete' } });
const MIN_READY = daemonSet({}, { minReadySeconds: 10 });
const SURGE_MIN_READY = daemonSet({}, { minReadySeconds: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
const SURGE_HOSTPORT = daemonSet(
  { containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80, hostPort: 8080 }] }] },
  { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } },
);

function pod(name: string, hash: string, partial: Partial<DaemonPodState> = {}): DaemonPodState {
  return { uid: `uid-${name}`, name, hash, createdAt: NOW - 3_600_000, phase: 'Running', ready: true, readySince: NOW - 3_000_000, terminating: false, ...partial };
}
const OLD = (p: Partial<DaemonPodState> = {}): DaemonPodState => pod('agent-old', 'old', p);
const NEW = (p: Partial<DaemonPodState> = {}): DaemonPodState => pod('agent-new', 'new', { createdAt: NOW - 60_000, ...p });

function plan(ds: DaemonSet, pods: DaemonPodState[], extra: Partial<RolloutInput> = {}) {
  return planRollout({ ds, dsUid: DS_UID, nodeName: 'node1', current: { revision: 2, hash: 'new' }, eligibility: RUN, pods, now: NOW, ...extra });
}

/** Actions as short strings: `create new(surge)`, `delete agent-old RollingUpdate`, `wait +10001ms`. */
function brief(actions: readonly RolloutAction[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'createPod':
        return `create ${a.hash}${a.surge ? '(surge)' : ''}${a.ordinal ? `#${a.ordinal}` : ''}`;
      case 'deletePod':
        return `delete ${a.name} ${a.reason}`;
      case 'wait':
        return `wait +${a.until - NOW}ms`;
      case 'rollback':
        return `rollback to ${a.toRevision}`;
    }
  });
}

describe('planRollout: manage loop', () => {
  it.each<[string, DaemonSet, DaemonPodState[], Eligibility, string[]]>([
    ['no pod: create from the current revision', ROLLING, [], RUN, ['create new']],
    ['up to date and running: nothing', ROLLING, [NEW()], RUN, []],
    ['untolerated NoSchedule: no new pod', ROLLING, [], KEEP, []],
    ['untolerated NoSchedule: the running pod stays', ROLLING, [NEW()], KEEP, []],
    ['label/affinity mismatch or NoExecute: delete', ROLLING, [NEW()], STOP, ['delete agent-new NotEligible']],
    ['not eligible: a terminating pod is not deleted twice', ROLLING, [NEW({ terminating: true })], STOP, []],
    ['Succeeded pod is deleted', ROLLING, [NEW({ phase: 'Succeeded', ready: false })], RUN, ['delete agent-new SucceededDaemonPod']],
    ['without surge the oldest of two running pods stays', ROLLING, [NEW({ createdAt: NOW - 10 }), NEW({ uid: 'u2', name: 'agent-new2', createdAt: NOW - 20 })], RUN, ['delete agent-new ExcessPod']],
    ['a pod that is still terminating blocks the new one (no surge)', ROLLING, [OLD({ terminating: true })], RUN, []],
    ['a deleted pod that has finished no longer counts', ROLLING, [OLD({ terminating: true, phase: 'Failed', ready: false })], RUN, ['create new']],
    ['OnDelete: an old pod stays', ON_DELETE, [OLD()], RUN, []],
    ['OnDelete: a deleted pod is replaced from the current revision', ON_DELETE, [], RUN, ['create new']],
    ['OnDelete: nothing while the deleted pod terminates', ON_DELETE, [OLD({ terminating: true })], RUN, []],
  ])('%s', (_name, ds, pods, eligibility, want) => {
    expect(brief(plan(ds, pods, { eligibility }).actions)).toEqual(want);
  });

  it('deletes a Failed pod with an event and backs off the next deletion', () => {
    const p = plan(ROLLING, [NEW({ phase: 'Failed', ready: false })]);
    expect(brief(p.actions)).toEqual(['delete agent-new FailedDaemonPod']);
    expect(p.events).toEqual([{ type: 'Warning', reason: 'FailedDaemonPod', message: 'Found failed daemon pod default/agent-new on node node1, will try to kill it' }]);
    expect(p.failedPodBackoff).toEqual({ delayMs: 1000, lastUpdate: NOW });
    const again = plan(ROLLING, [NEW({ phase: 'Failed', ready: false })], { failedPodBackoff: { delayMs: 4000, lastUpdate: NOW - 1000 } });
    expect(brief(again.actions)).toEqual(['wait +3000ms']);
  });

  it('backoff doubles to 15 minutes and resets after a long quiet period', () => {
    expect(nextFailedPodBackoff({ delayMs: 1000, lastUpdate: NOW - 5000 }, NOW)).toEqual({ delayMs: 2000, lastUpdate: NOW });
    expect(nextFailedPodBackoff({ delayMs: 600_000, lastUpdate: NOW - 5000 }, NOW)).toEqual({ delayMs: 900_000, lastUpdate: NOW });
    expect(nextFailedPodBackoff({ delayMs: 900_000, lastUpdate: NOW - 31 * 60_000 }, NOW)).toEqual({ delayMs: 1000, lastUpdate: NOW });
  });
});

describe('planRollout: RollingUpdate without surge (stop old, then start new)', () => {
  it.each<[string, DaemonSet, DaemonPodState[], Eligibility, string[]]>([
    ['fluentd v1 -> v2: the available old pod is deleted first', ROLLING, [OLD()], RUN, ['delete agent-old RollingUpdate']],
    ['an old pod that is not ready is replaced at once', ROLLING, [OLD({ ready: false, readySince: undefined })], RUN, ['delete agent-old RollingUpdate']],
    ['an old pod ready for less than minReadySeconds is unavailable, replaced at once', MIN_READY, [OLD({ readySince: NOW - 5000 })], RUN, ['delete agent-old RollingUpdate']],
    ['the new pod waits for minReadySeconds', MIN_READY, [NEW({ readySince: NOW - 5000 })], RUN, ['wait +5001ms']],
    ['a broken new template (crash loop) stalls', ROLLING, [NEW({ ready: false, readySince: undefined })], RUN, []],
    ['the new pod with a missing image stalls too', ROLLING, [NEW({ phase: 'Pending', ready: false, readySince: undefined })], RUN, []],
    ['a fixed template replaces the broken new pod at once', ROLLING, [pod('agent-broken', 'broken', { ready: false, readySince: undefined })], RUN, ['delete agent-broken RollingUpdate']],
    ['NoSchedule taint: the old pod is still rolled (and not recreated)', ROLLING, [OLD()], KEEP, ['delete agent-old RollingUpdate']],
    ['old and new together without surge: manage keeps the oldest', ROLLING, [OLD(), NEW()], RUN, ['delete agent-new ExcessPod']],
  ])('%s', (_name, ds, pods, eligibility, want) => {
    expect(brief(plan(ds, pods, { eligibility }).actions)).toEqual(want);
  });

  it('pod-template-generation also marks a pod as updated', () => {
    expect(brief(plan(ROLLING, [OLD({ templateGeneration: '2' })], { templateGeneration: 2 }).actions)).toEqual([]);
  });
});

describe('planRollout: RollingUpdate with maxSurge (start new beside old)', () => {
  it.each<[string, DaemonSet, DaemonPodState[], Eligibility, string[]]>([
    ['the new pod starts beside the available old one', SURGE, [OLD()], RUN, ['create new(surge)']],
    ['percentages: 100% surge on one node is one pod', SURGE_PERCENT, [OLD()], RUN, ['create new(surge)']],
    ['the new pod is not ready yet: wait', SURGE, [OLD(), NEW({ ready: false, readySince: undefined })], RUN, []],
    ['the new pod is ready: the old one goes', SURGE, [OLD(), NEW()], RUN, ['delete agent-old Replaced']],
    ['ready but not yet for minReadySeconds: wait', SURGE_MIN_READY, [OLD(), NEW({ readySince: NOW - 4000 })], RUN, ['wait +6001ms']],
    ['ready for minReadySeconds: the old one goes', SURGE_MIN_READY, [OLD(), NEW({ readySince: NOW - 11_000 })], RUN, ['delete agent-old Replaced']],
    ['an old pod that is not ready goes at once', SURGE, [OLD({ ready: false }), NEW({ ready: false })], RUN, ['delete agent-old OldPodNotReady']],
    ['an unavailable old pod gets its replacement at once', SURGE_MIN_READY, [OLD({ readySince: NOW - 1000 })], RUN, ['create new(surge)', 'wait +9001ms']],
    ['node no longer wanted: the old pod goes without a replacement', SURGE, [OLD()], KEEP, ['delete agent-old RollingUpdate']],
    ['a deleted current pod is recreated beside its terminating self', SURGE, [NEW({ uid: daemonPodIdentity('agent', DS_UID, 'node1', 'new', 0).uid, terminating: true })], RUN, ['create new#1']],
  ])('%s', (_name, ds, pods, eligibility, want) => {
    expect(brief(plan(ds, pods, { eligibility }).actions)).toEqual(want);
  });

  it('gives the recreated pod an identity of its own', () => {
    const first = daemonPodIdentity('agent', DS_UID, 'node1', 'new', 0).uid;
    const p = plan(SURGE, [NEW({ uid: first, terminating: true })]);
    expect(p.actions[0]).toMatchObject({ kind: 'createPod', ordinal: 1, uid: daemonPodIdentity('agent', DS_UID, 'node1', 'new', 1).uid });
  });

  it('warns that surge pods would need the same host port', () => {
    const p = plan(SURGE_HOSTPORT, [OLD()]);
    expect(brief(p.actions)).toEqual(['create new(surge)']);
    expect(p.warnings).toEqual([
      'DaemonSet default/agent: maxSurge starts the new pod while the old one still runs, but both need host port(s) 8080/TCP; the new pod cannot bind them and the rollout will not finish (kubernetes/kubernetes#106417). Use maxSurge: 0 (maxUnavailable: 1) for this DaemonSet.',
    ]);
    expect(plan(ROLLING, [OLD()]).warnings).toEqual([]);
  });
});

describe('planRollout: auto-rollback', () => {
  const AUTO = daemonSet({}, { annotations: { 'nodelet.io/auto-rollback': 'true' } });
  const AUTO_60 = daemonSet({}, { annotations: { 'nodelet.io/auto-rollback': 'true', 'nodelet.io/progress-deadline-seconds': '60' } });
  const history = [
    { revision: 1, hash: 'old' },
    { revision: 2, hash: 'new' },
  ];
  const broken = [NEW({ ready: false, readySince: undefined })];
  it.each<[string, DaemonSet, DaemonPodState[], RolloutInput['progress'], string[]]>([
    ['not available within 600 s: roll back to the last complete revision', AUTO, broken, { hash: 'new', since: NOW - 601_000, lastComplete: 'old' }, ['rollback to 1']],
    ['before the deadline: wait for it', AUTO, broken, { hash: 'new', since: NOW - 100_000, lastComplete: 'old' }, ['wait +500000ms']],
    ['custom deadline', AUTO_60, broken, { hash: 'new', since: NOW - 61_000, lastComplete: 'old' }, ['rollback to 1']],
    ['without the annotation nothing happens', ROLLING, broken, { hash: 'new', since: NOW - 601_000, lastComplete: 'old' }, []],
    ['nothing ever completed: nothing to roll back to', AUTO, broken, { hash: 'new', since: NOW - 601_000 }, []],
    ['the new revision is available: done', AUTO, [NEW()], { hash: 'new', since: NOW - 601_000, lastComplete: 'old' }, []],
  ])('%s', (_name, ds, pods, progress, want) => {
    expect(brief(plan(ds, pods, { progress, history }).actions)).toEqual(want);
  });

  it('explains the rollback', () => {
    const p = plan(AUTO, broken, { progress: { hash: 'new', since: NOW - 601_000, lastComplete: 'old' }, history });
    expect(p.actions[0]).toEqual({
      kind: 'rollback',
      toRevision: 1,
      toHash: 'old',
      fromRevision: 2,
      message: 'revision 2 of daemon set "agent" did not become available within 600s; rolling back to revision 1',
    });
    expect(p.events).toEqual([{ type: 'Warning', reason: 'ProgressDeadlineExceeded', message: 'revision 2 of daemon set "agent" did not become available within 600s; rolling back to revision 1' }]);
  });

  it('warns about a bad deadline and uses the default', () => {
    const ds = daemonSet({}, { annotations: { 'nodelet.io/auto-rollback': 'true', 'nodelet.io/progress-deadline-seconds': 'soon' } });
    expect(plan(ds, [NEW()]).warnings).toEqual(['annotation nodelet.io/progress-deadline-seconds: "soon" is not a positive number of seconds; using 600']);
  });

  it('arms the deadline on the first pass of a new revision, from the progress that pass records', () => {
    // The controller tracks progress before planning, as here: the record of the revision that
    // completed (old) turns into the new revision's record with its clock starting now.
    const progress = trackRolloutProgress({ hash: 'old', since: NOW - 900_000, lastComplete: 'old' }, 'new', { shouldRun: true, complete: false }, NOW);
    expect(brief(plan(AUTO, broken, { progress, history }).actions)).toEqual(['wait +600000ms']);
  });

  it('tracks progress: the clock restarts with each revision and while the node does not want the pod', () => {
    const p1 = trackRolloutProgress(undefined, 'a', { shouldRun: true, complete: false }, 100);
    expect(p1).toEqual({ hash: 'a', since: 100 });
    const p2 = trackRolloutProgress(p1, 'a', { shouldRun: true, complete: true }, 200);
    expect(p2).toEqual({ hash: 'a', since: 100, lastComplete: 'a' });
    const p3 = trackRolloutProgress(p2, 'b', { shouldRun: true, complete: false }, 300);
    expect(p3).toEqual({ hash: 'b', since: 300, lastComplete: 'a' });
    expect(trackRolloutProgress(p3, 'b', { shouldRun: false, complete: true }, 400)).toEqual({ hash: 'b', since: 400, lastComplete: 'a' });
  });
});
