// Issue 12 item 8d: a DaemonSet whose state cannot be saved (a full state disk) is retried with a
// capped exponential back-off (2 s doubling to 60 s), logged once per distinct error and once on
// recovery, instead of an error line every 2 s.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DaemonSetController, SYNC_RETRY_INITIAL_MS, SYNC_RETRY_MAX_MS, type DaemonSetHost } from '../../../agent/daemonset/controller.js';
import { DaemonSetStateStore, type DaemonSetState } from '../../../agent/daemonset/revision-store.js';
import type { ManifestObject } from '../../../agent/core/types.js';
import { EventStore } from '../../../agent/events/event-store.js';
import { createLogger } from '../../../agent/log/logger.js';
import { parseManifestFile } from '../../../agent/manifest/parse-file.js';
import { baseNodeIdentity } from '../../../agent/node/node-model.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { AGENT_DAEMON_SET_YAML } from '../../fixtures/manifest-texts.js';

/** Keeps nothing on disk; `failure` makes save() throw, as a full disk does. */
class FlakyStore extends DaemonSetStateStore {
  failure: string | undefined = 'ENOSPC: no space left on device, write';
  readonly saves: number[] = [];
  constructor(private readonly clock: FakeClock) {
    super('/nonexistent');
  }
  override load(): Promise<DaemonSetState | undefined> {
    return Promise.resolve(undefined);
  }
  override save(): Promise<void> {
    this.saves.push(this.clock.now());
    return this.failure === undefined ? Promise.resolve() : Promise.reject(new Error(this.failure));
  }
}

describe('DaemonSet sync retries', () => {
  it('backs off 2 s, 4 s, ... 60 s while saving fails, logs each distinct error once and the recovery once', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const host: DaemonSetHost = { setDesired: () => undefined, removeDesired: () => undefined, podView: () => undefined, observed: () => undefined };
    const store = new FlakyStore(clock);
    const controller = new DaemonSetController({
      host,
      store,
      hostFs: { writeFileAtomic: () => Promise.reject(new Error('not used')) },
      clock,
      logger: createLogger({ level: 'info', stream: sink }),
      events: new EventStore({ clock, source: 'test' }),
      node: { current: () => baseNodeIdentity({ name: 'node1', platform: 'linux', arch: 'amd64', configLabels: {}, configTaints: [] }) },
    });
    const ds = parseManifestFile(AGENT_DAEMON_SET_YAML, '/m/agent.yaml').objects[0] as Extract<ManifestObject, { kind: 'DaemonSet' }>;
    controller.upsert(ds);
    await controller.initialSync([]);
    const failed = (): Record<string, unknown>[] => lines.filter((l) => l.msg === 'daemonset sync failed; retrying');

    await clock.advance(200_000);
    const gaps = store.saves.map((t, i) => t - (store.saves[i - 1] ?? t0));
    expect(gaps).toEqual([0, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    expect(failed()).toEqual([expect.objectContaining({ level: 'error', daemonset: 'DaemonSet/system/agent', err: 'ENOSPC: no space left on device, write', retryInMs: SYNC_RETRY_INITIAL_MS })]);

    // Another error is logged once more; the back-off goes on (capped).
    store.failure = 'EIO: i/o error, write';
    await clock.advance(SYNC_RETRY_MAX_MS);
    expect(failed().map((l) => [l.err, l.retryInMs])).toEqual([
      ['ENOSPC: no space left on device, write', 2000],
      ['EIO: i/o error, write', SYNC_RETRY_MAX_MS],
    ]);

    // The disk has room again: one recovery line, and the next failure starts over at 2 s.
    store.failure = undefined;
    await clock.advance(SYNC_RETRY_MAX_MS);
    expect(lines.filter((l) => l.msg === 'daemonset sync recovered')).toEqual([expect.objectContaining({ level: 'info', after: 'EIO: i/o error, write' })]);
    expect(lines.filter((l) => l.msg === 'new daemonset revision')).toHaveLength(1);
    controller.stop();
  });
});
