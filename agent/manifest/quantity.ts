// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), exactly: values are
// kept as integer nano-units in a bigint, never as a float, and printed in the canonical form
// the API server writes back ("0.5" -> "500m", "1024Mi" -> "1Gi", "1.5Gi" -> "1536Mi").

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface ParsedQuantity {
  /** Value times 10^9, rounded up (away from zero) to a whole nano-unit as Go does. */
  readonly nano: bigint;
  /** The suffix family the text used; decides the canonical spelling. */
  readonly format: QuantityFormat;
}

export type QuantityParseResult =
  | { readonly ok: true; readonly quantity: ParsedQuantity }
  | { readonly ok: false; readonly error: string };

/** The Go Quantity parser's format (also the `pattern` scripts/generate-schema.mjs gives quantities). */
export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
/** resource.ErrFormatWrong, the message the API server returns for a malformed quantity. */
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${QUANTITY_PATTERN}'`;
/** resource.ErrSuffix. */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";
/** resource.ErrNumeric. */
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIX_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_SUFFIX_BY_POWER = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e / 10, s]));
// Exponents beyond this would only build enormous integers; no resource is that large or small.
const MAX_ABS_EXPONENT = 1000;

const NANO = 1_000_000_000n;

/** Splits a quantity the way Go's parseQuantityString does (same leniency: "1.", ".5", "+1"). */
function splitQuantity(str: string): { positive: boolean; num: string; denom: string; suffix: string } | undefined {
  let pos = 0;
  const end = str.length;
  let positive = true;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, num, denom: '', suffix: '' };
  if (num === '') num = '0';
  pos = i;
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, num, denom, suffix: '' };
    pos = i;
  }
  const suffixStart = pos;
  i = pos;
  while (i < end && 'eEinumkKMGTP'.includes(str[i] ?? '')) i++;
  if (i >= end) return { positive, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  for (i = pos; i < end; i++) if (!isDigit(str[i])) return undefined;
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

function interpretSuffix(suffix: string): { base: 10 | 2; exponent: number; format: QuantityFormat } | undefined {
  const dec = DECIMAL_SUFFIXES[suffix];
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIXES[suffix];
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[-+]?[0-9]+$/.test(suffix.slice(1))) {
    return { base: 10, exponent: Number(suffix.slice(1)), format: 'DecimalExponent' };
  }
  return undefined;
}

/** Divides, rounding the magnitude up (inf.RoundUp). */
function divideRoundingUp(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d === 0n ? q : n < 0n ? q - 1n : q + 1n;
}

/** Parses a quantity as the API server decodes it; numbers (YAML `cpu: 0.5`) are accepted too. */
export function parseQuantityStrict(input: string | number): QuantityParseResult {
  const str = typeof input === 'number' ? numberToQuantityText(input) : input;
  if (str === undefined || str.length === 0) return { ok: false, error: QUANTITY_FORMAT_ERROR };
  if (str === '0') return { ok: true, quantity: { nano: 0n, format: 'DecimalSI' } };
  const parts = splitQuantity(str);
  if (parts === undefined) return { ok: false, error: QUANTITY_FORMAT_ERROR };
  const suffix = interpretSuffix(parts.suffix);
  if (suffix === undefined) return { ok: false, error: QUANTITY_SUFFIX_ERROR };
  if (Math.abs(suffix.exponent) > MAX_ABS_EXPONENT) return { ok: false, error: QUANTITY_NUMERIC_ERROR };
  const digits = BigInt(parts.num + parts.denom);
  // value = digits * 10^(-len(denom)) * base^exponent; we want value * 10^9.
  let numerator = digits;
  let denominator = 1n;
  let tenPower = 9 - parts.denom.length;
  if (suffix.base === 10) tenPower += suffix.exponent;
  else numerator *= 2n ** BigInt(suffix.exponent);
  if (tenPower >= 0) numerator *= 10n ** BigInt(tenPower);
  else denominator = 10n ** BigInt(-tenPower);
  const magnitude = divideRoundingUp(numerator, denominator);
  let format = suffix.format;
  // A binary quantity below 1 is shown in decimal form (Go switches the format at parse time).
  if (format === 'BinarySI' && magnitude < NANO) format = 'DecimalSI';
  return { ok: true, quantity: { nano: parts.positive ? magnitude : -magnitude, format } };
}

function numberToQuantityText(n: number): string | undefined {
  return Number.isFinite(n) ? String(n) : undefined;
}

/** The value as a JS number (e.g. cores for cpu, bytes for memory), or undefined when malformed. */
export function parseQuantity(input: string | number): number | undefined {
  const r = parseQuantityStrict(input);
  return r.ok ? Number(r.quantity.nano) / 1e9 : undefined;
}

/** The exact value in nano-units (Docker's NanoCpus for cpu), or undefined when malformed. */
export function quantityNano(input: string | number): bigint | undefined {
  const r = parseQuantityStrict(input);
  return r.ok ? r.quantity.nano : undefined;
}

/** Strips all factors of `base` from |v|, returning the rest and how many were removed. */
function removeFactors(v: bigint, base: bigint): { rest: bigint; times: number } {
  let rest = v;
  let times = 0;
  while (rest !== 0n && rest % base === 0n) {
    rest /= base;
    times++;
  }
  return { rest, times };
}

/** Canonical text (Quantity.String()): no precision lost, no fraction, largest suffix. */
export function formatQuantity(q: ParsedQuantity): string {
  if (q.nano === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    const within1024 = q.nano > -1024n * NANO && q.nano < 1024n * NANO;
    if (within1024 || q.nano % NANO !== 0n) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    const { rest, times } = removeFactors(q.nano / NANO, 1024n);
    const suffix = BINARY_SUFFIX_BY_POWER.get(Math.min(times, 6)) ?? '';
    const amount = times > 6 ? rest * 1024n ** BigInt(times - 6) : rest;
    return `${amount}${suffix}`;
  }
  const stripped = removeFactors(q.nano, 10n);
  let amount = stripped.rest;
  let exponent = stripped.times - 9;
  // Bring the exponent down to a multiple of 3.
  const mod = ((exponent % 3) + 3) % 3;
  if (mod !== 0) {
    amount *= 10n ** BigInt(mod);
    exponent -= mod;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
  const suffix = DECIMAL_SUFFIX_BY_EXPONENT.get(exponent);
  return suffix === undefined ? `${amount}e${exponent}` : `${amount}${suffix}`;
}

/** The canonical spelling of a quantity, or undefined when it does not parse. */
export function canonicalQuantity(input: string | number): string | undefined {
  const r = parseQuantityStrict(input);
  return r.ok ? formatQuantity(r.quantity) : undefined;
}

/** Quantity.RoundUp(-3): the API server rounds every requests/limits value up to milli-units. */
export function roundUpToMilli(q: ParsedQuantity): ParsedQuantity {
  const milli = 1_000_000n;
  if (q.nano % milli === 0n) return q;
  return { nano: divideRoundingUp(q.nano, milli) * milli, format: q.format };
}
