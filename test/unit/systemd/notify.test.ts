import { describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Notifier, monotonicUsec, notifyAssignments, notifySocket, systemdNotifyCommand, watchdogIntervalMs, type NotifyState } from '../../../agent/systemd/notify.js';

describe('notifyAssignments', () => {
  it.each<[string, NotifyState, string[]]>([
    ['ready with status', { READY: '1', STATUS: '2 pods, 2 running' }, ['READY=1', 'STATUS=2 pods, 2 running']],
    ['line breaks cannot split a value', { STATUS: 'a\nb\r\nc' }, ['STATUS=a b c']],
    ['keys that are not upper-case identifiers are dropped', { 'bad key': 'x', lower: 'y', WATCHDOG: '1' }, ['WATCHDOG=1']],
    ['empty value', { STATUS: '' }, ['STATUS=']],
    ['nothing', {}, []],
  ])('%s', (_name, state, expected) => {
    expect(notifyAssignments(state)).toEqual(expected);
  });
});

describe('watchdogIntervalMs', () => {
  it.each<[string, NodeJS.ProcessEnv, number | undefined]>([
    ['half of WatchdogSec=30s', { WATCHDOG_USEC: '30000000' }, 15_000],
    ['for this very process', { WATCHDOG_USEC: '2000000', WATCHDOG_PID: '42' }, 1000],
    ['meant for another process', { WATCHDOG_USEC: '2000000', WATCHDOG_PID: '7' }, undefined],
    ['no watchdog', {}, undefined],
    ['zero', { WATCHDOG_USEC: '0' }, undefined],
    ['garbage', { WATCHDOG_USEC: '30s' }, undefined],
    ['tiny values still tick', { WATCHDOG_USEC: '1' }, 1],
  ])('%s', (_name, env, expected) => {
    expect(watchdogIntervalMs(env, 42)).toBe(expected);
  });
});

describe('notifySocket', () => {
  it('is undefined when systemd did not ask for notifications', () => {
    expect(notifySocket({})).toBeUndefined();
    expect(notifySocket({ NOTIFY_SOCKET: '' })).toBeUndefined();
    expect(notifySocket({ NOTIFY_SOCKET: '/run/systemd/notify' })).toBe('/run/systemd/notify');
  });
});

describe('monotonicUsec', () => {
  it('is a growing integer in microseconds', () => {
    const a = BigInt(monotonicUsec());
    const b = BigInt(monotonicUsec());
    expect(b >= a).toBe(true);
    expect(a > 0n).toBe(true);
  });
});

/** A transport whose sends complete only when the test says so. */
function manualTransport() {
  const sent: NotifyState[] = [];
  const waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  return {
    sent,
    transport: {
      send: (state: NotifyState) => {
        sent.push(state);
        return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
      },
    },
    complete: () => waiting.shift()?.resolve(),
    fail: (message: string) => waiting.shift()?.reject(new Error(message)),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Notifier', () => {
  it('sends one message at a time and merges what piles up meanwhile, last value winning', async () => {
    const t = manualTransport();
    const n = new Notifier(t.transport, () => undefined);
    const first = n.send({ STATUS: 'starting' });
    await tick();
    expect(t.sent).toEqual([{ STATUS: 'starting' }]);
    const second = n.send({ RELOADING: '1', STATUS: 'reloading' });
    const third = n.send({ READY: '1', STATUS: '1 pod, 1 running' });
    await tick();
    expect(t.sent).toHaveLength(1);
    t.complete();
    await first;
    await tick();
    expect(t.sent).toHaveLength(2);
    // READY comes after RELOADING: systemd reads the state keys as "the last one wins".
    expect(Object.entries(t.sent[1] ?? {})).toEqual([
      ['RELOADING', '1'],
      ['READY', '1'],
      ['STATUS', '1 pod, 1 running'],
    ]);
    t.complete();
    await Promise.all([second, third]);
  });

  it('reports failures to onError and keeps going', async () => {
    const t = manualTransport();
    const errors: string[] = [];
    const n = new Notifier(t.transport, (e) => errors.push((e as Error).message));
    const a = n.send({ WATCHDOG: '1' });
    await tick();
    t.fail('no systemd-notify');
    await a;
    const b = n.send({ WATCHDOG: '1' });
    await tick();
    t.complete();
    await b;
    await n.flush();
    expect(errors).toEqual(['no systemd-notify']);
    expect(t.sent).toHaveLength(2);
  });
});

describe('systemdNotifyCommand', () => {
  it('runs the helper with the assignments as arguments and NOTIFY_SOCKET in its environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nodelet-notify-'));
    try {
      const record = join(dir, 'record');
      const helper = join(dir, 'systemd-notify');
      await writeFile(helper, `#!/bin/sh\nprintf '%s\\n' "$NOTIFY_SOCKET" "$@" > ${JSON.stringify(record)}\n`);
      await chmod(helper, 0o755);
      const transport = systemdNotifyCommand({ command: helper, env: { NOTIFY_SOCKET: '/run/systemd/notify' } });
      await transport.send({ READY: '1', STATUS: '3 pods, 2 running, 1 pending' });
      expect(await readFile(record, 'utf8')).toBe('/run/systemd/notify\nREADY=1\nSTATUS=3 pods, 2 running, 1 pending\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects with what the helper said when it fails', async () => {
    const transport = systemdNotifyCommand({ command: '/bin/sh', env: {} });
    // `sh READY=1` tries to run a script named READY=1.
    await expect(transport.send({ READY: '1' })).rejects.toThrow(/\/bin\/sh failed: .*READY=1/);
  });

  it('rejects when the helper is missing', async () => {
    const transport = systemdNotifyCommand({ command: '/nonexistent/systemd-notify', env: {} });
    await expect(transport.send({ READY: '1' })).rejects.toThrow(/ENOENT/);
  });
});
