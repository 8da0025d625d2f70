// Cases from k8s.io/apimachinery/pkg/util/duration's own tests, plus the boundaries.
import { describe, it, expect } from 'vitest';
import { humanDuration, shortHumanDuration, timestampSince } from '../../../agent/cli/printers/duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration', () => {
  it.each([
    [-2 * S, '<invalid>'],
    [-1 * S, '0s'],
    [-999, '0s'],
    [0, '0s'],
    [1 * S, '1s'],
    [45 * S + 999, '45s'],
    [70 * S, '70s'],
    [119 * S, '119s'],
    [120 * S, '2m'],
    [190 * S, '3m10s'],
    [200 * S, '3m20s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M, '10m'],
    [70 * M, '70m'],
    [179 * M, '179m'],
    [180 * M, '3h'],
    [7 * H + 30 * M, '7h30m'],
    [8 * H, '8h'],
    [47 * H, '47h'],
    [48 * H, '2d'],
    [49 * H, '2d1h'],
    [8 * D - 1 * H, '7d23h'],
    [8 * D + 2 * H, '8d'],
    [367 * D, '367d'],
    [365 * 2 * D + 25 * H, '2y1d'],
    [365 * 3 * D, '3y'],
    [365 * 8 * D + 2 * H, '8y'],
  ])('%i ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe('shortHumanDuration', () => {
  it.each([
    [-2 * S, '<invalid>'],
    [-1 * S, '0s'],
    [59 * S, '59s'],
    [90 * S, '1m'],
    [59 * M, '59m'],
    [90 * M, '1h'],
    [47 * H, '1d'],
    [400 * D, '1y'],
  ])('%i ms → %s', (ms, want) => {
    expect(shortHumanDuration(ms)).toBe(want);
  });
});

describe('timestampSince', () => {
  it('is <unknown> for an unset timestamp', () => {
    expect(timestampSince(undefined, 0)).toBe('<unknown>');
    expect(timestampSince('', 0)).toBe('<unknown>');
  });
  it('measures from an RFC 3339 time', () => {
    expect(timestampSince('2026-01-01T00:00:00Z', Date.UTC(2026, 0, 1, 0, 3, 20))).toBe('3m20s');
  });
});
