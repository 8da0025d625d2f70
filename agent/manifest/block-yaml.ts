// A fast path for the YAML that manifests are almost always written in: block mappings and block
// sequences, one-line plain and quoted scalars, `{}` and `[]`, comments and blank lines. On such
// text it is several times faster than js-yaml, which dominated the per-manifest cost.
//
// It never decides anything on its own: every construct outside that subset (flow collections,
// block scalars, anchors, aliases, tags, merge keys, multi-line or escaped scalars, tabs, CR,
// control characters, duplicate keys, anything js-yaml would reject) makes it return undefined, and
// the caller decodes the text with js-yaml. So whatever it accepts, js-yaml decodes to the same
// value, and every error message still comes from js-yaml. Plain scalars are resolved by the
// caller's resolver, the one the js-yaml schema uses. Pure: no I/O.
//
// It reads the text in place, by offsets, instead of splitting it into line strings: that
// halves its time.

/** Resolves a plain (unquoted) scalar to its value, as the decoding schema's implicit types do. */
export type PlainScalarResolver = (text: string) => unknown;

/**
 * Thrown (and caught below) when the text leaves the subset. One instance serves every throw:
 * building a new Error's stack trace would cost more than parsing a small manifest.
 */
class OutsideSubset extends Error {}
const OUTSIDE_SUBSET = new OutsideSubset('outside the block-YAML subset');

// js-yaml refuses nesting deeper than 100 levels; well below that, leave deep documents to it.
const MAX_DEPTH = 40;

