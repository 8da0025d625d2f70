// `-l` label selectors, parsed and matched as apimachinery's labels.Parse does
// (=, ==, !=, in, notin, exists, !key, and the numeric > and <), with its error messages. Pure.
import { goQuote } from '../manifest/field-issue.js';
import { isQualifiedName, isValidLabelValue } from '../manifest/names.js';

export type SelectorOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** Requirements, all of which must match (sorted by key, as apimachinery keeps them). */
export type LabelSelector = readonly Requirement[];

export type SelectorParse = { readonly ok: true; readonly selector: LabelSelector } | { readonly ok: false; readonly error: string };

type Token = 'error' | 'end' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';

interface Scanned {
  readonly tok: Token;
  readonly literal: string;
}

const LITERAL_TOKENS: Readonly<Record<string, Token>> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecial = (ch: string): boolean => '=!(),><'.includes(ch) && ch !== '';

function lex(s: string): Scanned[] {
  const items: Scanned[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos] ?? '')) pos++;
    if (pos >= s.length) {
      items.push({ tok: 'end', literal: '' });
      return items;
    }
    if (isSpecial(s[pos] ?? '')) {
      // Longest special-symbol run that is still a token ("!=", "==", then one more is too many).
      let buffer = '';
      let last: Scanned | undefined;
      while (pos < s.length && isSpecial(s[pos] ?? '')) {
        buffer += s[pos];
        const tok = LITERAL_TOKENS[buffer];
        if (tok !== undefined) last = { tok, literal: buffer };
        else if (last !== undefined) break;
        pos++;
      }
      items.push(last ?? { tok: 'error', literal: `error expected: keyword found '${buffer}'` });
      if (last === undefined) return [...items, { tok: 'end', literal: '' }];
      continue;
    }
    let buffer = '';
    while (pos < s.length && !isSpecial(s[pos] ?? '') && !isWhitespace(s[pos] ?? '')) buffer += s[pos++];
    items.push({ tok: LITERAL_TOKENS[buffer] ?? 'id', literal: buffer });
  }
}

class ParseError extends Error {}

class Parser {
  readonly #items: Scanned[];
  #position = 0;

  constructor(items: Scanned[]) {
    this.#items = items;
  }

  /** In a values context, `in` and `notin` are plain identifiers (`x in (in)`). */
  lookahead(values: boolean): Scanned {
    const item = this.#items[this.#position] ?? { tok: 'end', literal: '' };
    return values && (item.tok === 'in' || item.tok === 'notin') ? { tok: 'id', literal: item.literal } : item;
  }

