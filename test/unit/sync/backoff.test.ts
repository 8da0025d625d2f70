import { describe, it, expect } from 'vitest';
import {
  DEFAULT_BACKOFF,
  isBackoffEntryStale,
  isInBackoffSince,
  nextBackoff,
  pruneBackoff,
  type BackoffEntry,
} from '../../../agent/sync/backoff.js';
import { formatGoDuration } from '../../../agent/core/go-duration.js';

const S = 1000;
const T = 1_000_000_000;

describe('isInBackoffSince (flowcontrol.Backoff.IsInBackOffSince)', () => {
  const entry: BackoffEntry = { delayMs: 20 * S, lastUpdate: T };
  it.each([
    { what: 'no entry: never in back-off', entry: undefined, eventTime: T, now: T, expected: false },
    { what: 'inside the window', entry, eventTime: T + 5 * S, now: T + 10 * S, expected: true },
    { what: 'one ms before the end', entry, eventTime: T + 5 * S, now: T + 25 * S - 1, expected: true },
    { what: 'the window is half-open: its end is out', entry, eventTime: T + 5 * S, now: T + 25 * S, expected: false },
    { what: 'after the window', entry, eventTime: T + 5 * S, now: T + 60 * S, expected: false },
    { what: 'event exactly 2×max after the update: not expired yet', entry, eventTime: T + 600 * S, now: T + 601 * S, expected: true },
    { what: 'event more than 2×max after the update: expired', entry, eventTime: T + 600 * S + 1, now: T + 601 * S, expected: false },
  ])('$what', ({ entry: e, eventTime, now, expected }) => {
    expect(isInBackoffSince(e, eventTime, now, DEFAULT_BACKOFF)).toBe(expected);
  });
});

describe('nextBackoff (flowcontrol.Backoff.Next)', () => {
  it('starts at the initial delay and records the update time', () => {
    expect(nextBackoff(undefined, T, T + 3 * S, DEFAULT_BACKOFF)).toEqual({ delayMs: 10 * S, lastUpdate: T + 3 * S });
  });

  it('doubles up to the maximum: 10s 20s 40s 80s 160s 300s 300s', () => {
    const delays: number[] = [];
    let entry: BackoffEntry | undefined;
    let now = T;
    for (let i = 0; i < 7; i++) {
      entry = nextBackoff(entry, now, now, DEFAULT_BACKOFF);
      delays.push(entry.delayMs / S);
      now += entry.delayMs + S;
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300]);
  });

  it.each([
    { what: 'event 600 s after the last update keeps doubling', gap: 600 * S, expected: 40 * S },
    { what: 'event more than 600 s after the last update starts over', gap: 600 * S + 1, expected: 10 * S },
  ])('$what', ({ gap, expected }) => {
    const entry: BackoffEntry = { delayMs: 20 * S, lastUpdate: T };
    expect(nextBackoff(entry, T + gap, T + gap + S, DEFAULT_BACKOFF).delayMs).toBe(expected);
  });

  it('follows a custom policy', () => {
    const policy = { initialMs: 1 * S, maxMs: 4 * S };
    let e = nextBackoff(undefined, T, T, policy);
    const seen = [e.delayMs];
    for (let i = 0; i < 3; i++) {
      e = nextBackoff(e, T, T, policy);
      seen.push(e.delayMs);
    }
    expect(seen).toEqual([1 * S, 2 * S, 4 * S, 4 * S]);
  });
});

describe('stale entries (flowcontrol.Backoff.GC)', () => {
  const fresh: BackoffEntry = { delayMs: 10 * S, lastUpdate: T };
  const old: BackoffEntry = { delayMs: 300 * S, lastUpdate: T - 601 * S };
  it('an entry not updated for more than 2×max is stale', () => {
    expect(isBackoffEntryStale(fresh, T + 600 * S, DEFAULT_BACKOFF)).toBe(false);
    expect(isBackoffEntryStale(fresh, T + 600 * S + 1, DEFAULT_BACKOFF)).toBe(true);
  });
  it('pruneBackoff keeps only the live entries', () => {
    const pruned = pruneBackoff(new Map([['a/1', fresh], ['b/2', old]]), T, DEFAULT_BACKOFF);
    expect([...pruned.keys()]).toEqual(['a/1']);
  });
});

describe('formatGoDuration (time.Duration.String)', () => {
  it.each([
    [0, '0s'],
    [1, '1ms'],
    [500, '500ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [1250, '1.25s'],
    [10_000, '10s'],
    [59_000, '59s'],
    [60_000, '1m0s'],
    [80_000, '1m20s'],
    [160_000, '2m40s'],
    [300_000, '5m0s'],
    [3_600_000, '1h0m0s'],
    [3_723_000, '1h2m3s'],
    [-10_000, '-10s'],
  ])('%i ms → %s', (ms, expected) => {
    expect(formatGoDuration(ms)).toBe(expected);
  });
});
