import { describe, it, expect } from 'vitest';
import type { DesiredPod } from '../../../agent/core/types.js';
import type { ObservedContainer, ObservedPod, PodAction, PodPlan } from '../../../agent/core/runtime-types.js';
import { backoffKey, computePodActions, type PlanContext } from '../../../agent/sync/plan.js';
import { DEFAULT_BACKOFF, nextBackoff, type BackoffEntry } from '../../../agent/sync/backoff.js';
import { containerSpecHash } from '../../../agent/translate/spec-hash.js';
import { LABELS } from '../../../agent/core/labels.js';
import { T0, container, desiredPod, instance, observedPod, sandbox, sidecar } from '../../helpers/builders.js';

const S = 1000;
const NOW = T0 + 3600 * S;

function ctx(overrides: Partial<PlanContext> = {}): PlanContext {
  return { now: NOW, backoff: new Map(), backoffPolicy: DEFAULT_BACKOFF, ...overrides };
}

/** One line per action, enough to read a plan at a glance. */
function summary(actions: readonly PodAction[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'killPod':
        return `killPod ${a.reason}`;
      case 'prepareVolumes':
        return 'prepareVolumes';
      case 'createSandbox':
        return `createSandbox ${a.attempt}`;
      case 'startContainer':
        return `start ${a.container}#${a.restartCount}`;
      case 'killContainer':
        return `kill ${a.containerId} ${a.reason}`;
      case 'removeContainers':
        return `remove ${a.containerIds.join(',')}`;
      case 'cleanupPod':
        return 'cleanupPod';
      case 'backoff':
        return `backoff ${a.container}`;
    }
  });
}

function find<T extends PodAction['type']>(plan: PodPlan, type: T): Extract<PodAction, { type: T }>[] {
  return plan.actions.filter((a): a is Extract<PodAction, { type: T }> => a.type === type);
}

// -------------------------------------------------------------------------------------------
// Pods used by the scenarios

const simple = desiredPod({ containers: [container('app')] });
const twoApps = desiredPod({ containers: [container('web'), container('log')] });
const withInits = desiredPod({ initContainers: [container('init1'), container('init2')], containers: [container('app')] });
const withInitsNever = desiredPod({ initContainers: [container('init1'), container('init2')], containers: [container('app')], restartPolicy: 'Never' });
const withSidecar = desiredPod({ initContainers: [sidecar('proxy'), container('migrate')], containers: [container('app')] });
const jobOnFailure = desiredPod({ containers: [container('a'), container('b')], restartPolicy: 'OnFailure' });
const jobNever = desiredPod({ containers: [container('a'), container('b')], restartPolicy: 'Never' });
const sidecarJob = desiredPod({ initContainers: [sidecar('proxy')], containers: [container('job')], restartPolicy: 'OnFailure' });

const exited = (exitCode: number, at: number): { state: 'exited'; exitCode: number; finishedAt: number } => ({ state: 'exited', exitCode, finishedAt: at });

interface Scenario {
  readonly name: string;
  readonly desired: DesiredPod | undefined;
  readonly observed: ObservedPod | undefined;
  readonly ctx?: Partial<PlanContext>;
  readonly expected: readonly string[];
}

