import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../../agent/log/logger.js';
import type { NotifyState } from '../../../agent/systemd/notify.js';
import { startSystemdService, type ServiceAgentView } from '../../../agent/systemd/service.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock, flushMicrotasks } from '../../helpers/fake-clock.js';

class FakeAgent implements ServiceAgentView {
  synced = false;
  runtimeHealthy = true;
  readonly running: Pod[] = [];
  #release!: () => void;
  readonly #firstSync = new Promise<void>((resolve) => (this.#release = resolve));

  pods(): Pod[] {
    return this.running;
  }
  waitForFirstSync(): Promise<void> {
    return this.#firstSync;
  }
  finishFirstSync(): void {
    this.synced = true;
    this.#release();
  }
  addRunningPod(name: string): void {
    this.running.push({ metadata: { name, uid: `uid-${name}` }, status: { phase: 'Running' } });
  }
}

function setup(env: NodeJS.ProcessEnv) {
  const agent = new FakeAgent();
  const clock = new FakeClock();
  const sent: NotifyState[] = [];
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  let failWith: string | undefined;
  const service = startSystemdService({
    agent,
    dockerHost: 'unix:///var/run/docker.sock',
    clock,
    logger: createLogger({ level: 'info', stream }),
    env,
    pid: 100,
    statusIntervalMs: 1000,
    transport: {
      send: (state) => {
        sent.push(state);
        return failWith ? Promise.reject(new Error(failWith)) : Promise.resolve();
      },
    },
  });
  return { agent, clock, sent, logs, service, fail: (m: string | undefined) => (failWith = m) };
}

const SYSTEMD = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '4000000', WATCHDOG_PID: '100' };

describe('startSystemdService', () => {
  it('does nothing at all without NOTIFY_SOCKET', async () => {
    const t = setup({ WATCHDOG_USEC: '4000000' });
    t.agent.finishFirstSync();
    await t.clock.advance(10_000);
    await t.service.reloading();
    await t.service.reloaded();
    await t.service.stopping();
    expect(t.service.enabled).toBe(false);
    expect(t.sent).toEqual([]);
  });

  it('reports progress while starting, READY=1 with the counts after the first sync, then only changes', async () => {
    const t = setup({ NOTIFY_SOCKET: '/run/systemd/notify' });
    await flushMicrotasks();
    expect(t.sent).toEqual([{ STATUS: 'starting: syncing 0 pods' }]);
    t.agent.addRunningPod('web');
    await t.clock.advance(3000);
    expect(t.sent).toEqual([{ STATUS: 'starting: syncing 0 pods' }, { STATUS: 'starting: syncing 1 pod' }]);
    t.agent.finishFirstSync();
    await flushMicrotasks();
    expect(t.sent[2]).toEqual({ READY: '1', STATUS: '1 pod, 1 running' });
    await t.clock.advance(3000);
    expect(t.sent).toHaveLength(3);
    t.agent.addRunningPod('db');
    await t.clock.advance(1000);
    expect(t.sent.slice(3)).toEqual([{ STATUS: '2 pods, 2 running' }]);
    await t.service.close();
  });

  it('pings the watchdog at half of WatchdogSec, from the start', async () => {
    const t = setup(SYSTEMD);
    await flushMicrotasks();
    const pings = () => t.sent.filter((s) => s.WATCHDOG === '1').length;
    expect(pings()).toBe(1);
    await t.clock.advance(2000);
    expect(pings()).toBe(2);
    await t.clock.advance(6000);
    expect(pings()).toBe(5);
    await t.service.stopping();
    await t.clock.advance(10_000);
    expect(pings()).toBe(5);
  });

  it('does not ping for a watchdog meant for another process', async () => {
    const t = setup({ ...SYSTEMD, WATCHDOG_PID: '1' });
    await t.clock.advance(10_000);
    expect(t.sent.some((s) => s.WATCHDOG !== undefined)).toBe(false);
    await t.service.close();
  });

  it('wraps a reload in RELOADING=1 … READY=1, and says STOPPING=1 at the end', async () => {
    const t = setup({ NOTIFY_SOCKET: '/run/systemd/notify' });
    t.agent.finishFirstSync();
    await flushMicrotasks();
    t.sent.length = 0;
    await t.service.reloading();
    await t.service.reloaded();
    await t.service.stopping();
    expect(t.sent[0]).toMatchObject({ RELOADING: '1', STATUS: 'reloading the configuration' });
    expect(t.sent[0]?.MONOTONIC_USEC).toMatch(/^\d+$/);
    expect(t.sent[1]).toEqual({ READY: '1', STATUS: '0 pods, 0 running' });
    expect(t.sent[2]).toEqual({ STOPPING: '1', STATUS: 'stopping; pod containers keep running' });
  });

  it('a reload before the first sync does not claim readiness', async () => {
    const t = setup({ NOTIFY_SOCKET: '/run/systemd/notify' });
    await t.service.reloading();
    await t.service.reloaded();
    expect(t.sent.some((s) => s.READY !== undefined)).toBe(false);
    await t.service.close();
  });

  it('logs a failing helper once per distinct error, and carries on', async () => {
    const t = setup(SYSTEMD);
    t.fail('spawn systemd-notify ENOENT');
    await t.clock.advance(10_000);
    const warnings = t.logs.filter((l) => l.msg === 'cannot notify systemd');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', component: 'systemd', err: 'spawn systemd-notify ENOENT' });
    await t.service.close();
  });
});
