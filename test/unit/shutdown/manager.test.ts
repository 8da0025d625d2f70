// The node shutdown manager (agent/shutdown/manager.ts) on a fake logind and a fake clock: the
// order and timing of the kills for both configurations, the lock, cancellation, admission,
// logind's InhibitDelayMaxSec, and a node without logind.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../helpers/fake-clock.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import { ShutdownManager } from '../../../agent/shutdown/manager.js';
import { FakeLogind, START } from '../../helpers/fake-logind.js';
import type { ShutdownCandidate } from '../../../agent/shutdown/plan.js';
import type { ShutdownConfig } from '../../../agent/config/shutdown-config.js';

/** Pods that end `takesSeconds` after their kill began (SIGTERM handled), or at their grace period (ignored). */
function setup(config: ShutdownConfig, pods: (ShutdownCandidate & { takesSeconds?: number })[]) {
  const clock = new FakeClock(START);
  const logind = new FakeLogind(clock);
  const { logger, lines } = sinkLogger();
  const events: string[] = [];
  const changes: boolean[] = [];
  const manager = new ShutdownManager({
    config,
    logind,
    clock,
    logger,
    host: {
      pods: () => pods,
      killPod: async (uid, grace) => {
        logind.log.push(`kill ${uid} grace=${grace}@${logind.t()}`);
        const pod = pods.find((p) => p.uid === uid);
        await clock.sleep(Math.min(pod?.takesSeconds ?? grace, grace) * 1000);
        logind.log.push(`gone ${uid}@${logind.t()}`);
      },
      shuttingDownChanged: (s) => changes.push(s),
      nodeEvent: (type, reason, message) => events.push(`${type} ${reason}: ${message}`),
    },
  });
  return { clock, logind, manager, lines, events, changes };
}

const simple = (total: number, critical: number): ShutdownConfig => ({ gracePeriodMs: total * 1000, gracePeriodCriticalPodsMs: critical * 1000, byPodPriority: [] });
const pod = (uid: string, priority: number | undefined, terminationGracePeriodSeconds: number, takesSeconds?: number) => ({
  uid,
  name: `default/${uid}`,
  ...(priority === undefined ? {} : { priority }),
  terminationGracePeriodSeconds,
  ...(takesSeconds === undefined ? {} : { takesSeconds }),
});