const scenarios: Scenario[] = [
  // -- fresh pods ---------------------------------------------------------------------------
  {
    name: 'fresh pod without init containers: sandbox + every app container',
    desired: twoApps,
    observed: undefined,
    expected: ['prepareVolumes', 'createSandbox 0', 'start web#0', 'start log#0'],
  },
  {
    name: 'fresh pod with init containers: sandbox + the first init container only',
    desired: withInits,
    observed: observedPod(withInits),
    expected: ['prepareVolumes', 'createSandbox 0', 'start init1#0'],
  },
  {
    name: 'steady pod: nothing to do',
    desired: twoApps,
    observed: observedPod(twoApps, { sandboxes: [sandbox(twoApps)], containers: [instance(twoApps, 'web'), instance(twoApps, 'log')] }),
    expected: [],
  },

  // -- init containers ----------------------------------------------------------------------
  {
    name: 'init order: the first init container is still running → wait',
    desired: withInits,
    observed: observedPod(withInits, { sandboxes: [sandbox(withInits)], containers: [instance(withInits, 'init1')] }),
    expected: [],
  },
  {
    name: 'init order: the second init container starts once the first exited 0',
    desired: withInits,
    observed: observedPod(withInits, { sandboxes: [sandbox(withInits)], containers: [instance(withInits, 'init1', exited(0, T0 + 5 * S))] }),
    expected: ['start init2#0'],
  },
  {
    name: 'init order: app containers start once the last init container exited 0',
    desired: withInits,
    observed: observedPod(withInits, {
      sandboxes: [sandbox(withInits)],
      containers: [instance(withInits, 'init1', exited(0, T0 + 5 * S)), instance(withInits, 'init2', exited(0, T0 + 9 * S))],
    }),
    expected: ['start app#0'],
  },
  {
    name: 'init done: an app container exists, removed init containers are not re-run',
    desired: withInits,
    observed: observedPod(withInits, { sandboxes: [sandbox(withInits)], containers: [instance(withInits, 'app')] }),
    expected: [],
  },
  {
    name: 'init done even when the app container has exited (it is restarted, inits are not)',
    desired: withInits,
    observed: observedPod(withInits, { sandboxes: [sandbox(withInits)], containers: [instance(withInits, 'app', exited(1, NOW - 60 * S))] }),
    expected: ['start app#1'],
  },
  {
    name: 'failed init container under Always: first restart is immediate',
    desired: withInits,
    observed: observedPod(withInits, { sandboxes: [sandbox(withInits)], containers: [instance(withInits, 'init1', exited(1, NOW - S))] }),
    expected: ['start init1#1'],
  },
  {
    name: 'failed init container under Never: the pod fails',
    desired: withInitsNever,
    observed: observedPod(withInitsNever, { sandboxes: [sandbox(withInitsNever)], containers: [instance(withInitsNever, 'init1', exited(1, NOW - S))] }),
    expected: ['killPod PodFailed'],
  },
  {
    name: 'failed init container under Never, later pass: stable, nothing restarts',
    desired: withInitsNever,
    observed: observedPod(withInitsNever, {
      sandboxes: [sandbox(withInitsNever, { state: 'exited' })],
      containers: [instance(withInitsNever, 'init1', exited(1, NOW - S))],
    }),
    expected: [],
  },
  {
    name: 'OOM-killed init container counts as failed',
    desired: withInitsNever,
    observed: observedPod(withInitsNever, {
      sandboxes: [sandbox(withInitsNever)],
      containers: [instance(withInitsNever, 'init1', { ...exited(0, NOW - S), oomKilled: true })],
    }),
    expected: ['killPod PodFailed'],
  },

  // -- sidecars -----------------------------------------------------------------------------
  {
    name: 'sidecar pod, fresh: sandbox + the sidecar',
    desired: withSidecar,
    observed: undefined,
    expected: ['prepareVolumes', 'createSandbox 0', 'start proxy#0'],
  },
  {
    name: 'sidecar running: the next init container starts',
    desired: withSidecar,
    observed: observedPod(withSidecar, { sandboxes: [sandbox(withSidecar)], containers: [instance(withSidecar, 'proxy')] }),
    expected: ['start migrate#0'],
  },
  {
    name: 'sidecar running, init done: app starts',
    desired: withSidecar,
    observed: observedPod(withSidecar, {
      sandboxes: [sandbox(withSidecar)],
      containers: [instance(withSidecar, 'proxy'), instance(withSidecar, 'migrate', exited(0, T0 + 5 * S))],
    }),
    expected: ['start app#0'],
  },
  {
    name: 'sidecar exited while the app runs: restarted',
    desired: withSidecar,
    observed: observedPod(withSidecar, {
      sandboxes: [sandbox(withSidecar)],
      containers: [instance(withSidecar, 'proxy', exited(0, NOW - S)), instance(withSidecar, 'app')],
    }),
    expected: ['start proxy#1'],
  },
  {
    name: 'sidecar exited before it ever ran: restarted, the next init container waits',
    desired: withSidecar,
    observed: observedPod(withSidecar, { sandboxes: [sandbox(withSidecar)], containers: [instance(withSidecar, 'proxy', exited(1, NOW - S))] }),
    expected: ['start proxy#1'],
  },
  {
    name: 'sidecar restarts even in a restartPolicy OnFailure pod while the job runs',
    desired: sidecarJob,
    observed: observedPod(sidecarJob, {
      sandboxes: [sandbox(sidecarJob)],
      containers: [instance(sidecarJob, 'proxy', exited(0, NOW - S)), instance(sidecarJob, 'job')],
    }),
    expected: ['start proxy#1'],
  },
  {
    name: 'job done: sidecar and sandbox stopped, sidecar not restarted',
    desired: sidecarJob,
    observed: observedPod(sidecarJob, {
      sandboxes: [sandbox(sidecarJob)],
      containers: [instance(sidecarJob, 'proxy', exited(137, NOW - S)), instance(sidecarJob, 'job', exited(0, NOW - 2 * S))],
    }),
    expected: ['killPod PodCompleted'],
  },
  {
    name: 'sidecar with a changed definition is replaced',
    desired: withSidecar,
    observed: observedPod(withSidecar, {
      sandboxes: [sandbox(withSidecar)],
      containers: [instance(withSidecar, 'proxy', { specHash: 'old' }), instance(withSidecar, 'app')],
    }),
    expected: ['kill proxy-sb-0-0 SpecChanged', 'start proxy#1'],
  },

  // -- app containers -----------------------------------------------------------------------
  {
    name: 'OnFailure: exit 0 is not restarted, exit 1 is',
    desired: jobOnFailure,
    observed: observedPod(jobOnFailure, {
      sandboxes: [sandbox(jobOnFailure)],
      containers: [instance(jobOnFailure, 'a', exited(0, NOW - S)), instance(jobOnFailure, 'b', exited(1, NOW - S))],
    }),
    expected: ['start b#1'],
  },
  {
    name: 'OnFailure: every container exited 0 → pod completed',
    desired: jobOnFailure,
    observed: observedPod(jobOnFailure, {
      sandboxes: [sandbox(jobOnFailure)],
      containers: [instance(jobOnFailure, 'a', exited(0, NOW - S)), instance(jobOnFailure, 'b', exited(0, NOW - S))],
    }),
    expected: ['killPod PodCompleted'],
  },
  {
    name: 'OnFailure completed pod, later pass: stable (no new sandbox)',
    desired: jobOnFailure,
    observed: observedPod(jobOnFailure, {
      sandboxes: [sandbox(jobOnFailure, { state: 'exited' })],
      containers: [instance(jobOnFailure, 'a', exited(0, NOW - S)), instance(jobOnFailure, 'b', exited(0, NOW - S))],
    }),
    expected: [],
  },
  {
    name: 'Never: an exited container is not restarted while another runs',
    desired: jobNever,
    observed: observedPod(jobNever, {
      sandboxes: [sandbox(jobNever)],
      containers: [instance(jobNever, 'a', exited(1, NOW - S)), instance(jobNever, 'b')],
    }),
    expected: [],
  },
  {
    name: 'Never: all exited (one failed) → pod completed',
    desired: jobNever,
    observed: observedPod(jobNever, {
      sandboxes: [sandbox(jobNever)],
      containers: [instance(jobNever, 'a', exited(1, NOW - S)), instance(jobNever, 'b', exited(0, NOW - S))],
    }),
    expected: ['killPod PodCompleted'],
  },
  {
    name: 'Never completed pod, later pass: stable',
    desired: jobNever,
    observed: observedPod(jobNever, {
      sandboxes: [sandbox(jobNever, { state: 'exited' })],
      containers: [instance(jobNever, 'a', exited(1, NOW - S)), instance(jobNever, 'b', exited(0, NOW - S))],
    }),
    expected: [],
  },
  {
    name: 'spec change of one container: only it is replaced',
    desired: twoApps,
    observed: observedPod(twoApps, {
      sandboxes: [sandbox(twoApps)],
      containers: [instance(twoApps, 'web', { specHash: 'old', restartCount: 3 }), instance(twoApps, 'log')],
    }),
    expected: ['kill web-sb-0-3 SpecChanged', 'start web#4'],
  },
  {
    name: 'Never: a changed definition is still restarted',
    desired: jobNever,
    observed: observedPod(jobNever, {
      sandboxes: [sandbox(jobNever)],
      containers: [instance(jobNever, 'a', { specHash: 'old' }), instance(jobNever, 'b')],
    }),
    expected: ['kill a-sb-0-0 SpecChanged', 'start a#1'],
  },
  {
    name: 'container removed from the spec: killed and removed; its dead instances removed',
    desired: simple,
    observed: observedPod(simple, {
      sandboxes: [sandbox(simple)],
      containers: [
        instance(simple, 'app'),
        instance(simple, 'old', { id: 'old-live', restartCount: 1 }),
        instance(simple, 'old', { id: 'old-dead', ...exited(1, T0) }),
      ],
    }),
    expected: ['kill old-live SpecChanged', 'remove old-dead,old-live'],
  },
  {
    name: 'created but never started: the stuck instance is killed and a new one started',
    desired: simple,
    observed: observedPod(simple, { sandboxes: [sandbox(simple)], containers: [instance(simple, 'app', { state: 'created', restartCount: 2 })] }),
    expected: ['kill app-sb-0-2 Unknown', 'start app#3'],
  },
  {
    name: 'unknown state: killed before the restart',
    desired: simple,
    observed: observedPod(simple, { sandboxes: [sandbox(simple)], containers: [instance(simple, 'app', { state: 'unknown' })] }),
    expected: ['kill app-sb-0-0 Unknown', 'start app#1'],
  },
  {
    name: 'a live container joined to an old sandbox is killed',
    desired: simple,
    observed: observedPod(simple, {
      sandboxes: [sandbox(simple, { attempt: 1 }), sandbox(simple, { attempt: 0, state: 'exited' })],
      containers: [
        instance(simple, 'app', { sandboxId: 'sb-1', restartCount: 1, createdAt: T0 + 10 * S }),
        instance(simple, 'app', { sandboxId: 'sb-0', restartCount: 0, createdAt: T0 }),
      ],
    }),
    expected: ['kill app-sb-0-0 SandboxChanged', 'remove sb-0'],
  },

  // -- sandbox ------------------------------------------------------------------------------
  {
    name: 'sandbox died (containers dead): new sandbox, init containers re-run from the first',
    desired: withInits,
    observed: observedPod(withInits, {
      sandboxes: [sandbox(withInits, { state: 'exited' })],
      containers: [
        instance(withInits, 'init1', exited(0, T0 + 5 * S)),
        instance(withInits, 'init2', exited(0, T0 + 9 * S)),
        instance(withInits, 'app', { ...exited(137, NOW - S), restartCount: 4 }),
      ],
    }),
    expected: ['prepareVolumes', 'createSandbox 1', 'start init1#1'],
  },
  {
    name: 'sandbox died while the app runs: pod killed first',
    desired: simple,
    observed: observedPod(simple, { sandboxes: [sandbox(simple, { state: 'exited' })], containers: [instance(simple, 'app', { restartCount: 2 })] }),
    expected: ['killPod SandboxChanged', 'prepareVolumes', 'createSandbox 1', 'start app#3'],
  },
  {
    name: 'sandbox missing altogether: attempt 0, containers restarted with higher counts',
    desired: simple,
    observed: observedPod(simple, { containers: [instance(simple, 'app', { ...exited(0, NOW - S), restartCount: 5 })] }),
    expected: ['prepareVolumes', 'createSandbox 0', 'start app#6'],
  },
  {
    name: 'two running sandboxes: pod killed, new sandbox with the next attempt',
    desired: simple,
    observed: observedPod(simple, {
      sandboxes: [sandbox(simple, { attempt: 2 }), sandbox(simple, { attempt: 1 })],
      containers: [instance(simple, 'app', { sandboxId: 'sb-2' })],
    }),
    expected: ['killPod SandboxChanged', 'prepareVolumes', 'createSandbox 3', 'start app#1'],
  },
  {
    name: 'the latest sandbox is created but not running: replaced',
    desired: simple,
    observed: observedPod(simple, { sandboxes: [sandbox(simple, { state: 'created' })] }),
    expected: ['prepareVolumes', 'createSandbox 1', 'start app#0'],
  },
  {
    name: 'Never pod whose sandbox died: not re-created, what runs is killed',
    desired: jobNever,
    observed: observedPod(jobNever, {
      sandboxes: [sandbox(jobNever, { state: 'exited' })],
      containers: [instance(jobNever, 'a'), instance(jobNever, 'b', exited(0, NOW - S))],
    }),
    expected: ['killPod SandboxChanged'],
  },
  {
    name: 'OnFailure pod whose sandbox died: only the unfinished container restarts',
    desired: jobOnFailure,
    observed: observedPod(jobOnFailure, {
      sandboxes: [sandbox(jobOnFailure, { state: 'exited' })],
      containers: [instance(jobOnFailure, 'a', exited(0, NOW - 10 * S)), instance(jobOnFailure, 'b', exited(137, NOW - S))],
    }),
    expected: ['prepareVolumes', 'createSandbox 1', 'start b#1'],
  },
  {
    name: 'OnFailure pod in its new sandbox: the container that succeeded before stays done',
    desired: jobOnFailure,
    observed: observedPod(jobOnFailure, {
      sandboxes: [sandbox(jobOnFailure, { attempt: 1 }), sandbox(jobOnFailure, { attempt: 0, state: 'exited' })],
      containers: [
        instance(jobOnFailure, 'a', { ...exited(0, NOW - 10 * S), sandboxId: 'sb-0' }),
        instance(jobOnFailure, 'b', { sandboxId: 'sb-1', restartCount: 1, createdAt: NOW - S }),
        instance(jobOnFailure, 'b', { ...exited(137, NOW - 2 * S), sandboxId: 'sb-0', createdAt: NOW - 60 * S }),
      ],
    }),
    expected: ['remove sb-0'],
  },

  // -- removed pods -------------------------------------------------------------------------
  {
    name: 'orphan with running containers: killPod then cleanupPod',
    desired: undefined,
    observed: observedPod(simple, { sandboxes: [sandbox(simple)], containers: [instance(simple, 'app')] }),
    expected: ['killPod PodRemoved', 'cleanupPod'],
  },
  {
    name: 'orphan with only dead containers: cleanupPod',
    desired: undefined,
    observed: observedPod(simple, { sandboxes: [sandbox(simple, { state: 'exited' })], containers: [instance(simple, 'app', exited(0, T0))] }),
    expected: ['cleanupPod'],
  },
  {
    name: 'orphan already cleaned up: nothing',
    desired: undefined,
    observed: observedPod(simple),
    expected: [],
  },
  {
    name: 'no desired and no observed pod: nothing',
    desired: undefined,
    observed: undefined,
    expected: [],
  },

  // -- garbage ------------------------------------------------------------------------------
  {
    name: 'GC: keep the newest instance and the newest exited one per name',
    desired: simple,
    observed: observedPod(simple, {
      sandboxes: [sandbox(simple)],
      containers: [
        instance(simple, 'app', { restartCount: 3 }),
        instance(simple, 'app', { ...exited(1, T0 + 2500), restartCount: 2 }),
        instance(simple, 'app', { ...exited(1, T0 + 1500), restartCount: 1 }),
        instance(simple, 'app', { ...exited(1, T0 + 500), restartCount: 0 }),
      ],
    }),
    expected: ['remove app-sb-0-1,app-sb-0-0'],
  },
  {
    name: 'GC: dead sandboxes other than the latest, and old instances in them',
    desired: simple,
    observed: observedPod(simple, {
      sandboxes: [sandbox(simple, { attempt: 2 }), sandbox(simple, { attempt: 1, state: 'exited' }), sandbox(simple, { attempt: 0, state: 'exited' })],
      containers: [
        instance(simple, 'app', { sandboxId: 'sb-2', restartCount: 2, createdAt: T0 + 20 * S }),
        instance(simple, 'app', { ...exited(137, T0 + 19 * S), sandboxId: 'sb-1', restartCount: 1, createdAt: T0 + 10 * S }),
        instance(simple, 'app', { ...exited(137, T0 + 9 * S), sandboxId: 'sb-0', restartCount: 0, createdAt: T0 }),
      ],
    }),
    expected: ['remove app-sb-0-0,sb-1,sb-0'],
  },
  {
    name: 'GC: a superseded created instance is removed (it never ran)',
    desired: simple,
    observed: observedPod(simple, {
      sandboxes: [sandbox(simple)],
      containers: [instance(simple, 'app', { restartCount: 2 }), instance(simple, 'app', { state: 'created', restartCount: 1 }), instance(simple, 'app', { ...exited(1, T0 + 500) })],
    }),
    expected: ['remove app-sb-0-1'],
  },
];

