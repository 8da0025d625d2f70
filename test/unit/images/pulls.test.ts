// Pull slots (serializeImagePulls / maxParallelImagePulls), the Pulled message, the image config keys.
import { describe, expect, it } from 'vitest';
import { createPullLimiter, pullSlots } from '../../../agent/images/pull-limiter.js';
import { pulledMessage } from '../../../agent/images/pull-messages.js';
import { resolveImageConfig } from '../../../agent/config/image-config.js';

describe('pull limiter', () => {
  it('slots', () => {
    expect(pullSlots({ serializeImagePulls: true })).toBe(1);
    expect(pullSlots({ serializeImagePulls: false })).toBe(Number.POSITIVE_INFINITY);
    expect(pullSlots({ serializeImagePulls: false, maxParallelImagePulls: 3 })).toBe(3);
  });

  it('runs at most `slots` at once, in order', async () => {
    const limiter = createPullLimiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const task = (i: number) => () =>
      new Promise<number>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        gates.push(() => {
          running--;
          resolve(i);
        });
      });
    const all = Promise.all([0, 1, 2, 3].map((i) => limiter.run(task(i))));
    while (order.length < 4) {
      await new Promise((r) => setTimeout(r, 0));
      gates.shift()?.();
    }
    while (gates.length > 0) gates.shift()?.();
    expect(await all).toEqual([0, 1, 2, 3]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('a failed pull frees its slot', async () => {
    const limiter = createPullLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await limiter.run(() => Promise.resolve(1))).toBe(1);
  });
});

describe('pulledMessage', () => {
  it("prints the kubelet's text, durations truncated to the millisecond", () => {
    expect(pulledMessage('r/app:1', 1234.9, 5678.2, 4261550)).toBe('Successfully pulled image "r/app:1" in 1.234s (5.678s including waiting). Image size: 4261550 bytes.');
    expect(pulledMessage('a', 250, 100, 1)).toBe('Successfully pulled image "a" in 250ms (250ms including waiting). Image size: 1 bytes.');
  });
});

describe('resolveImageConfig', () => {
  it('kubelet defaults', () => {
    const problems: string[] = [];
    expect(resolveImageConfig({}, problems)).toEqual({
      serializeImagePulls: true,
      imagePullBackOff: { initialMs: 10_000, maxMs: 300_000 },
      gc: { highThresholdPercent: 85, lowThresholdPercent: 80, minimumAgeMs: 120_000, periodMs: 300_000 },
    });
    expect(problems).toEqual([]);
  });

  it('maxParallelImagePulls above 1 turns serializeImagePulls off by default, and refuses it on', () => {
    const problems: string[] = [];
    expect(resolveImageConfig({ maxParallelImagePulls: 4 }, problems).serializeImagePulls).toBe(false);
    resolveImageConfig({ maxParallelImagePulls: 4, serializeImagePulls: true }, problems);
    resolveImageConfig({ imageGCHighThresholdPercent: 50, imageGCLowThresholdPercent: 60 }, problems);
    resolveImageConfig({ imageCredentialProviderConfig: '/etc/p.yaml' }, problems);
    expect(problems).toEqual([
      'maxParallelImagePulls: maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false',
      'imageGCLowThresholdPercent: LowThresholdPercent 60 can not be higher than HighThresholdPercent 50',
      'imageCredentialProviderBinDir: must be set when imageCredentialProviderConfig is',
    ]);
  });
});

describe('registry credentials in logs', () => {
  it('the auth fields of a docker config or X-Registry-Auth are redacted wherever they appear', async () => {
    const { redactSecrets, REDACTED } = await import('../../../agent/log/logger.js');
    expect(redactSecrets({ entry: { auth: 'dTpw', username: 'u', password: 'p', identitytoken: 't' }, authconfig: { username: 'u' }, 'x-registry-auth': 'e30=', authSource: '/root/config.json r' })).toEqual({
      entry: { auth: REDACTED, username: 'u', password: REDACTED, identitytoken: REDACTED },
      authconfig: REDACTED,
      'x-registry-auth': REDACTED,
      authSource: '/root/config.json r',
    });
  });
});