  consume(values: boolean): Scanned {
    const item = this.lookahead(values);
    this.#position++;
    return item;
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const { tok, literal } = this.lookahead(true);
      if (tok === 'end') return requirements;
      if (tok !== 'id' && tok !== '!') throw new ParseError(`found '${literal}', expected: !, identifier, or 'end of string'`);
      try {
        requirements.push(this.parseRequirement());
      } catch (err) {
        if (err instanceof ParseError) throw new ParseError(`unable to parse requirement: ${err.message}`);
        throw err;
      }
      const next = this.consume(true);
      if (next.tok === 'end') return requirements;
      if (next.tok !== ',') throw new ParseError(`found '${next.literal}', expected: ',' or 'end of string'`);
      const after = this.lookahead(true);
      if (after.tok !== 'id' && after.tok !== '!') throw new ParseError(`found '${after.literal}', expected: identifier after ','`);
    }
  }

  parseRequirement(): Requirement {
    let { tok, literal } = this.consume(true);
    let operator: SelectorOperator | undefined;
    if (tok === '!') {
      operator = '!';
      ({ tok, literal } = this.consume(true));
    }
    if (tok !== 'id') throw new ParseError(`found '${literal}', expected: identifier`);
    const keyErrors = isQualifiedName(literal);
    if (keyErrors.length > 0) throw new ParseError(`<nil>: Invalid value: ${goQuote(literal)}: ${keyErrors.join('; ')}`);
    const key = literal;
    // `!key` takes no operator: whatever follows is the caller's "expected ','" error.
    if (operator === '!') return { key, operator, values: [] };
    const next = this.lookahead(true).tok;
    if (next === 'end' || next === ',') return { key, operator: 'exists', values: [] };
    const op = this.parseOperator();
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, op, values);
  }

  parseOperator(): SelectorOperator {
    const { tok, literal } = this.consume(false);
    switch (tok) {
      case 'in':
      case 'notin':
      case '=':
      case '==':
      case '!=':
        return tok;
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new ParseError(`found '${literal}', expected: ${BINARY_OPERATORS}`);
    }
  }

  parseValues(): string[] {
    const open = this.consume(true);
    if (open.tok !== '(') throw new ParseError(`found '${open.literal}' expected: '('`);
    const { tok, literal } = this.lookahead(true);
    if (tok === ')') {
      this.consume(true);
      return [''];
    }
    if (tok !== 'id' && tok !== ',') throw new ParseError(`found '${literal}', expected: ',', ')' or identifier`);
    const values = this.parseIdentifiersList();
    if (this.consume(true).tok !== ')') throw new ParseError(`found '${literal}', expected: ')'`);
    return values;
  }

  /** A possibly empty list of possibly empty identifiers: `(a,,b)`, `(,)`. */
  parseIdentifiersList(): string[] {
    const values = new Set<string>();
    for (;;) {
      const { tok, literal } = this.consume(true);
      if (tok === 'id') {
        values.add(literal);
        const next = this.lookahead(true);
        if (next.tok === ',') continue;
        if (next.tok === ')') return [...values].sort();
        throw new ParseError(`found '${next.literal}', expected: ',' or ')'`);
      }
      if (tok === ',') {
        if (values.size === 0) values.add('');
        const next = this.lookahead(true).tok;
        if (next === ')') {
          values.add('');
          return [...values].sort();
        }
        if (next === ',') values.add('');
        continue;
      }
      throw new ParseError(`found '${literal}', expected: ',', or identifier`);
    }
  }

  parseExactValue(): string[] {
    const { tok } = this.lookahead(true);
    if (tok === 'end' || tok === ',') return [''];
    const value = this.consume(true);
    if (value.tok === 'id') return [value.literal];
    throw new ParseError(`found '${value.literal}', expected: identifier`);
  }
}

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'].join(', ');

/** NewRequirement's checks on the values (the key was checked while parsing). */
function newRequirement(key: string, operator: SelectorOperator, values: string[]): Requirement {
  const errors: string[] = [];
  if ((operator === 'gt' || operator === 'lt') && values.length === 1) {
    values.forEach((v, i) => {
      if (!/^[-+]?\d+$/.test(v)) errors.push(`values[${i}]: Invalid value: ${goQuote(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
    });
  }
  values.forEach((v, i) => {
    const problems = isValidLabelValue(v);
    if (problems.length > 0) errors.push(`values[${i}][${key}]: Invalid value: ${goQuote(v)}: ${problems.join('; ')}`);
  });
  if (errors.length === 1) throw new ParseError(errors[0]);
  if (errors.length > 1) throw new ParseError(`[${errors.join(', ')}]`);
  return { key, operator, values };
}

export function parseSelector(text: string): SelectorParse {
  try {
    const requirements = new Parser(lex(text)).parse();
    return { ok: true, selector: requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, error: err.message };
    throw err;
  }
}

function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && value !== undefined && r.values.includes(value);
    case 'notin':
    case '!=':
      return !has || value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || value === undefined || !/^[-+]?\d+$/.test(value) || r.values.length !== 1) return false;
      const actual = BigInt(value);
      const wanted = BigInt(r.values[0] ?? '0');
      return r.operator === 'gt' ? actual > wanted : actual < wanted;
    }
  }
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const set = labels ?? {};
  return selector.every((r) => requirementMatches(r, set));
}