describe('computePodActions scenarios', () => {
  it.each(scenarios)('$name', ({ desired, observed, ctx: overrides, expected }) => {
    const plan = computePodActions(desired, observed, ctx(overrides));
    expect(summary(plan.actions)).toEqual(expected);
  });

  it('is stable: planning twice gives the same plan', () => {
    for (const s of scenarios) {
      const a = computePodActions(s.desired, s.observed, ctx(s.ctx));
      const b = computePodActions(s.desired, s.observed, ctx(s.ctx));
      expect(b).toEqual(a);
    }
  });

  it('never starts anything in a Never pod with a failed init container, whatever the sandbox state', () => {
    const failed = instance(withInitsNever, 'init1', exited(2, NOW - S));
    for (const sb of [sandbox(withInitsNever), sandbox(withInitsNever, { state: 'exited' })]) {
      const plan = computePodActions(withInitsNever, observedPod(withInitsNever, { sandboxes: [sb], containers: [failed] }), ctx());
      expect(plan.actions.filter((a) => a.type === 'startContainer' || a.type === 'createSandbox')).toEqual([]);
    }
  });
});

describe('action details', () => {
  it('roles of started containers', () => {
    const fresh = computePodActions(withSidecar, undefined, ctx());
    expect(find(fresh, 'startContainer')).toEqual([{ type: 'startContainer', container: 'proxy', role: 'sidecar', restartCount: 0 }]);
    const init = computePodActions(withInits, undefined, ctx());
    expect(find(init, 'startContainer')[0]?.role).toBe('init');
    const app = computePodActions(simple, undefined, ctx());
    expect(find(app, 'startContainer')[0]?.role).toBe('app');
  });

  it('definition change: kubelet message, pod grace period, no back-off even inside a crash window', () => {
    const pod = desiredPod({ containers: [container('web')], terminationGracePeriodSeconds: 45 });
    const hash = containerSpecHash(container('web'));
    const plan = computePodActions(
      pod,
      observedPod(pod, {
        sandboxes: [sandbox(pod)],
        containers: [instance(pod, 'web', { specHash: 'old', restartCount: 2 }), instance(pod, 'web', { ...exited(1, NOW - S), restartCount: 1 })],
      }),
      ctx({ backoff: new Map([[backoffKey('web', hash), { delayMs: 300 * S, lastUpdate: NOW - 10 * S }]]) }),
    );
    expect(find(plan, 'killContainer')).toEqual([
      { type: 'killContainer', containerId: 'web-sb-0-2', container: 'web', reason: 'SpecChanged', message: 'Container web definition changed, will be restarted', graceSeconds: 45 },
    ]);
    expect(find(plan, 'startContainer')).toEqual([{ type: 'startContainer', container: 'web', role: 'app', restartCount: 3 }]);
    expect(plan.requeueAt).toBeUndefined();
  });

  it('an exited instance of an older definition opens no back-off window for the new one', () => {
    const pod = desiredPod({ containers: [container('web')] });
    const hash = containerSpecHash(container('web'));
    const plan = computePodActions(
      pod,
      observedPod(pod, { sandboxes: [sandbox(pod)], containers: [instance(pod, 'web', { ...exited(1, NOW - S), specHash: 'old' })] }),
      ctx({ backoff: new Map([[backoffKey('web', hash), { delayMs: 40 * S, lastUpdate: NOW - 30 * S }]]) }),
    );
    expect(summary(plan.actions)).toEqual(['start web#1']);
  });

  it('grace period is never below 2 s', () => {
    const pod = desiredPod({ containers: [container('web')], terminationGracePeriodSeconds: 0 });
    const plan = computePodActions(pod, observedPod(pod, { sandboxes: [sandbox(pod)], containers: [instance(pod, 'web', { specHash: 'old' })] }), ctx());
    expect(find(plan, 'killContainer')[0]?.graceSeconds).toBe(2);
  });

  it('orphan grace period comes from the containers’ labels, else 30 s', () => {
    const pod = desiredPod({ terminationGracePeriodSeconds: 7 });
    const running = observedPod(pod, { sandboxes: [sandbox(pod)], containers: [instance(pod, 'app')] });
    expect(find(computePodActions(undefined, running, ctx()), 'killPod')).toEqual([
      { type: 'killPod', reason: 'PodRemoved', message: expect.any(String) as string, graceSeconds: 7 },
    ]);
    const unlabelled: ObservedContainer = { ...instance(pod, 'app'), labels: {} };
    const bare = observedPod(pod, { containers: [unlabelled] });
    expect(find(computePodActions(undefined, bare, ctx()), 'killPod')[0]?.graceSeconds).toBe(30);
    expect(computePodActions(undefined, running, ctx()).uid).toBe(pod.uid);
  });

  it('the sandbox attempt never goes backwards', () => {
    const plan = computePodActions(
      simple,
      observedPod(simple, { sandboxes: [sandbox(simple, { attempt: 3, state: 'exited', createdAt: T0 + 5 * S }), sandbox(simple, { attempt: 7, state: 'exited', createdAt: T0 })] }),
      ctx(),
    );
    expect(find(plan, 'createSandbox')).toEqual([{ type: 'createSandbox', attempt: 8 }]);
  });

  it('restartCount continues from the highest instance in any sandbox', () => {
    const plan = computePodActions(
      withInits,
      observedPod(withInits, {
        sandboxes: [sandbox(withInits, { attempt: 1, state: 'exited' })],
        containers: [instance(withInits, 'init1', { ...exited(0, T0), restartCount: 5, sandboxId: 'sb-0' })],
      }),
      ctx(),
    );
    expect(find(plan, 'startContainer')).toEqual([{ type: 'startContainer', container: 'init1', role: 'init', restartCount: 6 }]);
  });

  it('the new sandbox does not count the app containers of the old one as "initialised"', () => {
    const observed = observedPod(withInits, {
      sandboxes: [sandbox(withInits, { attempt: 1 }), sandbox(withInits, { attempt: 0, state: 'exited' })],
      containers: [
        instance(withInits, 'init1', { sandboxId: 'sb-1', restartCount: 1, createdAt: NOW - S }),
        instance(withInits, 'app', { ...exited(137, NOW - 10 * S), sandboxId: 'sb-0', createdAt: NOW - 100 * S }),
      ],
    });
    // init1 runs in the new sandbox: wait for it (and drop the old sandbox), start no app.
    expect(summary(computePodActions(withInits, observed, ctx()).actions)).toEqual(['remove sb-0']);
  });
});

