import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
  canonicalQuantity,
  parseQuantity,
  parseQuantityStrict,
  quantityNano,
  roundUpToMilli,
  formatQuantity,
} from '../../../agent/manifest/quantity.js';

describe('parseQuantity', () => {
  it.each<[string | number, number]>([
    ['100m', 0.1],
    ['200Mi', 200 * 1024 * 1024],
    ['1Gi', 1024 ** 3],
    ['0.5', 0.5],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1E', 1e18],
    ['2k', 2000],
    ['1.5G', 1.5e9],
    ['+5', 5],
    ['-2', -2],
    ['.5', 0.5],
    ['1.', 1],
    ['250u', 0.00025],
    ['3n', 3e-9],
    [0.5, 0.5],
    [2, 2],
    ['0', 0],
  ])('%j -> %d', (input, value) => {
    expect(parseQuantity(input)).toBeCloseTo(value, 12);
  });

  it.each<[string, string]>([
    ['', QUANTITY_FORMAT_ERROR],
    ['abc', QUANTITY_FORMAT_ERROR],
    ['1Gb', QUANTITY_FORMAT_ERROR],
    ['1 Gi', QUANTITY_FORMAT_ERROR],
    ['1mi', QUANTITY_SUFFIX_ERROR],
    ['1KB', QUANTITY_FORMAT_ERROR],
    ['1kK', QUANTITY_SUFFIX_ERROR],
  ])('%j is rejected', (input, error) => {
    expect(parseQuantityStrict(input)).toEqual({ ok: false, error });
    expect(parseQuantity(input)).toBeUndefined();
  });

  it('keeps exact nano-units (Docker NanoCpus)', () => {
    expect(quantityNano('250m')).toBe(250_000_000n);
    expect(quantityNano('1.5')).toBe(1_500_000_000n);
    // Below a nano-unit rounds up, as Go does.
    expect(quantityNano('1e-12')).toBe(1n);
  });
});

describe('canonical form (Quantity.String())', () => {
  it.each<[string | number, string]>([
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['1000m', '1'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['15000', '15k'],
    ['100m', '100m'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Ki', '512'],
    ['1Ki', '1Ki'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['12e6', '12e6'],
    ['0.1Gi', '107374182400m'],
    ['-1Gi', '-1Gi'],
    ['0Mi', '0'],
    [1, '1'],
    [0.25, '250m'],
  ])('%j -> %s', (input, text) => {
    expect(canonicalQuantity(input)).toBe(text);
  });

  it('the API server rounds resources up to milli-units', () => {
    const r = parseQuantityStrict('100u');
    expect(r.ok && formatQuantity(roundUpToMilli(r.quantity))).toBe('1m');
  });

  it('canonical text parses back to the same value and text', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.constantFrom('', 'm', 'k', 'M', 'Ki', 'Mi', 'Gi', 'e3', 'e-3'),
        (n, suffix) => {
          const first = parseQuantityStrict(`${n}${suffix}`);
          if (!first.ok) return false;
          const text = formatQuantity(first.quantity);
          const second = parseQuantityStrict(text);
          return second.ok && second.quantity.nano === first.quantity.nano && formatQuantity(second.quantity) === text;
        },
      ),
    );
  });
});
