// The kubelet's image GC decisions: records, usage against the thresholds, eviction order.
import { describe, expect, it } from 'vitest';
import { deletionErrorsMessage, detectImages, evictionOrder, freeSpaceFailedMessage, gcDisabled, imageFsUsage, type ImageRecord } from '../../../agent/images/image-gc-policy.js';

const policy = { highThresholdPercent: 85, lowThresholdPercent: 80, minimumAgeMs: 120_000 };
const img = (id: string, tags: string[] = [], sizeBytes = 100) => ({ id, sizeBytes, repoTags: tags });

describe('detectImages', () => {
  it('first detection at the given time, lastUsed now for images in use, pinned sandbox image, gone images dropped', () => {
    const first = detectImages(new Map(), [img('a'), img('b', ['registry.k8s.io/pause:3.10']), img('c')], new Set(['a']), { detectTime: 0, now: 1000, sandboxImage: 'registry.k8s.io/pause:3.10' });
    expect(first.get('a')).toEqual({ firstDetected: 0, lastUsed: 1000, sizeBytes: 100, pinned: false });
    expect(first.get('b')?.pinned).toBe(true);
    const second = detectImages(first, [img('a'), img('d')], new Set(), { detectTime: 5000, now: 5000, sandboxImage: 'x' });
    expect([...second.keys()]).toEqual(['a', 'd']);
    expect(second.get('a')).toEqual({ firstDetected: 0, lastUsed: 1000, sizeBytes: 100, pinned: false });
    expect(second.get('d')?.firstDetected).toBe(5000);
  });
});

describe('imageFsUsage', () => {
  it('usage percent and the bytes to free down to the low threshold', () => {
    expect(imageFsUsage({ capacity: 1000, available: 100 }, policy)).toEqual({ ok: true, usagePercent: 90, bytesToFree: 100 });
    expect(imageFsUsage({ capacity: 1000, available: 2000 }, policy)).toEqual({ ok: true, usagePercent: 0, bytesToFree: -800 });
    expect(imageFsUsage({ capacity: 0, available: 0 }, policy)).toEqual({ ok: false, error: 'invalid capacity 0 on image filesystem' });
  });

  it('100 disables GC', () => {
    expect(gcDisabled({ ...policy, highThresholdPercent: 100 })).toBe(true);
    expect(gcDisabled(policy)).toBe(false);
  });
});

describe('evictionOrder', () => {
  const now = 1_000_000;
  const rec = (lastUsed: number, firstDetected = 0, pinned = false): ImageRecord => ({ lastUsed, firstDetected, sizeBytes: 10, pinned });
  it('least recently used first, ties by first detection; never in use, pinned, used now or too young', () => {
    const records = new Map<string, ImageRecord>([
      ['recent', rec(900_000)],
      ['never-b', rec(0, 20)],
      ['never-a', rec(0, 10)],
      ['inuse', rec(now)],
      ['pinned', rec(0, 0, true)],
      ['young', rec(0, now - 1000)],
      ['used-now', rec(now)],
    ]);
    expect(evictionOrder(records, new Set(['inuse']), { now, policy }).map((c) => c.id)).toEqual(['never-a', 'never-b', 'recent']);
  });
});

describe('messages', () => {
  it("the kubelet's texts", () => {
    expect(freeSpaceFailedMessage(100, 10)).toBe('Failed to garbage collect required amount of images. Attempted to free 100 bytes, but only found 10 bytes eligible to free.');
    expect(deletionErrorsMessage(100, 0, ['a', 'a'])).toBe('wanted to free 100 bytes, but freed 0 bytes space with errors in image deletion: a');
    expect(deletionErrorsMessage(100, 0, ['a', 'b'])).toBe('wanted to free 100 bytes, but freed 0 bytes space with errors in image deletion: [a, b]');
  });
});