describe('probes (ctx.unhealthy)', () => {
  const pod = desiredPod({
    containers: [container('web', { livenessProbe: { httpGet: { path: '/', port: 80 }, terminationGracePeriodSeconds: 5 } }), container('db')],
    terminationGracePeriodSeconds: 60,
  });
  const observed = observedPod(pod, { sandboxes: [sandbox(pod)], containers: [instance(pod, 'web'), instance(pod, 'db')] });

  it('liveness failure: killed with the probe grace period and restarted', () => {
    const plan = computePodActions(pod, observed, ctx({ unhealthy: new Map([['web', 'LivenessProbe']]) }));
    expect(find(plan, 'killContainer')).toEqual([
      { type: 'killContainer', containerId: 'web-sb-0-0', container: 'web', reason: 'LivenessProbe', message: 'Container web failed liveness probe, will be restarted', graceSeconds: 5 },
    ]);
    expect(summary(plan.actions)).toEqual(['kill web-sb-0-0 LivenessProbe', 'start web#1']);
  });

  it('a liveness kill is backed off like an exit: with a back-off entry the restart waits its window from the kill', () => {
    const c = ctx();
    const key = backoffKey('web', containerSpecHash(pod.pod.spec?.containers[0] ?? container('web')));
    const plan = computePodActions(pod, observed, { ...c, unhealthy: new Map([['web', 'LivenessProbe']]), backoff: new Map([[key, { delayMs: 20_000, lastUpdate: c.now - 5_000 }]]) });
    expect(summary(plan.actions)).toEqual(['kill web-sb-0-0 LivenessProbe', 'backoff web']);
    expect(plan.requeueAt).toBe(c.now + 20_000);
  });

  it('startup failure without a probe grace period: pod grace period', () => {
    const plan = computePodActions(pod, observed, ctx({ unhealthy: new Map([['db', 'StartupProbe']]) }));
    expect(find(plan, 'killContainer')[0]).toMatchObject({ reason: 'StartupProbe', message: 'Container db failed startup probe, will be restarted', graceSeconds: 60 });
  });

  it('restartPolicy Never: killed, not restarted', () => {
    const never = desiredPod({ containers: [container('web'), container('db')], restartPolicy: 'Never' });
    const obs = observedPod(never, { sandboxes: [sandbox(never)], containers: [instance(never, 'web'), instance(never, 'db')] });
    const plan = computePodActions(never, obs, ctx({ unhealthy: new Map([['web', 'LivenessProbe']]) }));
    expect(summary(plan.actions)).toEqual(['kill web-sb-0-0 LivenessProbe']);
    expect(find(plan, 'killContainer')[0]?.message).toBe('Container web failed liveness probe');
  });

  it('a sidecar failing its startup probe is restarted and holds back the next init container', () => {
    const plan = computePodActions(
      withSidecar,
      observedPod(withSidecar, { sandboxes: [sandbox(withSidecar)], containers: [instance(withSidecar, 'proxy')] }),
      ctx({ unhealthy: new Map([['proxy', 'StartupProbe']]) }),
    );
    expect(summary(plan.actions)).toEqual(['kill proxy-sb-0-0 StartupProbe', 'start proxy#1']);
  });
});