describe('ShutdownManager', () => {
  it('kills non-critical pods first within T−C, then critical pods within C, then releases the lock', async () => {
    const { clock, logind, manager, events, changes } = setup(simple(20, 8), [
      pod('web', undefined, 30),
      pod('quick', 0, 5, 1),
      pod('critical', 2_000_001_000, 30),
    ]);
    await manager.start();
    expect(logind.held).toBe(1);
    expect(manager.admit()).toEqual({ admit: true });
    logind.emit(true);
    expect(manager.status()).toBe('node is shutting down');
    expect(manager.admit()).toEqual({ admit: false, reason: 'NodeShutdown', message: 'Pod was rejected as the node is shutting down.' });
    expect(changes).toEqual([true]);
    expect(events).toEqual(['Normal Shutdown: Shutdown manager detected shutdown event']);
    await clock.advance(30_000);
    await manager.processed();
    expect(logind.log).toEqual([
      'kill web grace=12@0',
      'kill quick grace=5@0',
      'gone quick@1',
      'gone web@12',
      'kill critical grace=8@12',
      'gone critical@20',
      'release@20',
    ]);
    expect(logind.held).toBe(0);
  });

  it('moves on as soon as a group is done: empty groups and fast pods take no extra time', async () => {
    const { clock, logind, manager } = setup(simple(20, 8), [pod('web', undefined, 30, 2), pod('critical', 2_000_000_000, 30, 1)]);
    await manager.start();
    logind.emit(true);
    await clock.advance(10_000);
    await manager.processed();
    expect(logind.log).toEqual(['kill web grace=12@0', 'gone web@2', 'kill critical grace=8@2', 'gone critical@3', 'release@3']);
  });

  it('a pod that ignores SIGTERM is killed at its group grace, and the next group starts then', async () => {
    const { clock, logind, manager, lines } = setup(simple(10, 4), [pod('stuck', 0, 30, 100), pod('critical', 2_000_000_000, 30, 1)]);
    await manager.start();
    logind.emit(true);
    await clock.advance(20_000);
    await manager.processed();
    expect(logind.log.slice(0, 3)).toEqual(['kill stuck grace=6@0', 'gone stuck@6', 'kill critical grace=4@6']);
    expect(logind.log.at(-1)).toBe('release@7');
    expect(lines.some((l) => l.msg === 'Shutdown manager pod killing time out')).toBe(false);
  });

  it('times a group out at its period when the kill has not returned', async () => {
    const clock = new FakeClock(START);
    const logind = new FakeLogind(clock);
    const { logger, lines } = sinkLogger();
    const manager = new ShutdownManager({
      config: simple(10, 4),
      logind,
      clock,
      logger,
      host: {
        pods: () => [pod('hung', 0, 30), pod('critical', 2_000_000_000, 30)],
        killPod: (uid) => {
          logind.log.push(`kill ${uid}@${logind.t()}`);
          return new Promise(() => {});
        },
        shuttingDownChanged: () => {},
        nodeEvent: () => {},
      },
    });
    await manager.start();
    logind.emit(true);
    await clock.advance(20_000);
    await manager.processed();
    expect(logind.log).toEqual(['kill hung@0', 'kill critical@6', 'release@10']);
    expect(lines.filter((l) => l.msg === 'Shutdown manager pod killing time out').map((l) => l.priority)).toEqual([0, 2_000_000_000]);
  });

  it('shutdownGracePeriodByPodPriority: lowest group first, each within its own period', async () => {
    const config: ShutdownConfig = {
      gracePeriodMs: 0,
      gracePeriodCriticalPodsMs: 0,
      byPodPriority: [
        { priority: 100000, shutdownGracePeriodSeconds: 5 },
        { priority: 0, shutdownGracePeriodSeconds: 10 },
        { priority: 10000, shutdownGracePeriodSeconds: 7 },
        { priority: 2_000_000_000, shutdownGracePeriodSeconds: 3 },
      ],
    };
    const { clock, logind, manager } = setup(config, [
      pod('custom', 150000, 30),
      pod('default', undefined, 30),
      pod('mid', 10000, 2),
      pod('critical', 2_000_001_000, 30),
      pod('low', -10, 30),
    ]);
    await manager.start();
    expect(logind.overrides).toEqual([25]);
    logind.emit(true);
    await clock.advance(60_000);
    await manager.processed();
    expect(logind.log).toEqual([
      'kill default grace=10@0',
      'kill low grace=10@0',
      'gone default@10',
      'gone low@10',
      'kill mid grace=2@10',
      'gone mid@12',
      'kill custom grace=5@12',
      'gone custom@17',
      'kill critical grace=3@17',
      'gone critical@20',
      'release@20',
    ]);
  });

  it('a cancelled shutdown takes the lock again and admits pods again', async () => {
    const { clock, logind, manager, events, changes } = setup(simple(20, 8), []);
    await manager.start();
    logind.emit(true);
    await clock.advance(1000);
    await manager.processed();
    expect(logind.held).toBe(0);
    logind.emit(false);
    await clock.advance(1000);
    expect(logind.held).toBe(1);
    expect(logind.taken).toBe(2);
    expect(manager.status()).toBeUndefined();
    expect(manager.admit()).toEqual({ admit: true });
    expect(changes).toEqual([true, false]);
    expect(events.at(-1)).toBe('Normal Shutdown: Shutdown manager detected shutdown cancellation');
  });

  it('raises logind InhibitDelayMaxSec to the total period with its drop-in, and fails as the kubelet when logind keeps a smaller one', async () => {
    const ok = setup(simple(20, 8), []);
    await ok.manager.start();
    expect(ok.logind.overrides).toEqual([20]);
    expect(ok.logind.reloads).toBe(1);
    expect(ok.logind.held).toBe(1);

    const enough = setup(simple(4, 0), []);
    await enough.manager.start();
    expect(enough.logind.overrides).toEqual([]);

    const capped = setup(simple(20, 8), []);
    capped.logind.afterReload = 10_000_000;
    const started = capped.manager.start();
    await capped.clock.advance(5000);
    await started;
    expect(capped.logind.held).toBe(0);
    const failed = capped.lines.find((l) => l.msg?.toString().startsWith('Failed to start node shutdown manager'));
    expect(failed?.err).toBe(
      'node shutdown manager was unable to update logind InhibitDelayMaxSec to 20s (ShutdownGracePeriod), current value of InhibitDelayMaxSec (10s) is less than requested ShutdownGracePeriod',
    );
  });

  it('watches again (and takes a new lock) 1 s after the bus connection is lost, but not while the node shuts down', async () => {
    const { clock, logind, manager } = setup(simple(20, 8), []);
    await manager.start();
    logind.endWatch('Connection terminated, exiting.');
    await clock.advance(999);
    expect(logind.watches).toBe(1);
    await clock.advance(1);
    expect(logind.watches).toBe(2);
    expect(logind.taken).toBe(2);
    expect(logind.held).toBe(1);
    logind.emit(true);
    await clock.advance(100);
    await manager.processed();
    logind.endWatch('Connection terminated, exiting.');
    await clock.advance(5000);
    expect(logind.watches).toBe(2);
    expect(logind.held).toBe(0);
  });

  it('without logind: one log line, no lock, pods admitted as usual', async () => {
    const { logind, manager, lines } = setup(simple(20, 8), []);
    logind.unavailable = 'failed reading InhibitDelayMaxUSec property from logind: Failed to connect to bus: No such file or directory';
    await manager.start();
    expect(lines.filter((l) => l.level === 'error').map((l) => l.err)).toEqual([logind.unavailable]);
    expect(logind.held).toBe(0);
    expect(manager.admit()).toEqual({ admit: true });
  });

  it('is off without configuration: the kubelet\'s line, nothing asked of logind', async () => {
    const { logind, manager, lines } = setup(simple(0, 0), []);
    await manager.start();
    expect(manager.enabled).toBe(false);
    expect(lines.map((l) => l.msg)).toContain('No graceful configuration specified, node shutdown will be immediate');
    expect(logind.taken).toBe(0);
  });
});
