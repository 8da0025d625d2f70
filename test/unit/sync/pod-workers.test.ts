import { describe, expect, it } from 'vitest';
import { PodWorkers } from '../../../agent/sync/pod-workers.js';
import { FakeClock, flushMicrotasks } from '../../helpers/fake-clock.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('PodWorkers', () => {
  it('never runs two passes of one pod at once and coalesces requests into one more pass', async () => {
    const clock = new FakeClock();
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let passes = 0;
    const workers = new PodWorkers({
      parallelism: 4,
      clock,
      onError: () => undefined,
      sync: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        passes++;
        if (passes === 1) await gate.promise;
        running--;
        return {};
      },
    });
    workers.enqueue('a');
    await flushMicrotasks();
    workers.enqueue('a');
    workers.enqueue('a');
    workers.enqueue('a');
    gate.resolve();
    await workers.idle();
    await flushMicrotasks();
    await workers.idle();
    expect(maxRunning).toBe(1);
    expect(passes).toBe(2);
  });

  it('bounds parallelism across pods', async () => {
    const clock = new FakeClock();
    let running = 0;
    let maxRunning = 0;
    const workers = new PodWorkers({
      parallelism: 3,
      clock,
      onError: () => undefined,
      sync: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setImmediate(r));
        running--;
        return {};
      },
    });
    for (let i = 0; i < 10; i++) workers.enqueue(`p${i}`);
    await workers.idle();
    expect(maxRunning).toBe(3);
  });

  it('requeues at the time a pass asks for, and retries after an error', async () => {
    const clock = new FakeClock();
    const runs: number[] = [];
    let fail = true;
    const errors: string[] = [];
    const workers = new PodWorkers({
      parallelism: 1,
      clock,
      errorBackoffMs: 500,
      onError: (uid) => errors.push(uid),
      sync: async () => {
        runs.push(clock.now());
        if (fail) {
          fail = false;
          throw new Error('boom');
        }
        return runs.length < 3 ? { requeueAt: clock.now() + 10_000 } : {};
      },
    });
    const t0 = clock.now();
    workers.enqueue('a');
    await workers.idle();
    await clock.advance(500);
    await workers.idle();
    await clock.advance(10_000);
    await workers.idle();
    expect(errors).toEqual(['a']);
    expect(runs.map((t) => t - t0)).toEqual([0, 500, 10_500]);
  });
});