// -------------------------------------------------------------------------------------------
// CrashLoopBackOff, run as the worker does: plan, start, record nextBackoff for a crash restart.

interface LoopState {
  now: number;
  readonly backoff: Map<string, BackoffEntry>;
  instances: ObservedContainer[];
}

/** What the worker (agent.ts) does after a successful start: advance the crash back-off. */
function recordStart(state: LoopState, pod: DesiredPod, name: string): void {
  const latest = [...state.instances].filter((i) => i.name === name).sort((a, b) => b.createdAt - a.createdAt)[0];
  const spec = [...(pod.pod.spec?.initContainers ?? []), ...(pod.pod.spec?.containers ?? [])].find((c) => c.name === name);
  if (!spec || !latest || latest.state !== 'exited' || latest.specHash !== containerSpecHash(spec)) return;
  const key = backoffKey(name, latest.specHash);
  state.backoff.set(key, nextBackoff(state.backoff.get(key), latest.finishedAt ?? state.now, state.now, DEFAULT_BACKOFF));
}

/**
 * Runs `name` through crashes: each run lasts runs[i] ms then exits with `exitCode`. Returns,
 * for every crash, how long the planner made it wait before the restart.
 */
function crashLoop(pod: DesiredPod, name: string, runs: readonly number[], exitCode = 1): { waits: number[]; messages: string[] } {
  const state: LoopState = { now: T0, backoff: new Map(), instances: [] };
  const waits: number[] = [];
  const messages: string[] = [];
  const sb = sandbox(pod);
  const others = (pod.pod.spec?.initContainers ?? []).filter((c) => c.name !== name).map((c) => instance(pod, c.name, exited(0, T0 - 30 * S)));
  let restartCount = 0;
  let startedAt = T0;
  state.instances.push(instance(pod, name, { restartCount, createdAt: startedAt }));
  for (const run of runs) {
    const crashAt = startedAt + run;
    state.now = crashAt;
    state.instances = state.instances.map((i) => (i.state === 'running' ? { ...i, state: 'exited', exitCode, finishedAt: crashAt } : i));
    for (;;) {
      const plan = computePodActions(pod, observedPod(pod, { sandboxes: [sb], containers: [...others, ...state.instances] }), {
        now: state.now,
        backoff: state.backoff,
        backoffPolicy: DEFAULT_BACKOFF,
      });
      const start = find(plan, 'startContainer').find((a) => a.container === name);
      if (start) {
        expect(start.restartCount).toBe(restartCount + 1);
        recordStart(state, pod, name);
        waits.push((state.now - crashAt) / S);
        restartCount = start.restartCount;
        startedAt = state.now;
        state.instances.push(instance(pod, name, { restartCount, createdAt: startedAt }));
        break;
      }
      const wait = find(plan, 'backoff').find((a) => a.container === name);
      expect(wait, 'either a start or a back-off').toBeDefined();
      if (!wait) break;
      expect(plan.requeueAt).toBe(wait.until);
      messages.push(wait.message);
      state.now = wait.until;
    }
  }
  return { waits, messages };
}