// Printable characters that js-yaml reads as themselves: no tab, CR or other control character,
// no C1 control or NEL, no BOM, no U+FFFE/U+FFFF and no lone surrogate.
const OUTSIDE_CHARACTERS = /[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u;

// Characters that give a scalar's first character a meaning of its own (YAML c-indicators).
const INDICATORS = new Set('-?:,[]{}#&*!|>\'"%@`');

const SPACE = 0x20;
const HASH = 0x23;
const DASH = 0x2d;
const COLON = 0x3a;

/**
 * The document in `text` when it is one block mapping within the subset, else undefined (decode
 * it with js-yaml). `text` holds one document: no `---` separator lines.
 */
export function loadBlockYaml(text: string, resolvePlain: PlainScalarResolver): Record<string, unknown> | undefined {
  if (OUTSIDE_CHARACTERS.test(text)) return undefined;
  try {
    return new BlockParser(text, resolvePlain).document();
  } catch (error) {
    if (error === OUTSIDE_SUBSET) return undefined;
    throw error;
  }
}

class BlockParser {
  // The current line, the next one that holds content (blank and comment lines mean nothing in
  // block style): its indentation, and where its content starts and ends in the text. The
  // indentation is -1 at the end of the text.
  private indent = -1;
  private start = 0;
  private end = 0;

  constructor(
    private readonly text: string,
    private readonly resolvePlain: PlainScalarResolver,
  ) {
    this.seekLine(0);
  }

  document(): Record<string, unknown> {
    if (this.indent < 0 || this.atSequenceEntry()) throw OUTSIDE_SUBSET;
    const value = this.mapping(this.indent, 1);
    if (this.indent >= 0) throw OUTSIDE_SUBSET;
    return value;
  }

  /** Makes the first content line at or after offset `from` (a line start) the current line. */
  private seekLine(from: number): void {
    const text = this.text;
    for (let lineStart = from; lineStart < text.length; ) {
      let start = lineStart;
      while (text.charCodeAt(start) === SPACE) start++;
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      if (start < end && text.charCodeAt(start) !== HASH) {
        // Document markers (`---`, `...`) at the start of a line.
        if (start === lineStart && (text.startsWith('---', start) || text.startsWith('...', start))) throw OUTSIDE_SUBSET;
        this.indent = start - lineStart;
        this.start = start;
        this.end = end;
        return;
      }
      lineStart = end + 1;
    }
    this.indent = -1;
  }

  private nextLine(): void {
    this.seekLine(this.end + 1);
  }

  /** A block mapping whose keys start at column `indent`, from the current line on. */
  private mapping(indent: number, depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) throw OUTSIDE_SUBSET;
    const out: Record<string, unknown> = {};
    while (this.indent >= indent) {
      // Deeper than the keys: a continued scalar or bad indentation.
      if (this.indent > indent) throw OUTSIDE_SUBSET;
      const colon = this.keyEnd(this.start);
      if (colon === -1) throw OUTSIDE_SUBSET;
      const rawKey = this.text.slice(this.start, colon);
      const key = String(this.resolvePlain(rawKey));
      // `<<` merges; `__proto__` would need defineProperty; a duplicate is js-yaml's error to report.
      if (rawKey === '<<' || key === '__proto__' || Object.hasOwn(out, key)) throw OUTSIDE_SUBSET;
      const value = this.skipSpaces(colon + 1);
      if (value === this.end || this.text.charCodeAt(value) === HASH) {
        this.nextLine();
        out[key] = this.valueBelow(indent, depth + 1, true);
      } else {
        out[key] = this.inlineValue(value);
        this.nextLine();
      }
    }
    return out;
  }

  /** A block sequence whose dashes are at column `indent`, from the current line on. */
  private sequence(indent: number, depth: number): unknown[] {
    if (depth > MAX_DEPTH) throw OUTSIDE_SUBSET;
    const out: unknown[] = [];
    while (this.indent >= indent) {
      if (this.indent > indent) throw OUTSIDE_SUBSET;
      // The next key of the mapping this sequence is the value of.
      if (!this.atSequenceEntry()) break;
      const item = this.skipSpaces(this.start + 1);
      if (item === this.end || this.text.charCodeAt(item) === HASH) {
        this.nextLine();
        const value = this.valueBelow(indent, depth + 1, false);
        // After an empty item js-yaml takes the next `-` line into this sequence whatever its
        // indentation; a less indented one is left to js-yaml.
        if (value === null && this.indent >= 0 && this.indent < indent && this.atSequenceEntry()) throw OUTSIDE_SUBSET;
        out.push(value);
      } else if (this.isSequenceEntry(item)) {
        throw OUTSIDE_SUBSET; // `- - x`
      } else if (this.keyEnd(item) !== -1) {
        // `- key: value`: a mapping whose keys start where this one does.
        this.indent += item - this.start;
        this.start = item;
        out.push(this.mapping(this.indent, depth + 1));
      } else {
        out.push(this.inlineValue(item));
        this.nextLine();
      }
    }
    return out;
  }

  /**
   * The value of a `key:` or `-` with nothing after it: the block starting at the current line,
   * or null. A mapping value may be a sequence whose dashes line up with the key.
   */
  private valueBelow(indent: number, depth: number, sequenceAtSameIndent: boolean): unknown {
    if (this.indent > indent) return this.atSequenceEntry() ? this.sequence(this.indent, depth) : this.mapping(this.indent, depth);
    return this.indent === indent && sequenceAtSameIndent && this.atSequenceEntry() ? this.sequence(indent, depth) : null;
  }

  /** A scalar, `{}` or `[]` from offset `at` to the end of the current line (a comment may follow). */
  private inlineValue(at: number): unknown {
    const text = this.text;
    const first = text[at] ?? '';
    if (first === "'") return this.singleQuoted(at);
    if (first === '"') return this.doubleQuoted(at);
    if (text.startsWith('{}', at) || text.startsWith('[]', at)) {
      this.expectLineEnd(at + 2);
      return first === '{' ? {} : [];
    }
    // A plain scalar may start with `-` when a non-space follows (`-1`, `--flag`).
    if (INDICATORS.has(first) && !(first === '-' && at + 1 < this.end && text.charCodeAt(at + 1) !== SPACE)) throw OUTSIDE_SUBSET;
    return this.resolvePlain(this.plainScalar(at));
  }

  /** `- item` or a lone `-` at offset `at`. */
  private isSequenceEntry(at: number): boolean {
    return this.text.charCodeAt(at) === DASH && (at + 1 === this.end || this.text.charCodeAt(at + 1) === SPACE);
  }

  private atSequenceEntry(): boolean {
    return this.isSequenceEntry(this.start);
  }

  private skipSpaces(from: number): number {
    let at = from;
    while (at < this.end && this.text.charCodeAt(at) === SPACE) at++;
    return at;
  }

  /**
   * Where `key:` ends (the offset of the colon) when the current line holds a plain one-line
   * key from offset `from`, else -1.
   */
  private keyEnd(from: number): number {
    const text = this.text;
    if (INDICATORS.has(text[from] ?? '')) return -1;
    for (let i = from + 1; i < this.end; i++) {
      const c = text.charCodeAt(i);
      if (c === HASH && text.charCodeAt(i - 1) === SPACE) return -1;
      if (c === COLON && (i + 1 === this.end || text.charCodeAt(i + 1) === SPACE)) {
        return text.charCodeAt(i - 1) === SPACE ? -1 : i; // `key : value` is left to js-yaml
      }
    }
    return -1;
  }

  /** A plain scalar's text: up to a comment or the line end, without trailing spaces. */
  private plainScalar(from: number): string {
    const text = this.text;
    let end = this.end;
    for (let i = from + 1; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === HASH && text.charCodeAt(i - 1) === SPACE) {
        end = i;
        break;
      }
      // `a: b` inside a value, or a value ending in a colon: not a plain scalar.
      if (c === COLON && (i + 1 === this.end || text.charCodeAt(i + 1) === SPACE)) throw OUTSIDE_SUBSET;
    }
    while (text.charCodeAt(end - 1) === SPACE) end--;
    return text.slice(from, end);
  }

  /** After a quoted scalar or `{}`: spaces, then the end of the line or a comment. */
  private expectLineEnd(from: number): void {
    const at = this.skipSpaces(from);
    if (at === this.end || (at > from && this.text.charCodeAt(at) === HASH)) return;
    throw OUTSIDE_SUBSET;
  }

  /** `'...'` on one line, `''` standing for a quote. */
  private singleQuoted(at: number): string {
    let close = this.text.indexOf("'", at + 1);
    while (close !== -1 && close < this.end && this.text[close + 1] === "'") close = this.text.indexOf("'", close + 2);
    if (close === -1 || close >= this.end) throw OUTSIDE_SUBSET;
    this.expectLineEnd(close + 1);
    return this.text.slice(at + 1, close).replaceAll("''", "'");
  }

  /** `"..."` on one line, without escapes. */
  private doubleQuoted(at: number): string {
    const close = this.text.indexOf('"', at + 1);
    if (close === -1 || close >= this.end) throw OUTSIDE_SUBSET;
    const body = this.text.slice(at + 1, close);
    if (body.includes('\\')) throw OUTSIDE_SUBSET;
    this.expectLineEnd(close + 1);
    return body;
  }
}
