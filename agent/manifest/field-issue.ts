// Field errors shaped like Go's k8s.io/apimachinery/pkg/util/validation/field: the same
// error types, the same value printing, so a message reads exactly as kubectl prints it
// (`spec.containers[0].image: Required value`).

/** One problem (or warning) about one field. `message` is the full kubectl line. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
  readonly hint?: string;
}

/**
 * A value printed verbatim. Go prints some bad values through `String()` or `%#v`
 * (IntOrString, maps, selectors); callers build that text and wrap it here so the
 * formatter does not quote it again.
 */
export class GoLiteral {
  constructor(readonly text: string) {}
}

export type GoValue = string | number | boolean | null | undefined | GoLiteral;

// The ErrorType strings of field/errors.go.
export const ERROR_TYPES = {
  notFound: 'Not found',
  required: 'Required value',
  duplicate: 'Duplicate value',
  invalid: 'Invalid value',
  notSupported: 'Unsupported value',
  forbidden: 'Forbidden',
  tooLong: 'Too long',
  tooMany: 'Too many',
  internal: 'Internal error',
} as const;

/** Go's strconv.Quote: double quotes, Go escapes, printable Unicode kept as is. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (isGoPrintable(ch)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

// unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
function isGoPrintable(ch: string): boolean {
  return PRINTABLE.test(ch);
}

const UNPRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/**
 * `s` as it is when every character is printable, else goQuote(s): a value that holds a newline
 * or a tab stays on one line (and in its table column), and the quotes say it was escaped.
 */
export function printableOrQuoted(s: string): string {
  return UNPRINTABLE.test(s) ? goQuote(s) : s;
}

/** How field.Error prints a bad value: strings quoted, numbers and booleans plain, nil as null. */
export function formatGoValue(value: GoValue): string {
  if (value instanceof GoLiteral) return value.text;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  return String(value);
}

/** `map[string]string{"a":"b", "c":"d"}` as Go's %#v prints a map (keys sorted). */
export function goStringMap(map: Readonly<Record<string, string>> | undefined): GoLiteral {
  if (map === undefined || map === null) return new GoLiteral('map[string]string(nil)');
  const entries = Object.keys(map)
    .sort()
    .map((k) => `${goQuote(k)}:${goQuote(map[k] ?? '')}`);
  return new GoLiteral(`map[string]string{${entries.join(', ')}}`);
}

function issue(field: string, body: string, detail?: string, hint?: string): FieldIssue {
  const message = `${field}: ${body}${detail ? `: ${detail}` : ''}`;
  return hint === undefined ? { field, message } : { field, message, hint };
}

function withValue(type: string, value: GoValue): string {
  return `${type}: ${formatGoValue(value)}`;
}

export function required(field: string, detail?: string): FieldIssue {
  return issue(field, ERROR_TYPES.required, detail);
}

export function invalid(field: string, value: GoValue, detail?: string): FieldIssue {
  return issue(field, withValue(ERROR_TYPES.invalid, value), detail);
}

export function notSupported(field: string, value: GoValue, allowed: readonly string[]): FieldIssue {
  const detail = allowed.length > 0 ? `supported values: ${allowed.map(goQuote).join(', ')}` : undefined;
  return issue(field, withValue(ERROR_TYPES.notSupported, value), detail);
}

export function duplicate(field: string, value: GoValue): FieldIssue {
  return issue(field, withValue(ERROR_TYPES.duplicate, value));
}

/** Go's NotFound takes no detail, but some callers set one afterwards (resource claims). */
export function notFound(field: string, value: GoValue, detail?: string): FieldIssue {
  return issue(field, withValue(ERROR_TYPES.notFound, value), detail);
}

export function forbidden(field: string, detail?: string): FieldIssue {
  return issue(field, ERROR_TYPES.forbidden, detail);
}

/** The value is never printed for Too long. */
export function tooLong(field: string, maxLength: number): FieldIssue {
  return issue(field, ERROR_TYPES.tooLong, `must have at most ${maxLength} bytes`);
}

export function tooMany(field: string, actual: number | undefined, max: number): FieldIssue {
  const detail = max >= 0 ? `must have at most ${max} items` : 'has too many items';
  const body = actual === undefined || actual < 0 ? ERROR_TYPES.tooMany : withValue(ERROR_TYPES.tooMany, actual);
  return issue(field, body, detail);
}

/** Returns the issue with a hint attached (did-you-mean, how to fix). */
export function withHint(fieldIssue: FieldIssue, hint: string): FieldIssue {
  return { ...fieldIssue, hint };
}

/** A message that is not in field-error form (kubelet's own reasons, nodelet warnings). */
export function plainIssue(field: string, message: string, hint?: string): FieldIssue {
  return hint === undefined ? { field, message } : { field, message, hint };
}

/**
 * ErrorList.ToAggregate drops errors whose text repeats; keep the first of each. The field
 * is part of the key because kubelet-style reasons do not carry it in their text.
 */
export function dedupeIssues(issues: readonly FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  const out: FieldIssue[] = [];
  for (const i of issues) {
    const key = `${i.field}\u0000${i.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(i);
  }
  return out;
}

/** Go field.Path helpers: child `.name`, index `[i]`, key `[key]` (unquoted, as Go prints it). */
export const fieldPath = {
  // Built with a loop rather than filter/join: validation calls this for every field it visits.
  child: (path: string, ...names: string[]): string => {
    let out = path;
    for (const name of names) if (name !== '') out = out === '' ? name : `${out}.${name}`;
    return out;
  },
  index: (path: string, i: number): string => `${path}[${i}]`,
  key: (path: string, key: string): string => `${path}[${key}]`,
};