describe('CrashLoopBackOff through the planner', () => {
  it('app crash: first restart immediate, then 10s 20s 40s 80s 160s 300s 300s', () => {
    const { waits } = crashLoop(simple, 'app', Array.from({ length: 8 }, () => 5 * S));
    expect(waits).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
  });

  it('back-off messages are kubelet’s, with Go durations', () => {
    const { messages } = crashLoop(simple, 'app', Array.from({ length: 8 }, () => S));
    const pod = `${simple.name}_${simple.namespace}(${simple.uid})`;
    expect(messages).toEqual(
      ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s', '5m0s'].map((d) => `back-off ${d} restarting failed container=app pod=${pod}`),
    );
  });

  it('successful exits under Always back off too (kubelet applies CrashLoopBackOff to any exit)', () => {
    expect(crashLoop(simple, 'app', [S, S, S], 0).waits).toEqual([0, 10, 20]);
  });

  it('resets after running more than 10 minutes without a crash', () => {
    const runs = [S, S, S, S, 601 * S, S, S];
    expect(crashLoop(simple, 'app', runs).waits).toEqual([0, 10, 20, 40, 0, 10, 20]);
  });

  it('does not reset after exactly 10 minutes', () => {
    // 600 s after the last restart is not "more than" 2×max: the window keeps doubling.
    expect(crashLoop(simple, 'app', [S, S, 600 * S]).waits).toEqual([0, 10, 20]);
  });

  it('failed init container under Always: 0, then 10 s, then 20 s, measured from finishedAt', () => {
    const pod = desiredPod({ initContainers: [container('init1')], containers: [container('app')] });
    expect(crashLoop(pod, 'init1', [2 * S, 2 * S, 2 * S]).waits).toEqual([0, 10, 20]);
  });

  it('the window is measured from finishedAt, not from the time of planning', () => {
    const finishedAt = NOW - 4 * S;
    const key = backoffKey('app', containerSpecHash(container('app')));
    const plan = computePodActions(
      simple,
      observedPod(simple, { sandboxes: [sandbox(simple)], containers: [instance(simple, 'app', { ...exited(1, finishedAt), restartCount: 1 })] }),
      ctx({ backoff: new Map([[key, { delayMs: 10 * S, lastUpdate: NOW - 20 * S }]]) }),
    );
    expect(find(plan, 'backoff')).toEqual([
      { type: 'backoff', container: 'app', until: finishedAt + 10 * S, message: expect.stringContaining('back-off 10s') as string },
    ]);
    expect(plan.requeueAt).toBe(finishedAt + 10 * S);
  });

  it('requeueAt is the earliest of several back-off expiries', () => {
    const hashWeb = containerSpecHash(container('web'));
    const hashLog = containerSpecHash(container('log'));
    const plan = computePodActions(
      twoApps,
      observedPod(twoApps, {
        sandboxes: [sandbox(twoApps)],
        containers: [instance(twoApps, 'web', { ...exited(1, NOW - S), restartCount: 3 }), instance(twoApps, 'log', { ...exited(1, NOW - 2 * S), restartCount: 3 })],
      }),
      ctx({
        backoff: new Map([
          [backoffKey('web', hashWeb), { delayMs: 40 * S, lastUpdate: NOW - 100 * S }],
          [backoffKey('log', hashLog), { delayMs: 20 * S, lastUpdate: NOW - 100 * S }],
        ]),
      }),
    );
    expect(summary(plan.actions)).toEqual(['backoff web', 'backoff log']);
    expect(plan.requeueAt).toBe(NOW - 2 * S + 20 * S);
  });

  it('a back-off on one container does not hold back the others', () => {
    const hashWeb = containerSpecHash(container('web'));
    const plan = computePodActions(
      twoApps,
      observedPod(twoApps, {
        sandboxes: [sandbox(twoApps)],
        containers: [instance(twoApps, 'web', { ...exited(1, NOW - S), restartCount: 1 }), instance(twoApps, 'log', exited(1, NOW - S))],
      }),
      ctx({ backoff: new Map([[backoffKey('web', hashWeb), { delayMs: 10 * S, lastUpdate: NOW - 30 * S }]]) }),
    );
    expect(summary(plan.actions)).toEqual(['backoff web', 'start log#1']);
  });

  it('a container in back-off is still "to start": the pod is not considered completed', () => {
    const pod = desiredPod({ containers: [container('a')], restartPolicy: 'OnFailure' });
    const key = backoffKey('a', containerSpecHash(container('a')));
    const plan = computePodActions(
      pod,
      observedPod(pod, { sandboxes: [sandbox(pod)], containers: [instance(pod, 'a', { ...exited(1, NOW - S), restartCount: 2 })] }),
      ctx({ backoff: new Map([[key, { delayMs: 20 * S, lastUpdate: NOW - 60 * S }]]) }),
    );
    expect(summary(plan.actions)).toEqual(['backoff a']);
  });
});

