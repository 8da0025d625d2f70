// The pod workers' lifecycle state machine (issue 13) on a fake clock: syncing → terminating →
// terminated, cancellation of the pass in flight, static pods waiting for their full name,
// restart after termination. The passes are scripted: no runtime needed.
import { describe, expect, it } from 'vitest';
import { PodWorkers, type PodLifecycle, type PodWork } from '../../../agent/sync/pod-workers.js';
import { FakeClock, flushMicrotasks } from '../../helpers/fake-clock.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const STATIC = (name: string): { fullName: string; isStatic: boolean } => ({ fullName: `default/${name}`, isStatic: true });

/** Workers whose passes are recorded; a terminate pass reports terminated unless `holdTermination` holds it. */
function harness(opts: { holdTermination?: Set<string>; gate?: Map<string, Promise<void>> } = {}) {
  const clock = new FakeClock();
  const passes: { uid: string; phase: PodWork['phase']; aborted: boolean }[] = [];
  const states: [string, PodLifecycle][] = [];
  const workers = new PodWorkers({
    parallelism: 4,
    clock,
    onError: () => undefined,
    onLifecycle: (uid, state) => states.push([uid, state]),
    sync: async (uid, work) => {
      const entry = { uid, phase: work.phase, aborted: false };
      passes.push(entry);
      const gate = opts.gate?.get(uid);
      if (gate) await gate;
      entry.aborted = work.signal.aborted;
      if (work.phase === 'terminate') return { terminated: !opts.holdTermination?.has(uid) };
      return {};
    },
  });
  return { clock, workers, passes, states };
}

describe('pod worker lifecycle', () => {
  it('a terminated UID only terminates: later updates never run a sync pass of it', async () => {
    const hold = new Set(['a']);
    const { workers, passes } = harness({ holdTermination: hold });
    workers.update('a', STATIC('p'));
    await workers.idle();
    workers.terminate('a', STATIC('p'));
    await workers.idle();
    expect(workers.lifecycle('a')).toBe('terminating');
    workers.enqueue('a'); // a container event
    await workers.idle();
    expect(passes.map((p) => p.phase)).toEqual(['sync', 'terminate', 'terminate']);
    hold.delete('a');
    workers.enqueue('a');
    await workers.idle();
    expect(workers.has('a')).toBe(false);
  });

  it('an update or a termination cancels the pass in flight; a plain enqueue does not', async () => {
    const gate = deferred();
    const { workers, passes } = harness({ gate: new Map([['a', gate.promise]]) });
    workers.update('a', STATIC('p'));
    await flushMicrotasks();
    workers.enqueue('a');
    expect(passes[0]?.aborted).toBe(false);
    workers.update('a', STATIC('p'));
    gate.resolve();
    await workers.idle();
    await flushMicrotasks();
    await workers.idle();
    expect(passes[0]?.aborted).toBe(true);
    expect(passes.length).toBe(2);
  });

  it('a static pod waits while another UID of its full name terminates, then starts (allowStaticPodStart)', async () => {
    const hold = new Set(['old']);
    const { workers, passes } = harness({ holdTermination: hold });
    workers.update('old', STATIC('p'));
    await workers.idle();
    workers.terminate('old', STATIC('p'));
    workers.update('new', STATIC('p'));
    workers.update('other', STATIC('q')); // another name is not held back
    await workers.idle();
    expect(passes.filter((p) => p.uid === 'new')).toEqual([]);
    expect(passes.some((p) => p.uid === 'other')).toBe(true);
    workers.enqueue('new'); // events do not let it through either
    await workers.idle();
    expect(passes.filter((p) => p.uid === 'new')).toEqual([]);
    hold.delete('old');
    workers.enqueue('old');
    await workers.idle();
    await flushMicrotasks();
    await workers.idle();
    expect(passes.filter((p) => p.uid === 'new').map((p) => p.phase)).toEqual(['sync']);
  });

  it('a DaemonSet pod (not static) does not wait on names', async () => {
    const hold = new Set(['old']);
    const { workers, passes } = harness({ holdTermination: hold });
    workers.update('old', { fullName: 'default/d', isStatic: false });
    await workers.idle();
    workers.terminate('old', { fullName: 'default/d', isStatic: false });
    workers.update('new', { fullName: 'default/d', isStatic: false });
    await workers.idle();
    expect(passes.some((p) => p.uid === 'new')).toBe(true);
  });

  it('restart: terminates, then the same UID syncs again from a fresh worker', async () => {
    const { workers, passes, states } = harness();
    workers.update('a', STATIC('p'));
    await workers.idle();
    workers.restart('a', STATIC('p'));
    await workers.idle();
    await flushMicrotasks();
    await workers.idle();
    expect(passes.map((p) => p.phase)).toEqual(['sync', 'terminate', 'sync']);
    expect(states).toEqual([
      ['a', 'terminating'],
      ['a', 'terminated'],
      ['a', 'syncing'],
    ]);
    expect(workers.lifecycle('a')).toBe('syncing');
  });

  it('a pod that comes back while terminating starts over only once terminated', async () => {
    const hold = new Set(['a']);
    const { workers, passes } = harness({ holdTermination: hold });
    workers.update('a', STATIC('p'));
    await workers.idle();
    workers.terminate('a', STATIC('p'));
    await workers.idle();
    workers.update('a', STATIC('p')); // the manifest is back, same UID
    await workers.idle();
    expect(passes.map((p) => p.phase)).toEqual(['sync', 'terminate']);
    hold.delete('a');
    workers.enqueue('a');
    await workers.idle();
    await flushMicrotasks();
    await workers.idle();
    expect(passes.map((p) => p.phase)).toEqual(['sync', 'terminate', 'terminate', 'sync']);
  });

  it('records when termination was requested (deletionTimestamp) and the grace asked for', async () => {
    const { workers, clock } = harness({ holdTermination: new Set(['a']) });
    workers.update('a', STATIC('p'));
    await workers.idle();
    const t = clock.now();
    workers.terminate('a', STATIC('p'), { gracePeriodSeconds: 7 });
    expect(workers.info('a')).toEqual({ terminatingSince: t, gracePeriodSeconds: 7 });
    expect(workers.terminating()).toEqual(['a']);
    expect(workers.fullNameBusy('default/p', 'b')).toBe(true);
  });
});