describe('start failures (ctx.startFailures)', () => {
  const key = backoffKey('app', containerSpecHash(container('app')));
  const fresh = observedPod(simple, { sandboxes: [sandbox(simple)] });

  it('a first start failure waits the initial delay, measured from the failure', () => {
    const at = NOW - 3 * S;
    const plan = computePodActions(simple, fresh, ctx({ startFailures: new Map([['app', { reason: 'ErrImagePull', at }]]) }));
    expect(find(plan, 'backoff')).toEqual([{ type: 'backoff', container: 'app', until: at + 10 * S, message: expect.stringContaining('back-off 10s') as string }]);
    expect(plan.requeueAt).toBe(at + 10 * S);
  });

  it('after the initial delay the start is retried', () => {
    const plan = computePodActions(simple, fresh, ctx({ startFailures: new Map([['app', { reason: 'ErrImagePull', at: NOW - 10 * S }]]) }));
    expect(summary(plan.actions)).toEqual(['start app#0']);
  });

  it('a longer crash window applies to a failed restart', () => {
    const at = NOW - 5 * S;
    const plan = computePodActions(
      simple,
      observedPod(simple, { sandboxes: [sandbox(simple)], containers: [instance(simple, 'app', { ...exited(1, NOW - 30 * S), restartCount: 4 })] }),
      ctx({ backoff: new Map([[key, { delayMs: 80 * S, lastUpdate: NOW - 30 * S }]]), startFailures: new Map([['app', { reason: 'RunContainerError', at }]]) }),
    );
    expect(find(plan, 'backoff')[0]?.until).toBe(at + 80 * S);
  });

  it('a failed start of a stuck created instance: killed, restarted after the window', () => {
    const at = NOW - 20 * S;
    const plan = computePodActions(
      simple,
      observedPod(simple, { sandboxes: [sandbox(simple)], containers: [instance(simple, 'app', { state: 'created', restartCount: 0, error: 'exec format error' })] }),
      ctx({ startFailures: new Map([['app', { reason: 'RunContainerError', at }]]) }),
    );
    expect(summary(plan.actions)).toEqual(['kill app-sb-0-0 Unknown', 'start app#1']);
  });
});

describe('labels used by the builders', () => {
  it('observed instances carry the grace-period label the orphan path reads', () => {
    expect(instance(simple, 'app').labels[LABELS.terminationGracePeriod]).toBe('30');
  });
});
