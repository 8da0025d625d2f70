// Decodes a manifest file (YAML, possibly several documents, or JSON) into plain mappings, the way
// kubectl and the API server read YAML: documents split on `---` lines, YAML 1.1 scalars as
// resolved by sigs.k8s.io/yaml (go-yaml v2), a duplicate key keeping its last value (with a
// warning), go-yaml's `\'` escape. Pure: never throws.
import yaml from 'js-yaml';
import { isScalar, LineCounter, parseDocument as parseYamlDocument, visit as visitYaml } from 'yaml';
import { loadBlockYaml } from './block-yaml.js';
import { AliasError, expandAliases } from './alias-tree.js';
import { errorMessage } from '../core/errors.js';

/** kubelet reads at most this many bytes from a manifest file (`maxConfigLength`, 10 MiB). */
export const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;

/** One non-empty YAML document that holds a mapping. */
export interface DecodedDocument {
  /** 0-based index among the file's non-empty documents. */
  readonly index: number;
  /** 1-based line where the document's content starts. */
  readonly line: number;
  readonly value: Record<string, unknown>;
}

/** A document (or the whole file) that could not be decoded. */
export interface DecodeProblem {
  readonly index?: number;
  /** 1-based position in the file. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
  readonly hint?: string;
}

export interface DecodeResult {
  readonly documents: readonly DecodedDocument[];
  readonly errors: readonly DecodeProblem[];
  /** What decoded, but not as written: duplicate keys (the last value is kept). */
  readonly warnings: readonly DecodeProblem[];
}

// go-yaml v2 (sigs.k8s.io/yaml/goyaml.v2 resolve.go) resolves plain scalars with YAML 1.1 rules:
// yes/no/on/off are booleans and a leading 0 means octal (`defaultMode: 0644` is 420). js-yaml's
// own schemas follow YAML 1.2, so the same resolution is rebuilt here. Timestamps stay strings,
// as go-yaml v2 returns them when decoding into interface{}.
const BOOLEANS = new Map<string, boolean>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((s) => [s, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((s) => [s, false] as const),
]);
const SPECIAL_FLOATS = new Map<string, number>([
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, Number.NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, Number.POSITIVE_INFINITY] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, Number.NEGATIVE_INFINITY] as const),
]);
/** Go strconv.ParseInt(s, 0, 64) syntax, after go-yaml removed underscores. */
const GO_INTEGER = /^[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;

function startsLikeNumber(data: string): boolean {
  const c = data.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d;
}

function parseGoInteger(plain: string): number {
  const negative = plain.startsWith('-');
  const unsigned = plain.replace(/^[-+]/, '');
  const prefix = unsigned.slice(0, 2).toLowerCase();
  let magnitude: bigint;
  if (prefix === '0b' || prefix === '0o' || prefix === '0x') magnitude = BigInt(`0${prefix[1] ?? ''}${unsigned.slice(2)}`);
  else if (unsigned.length > 1 && unsigned.startsWith('0')) magnitude = BigInt(`0o${unsigned.slice(1)}`);
  else magnitude = BigInt(unsigned);
  return Number(negative ? -magnitude : magnitude);
}

const nullType = new yaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || data === '' || data === '~' || data === 'null' || data === 'Null' || data === 'NULL',
  construct: () => null,
  predicate: (value: unknown) => value === null,
  represent: () => 'null',
});

const boolType = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && data.length <= 5 && BOOLEANS.has(data),
  construct: (data: string) => BOOLEANS.get(data),
  predicate: (value: unknown) => typeof value === 'boolean',
  represent: (value: unknown) => (value === true ? 'true' : 'false'),
});

const intType = new yaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && startsLikeNumber(data) && GO_INTEGER.test(data.replaceAll('_', '')),
  construct: (data: string) => parseGoInteger(data.replaceAll('_', '')),
  predicate: (value: unknown) => typeof value === 'number' && Number.isInteger(value) && !Object.is(value, -0),
  represent: (value: unknown) => String(value),
});

const floatType = new yaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string | null) => {
    if (data === null || data.length === 0) return false;
    if (data.startsWith('.')) return SPECIAL_FLOATS.has(data) || GO_DOT_FLOAT.test(data);
    if (!startsLikeNumber(data)) return false;
    return SPECIAL_FLOATS.has(data) || YAML_STYLE_FLOAT.test(data.replaceAll('_', ''));
  },
  construct: (data: string) => SPECIAL_FLOATS.get(data) ?? Number.parseFloat(data.replaceAll('_', '')),
  predicate: (value: unknown) => typeof value === 'number' && (!Number.isInteger(value) || Object.is(value, -0)),
  represent: (value: unknown) => {
    const n = value as number;
    if (Number.isNaN(n)) return '.nan';
    if (n === Number.POSITIVE_INFINITY) return '.inf';
    if (n === Number.NEGATIVE_INFINITY) return '-.inf';
    return String(n);
  },
});

// `<<` merge keys: js-yaml's loader merges when the key resolves to this tag.
const mergeType = new yaml.Type('tag:yaml.org,2002:merge', {
  kind: 'scalar',
  resolve: (data: string | null) => data === '<<',
});

/** How plain scalars resolve, tried in this order (js-yaml keeps the order of `implicit`). */
const IMPLICIT_TYPES = [nullType, boolType, intType, floatType, mergeType];

/** YAML schema with go-yaml v2 scalar resolution; use it to load and to dump manifests. */
export const KUBERNETES_YAML_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({ implicit: IMPLICIT_TYPES });

/**
 * The first characters of every plain scalar one of IMPLICIT_TYPES resolves: `~` and null, the
 * booleans (y, n, true, on, off, ...), numbers (digits, sign, `.`) and `<<`. Keep in step with them.
 */
const RESOLVABLE_FIRST_CHARACTERS = new Set('~nNyYtToOfF0123456789+-.<');

/** A plain scalar's value under KUBERNETES_YAML_SCHEMA, as js-yaml resolves it. */
function resolvePlainScalar(text: string): unknown {
  // Most keys and values (`image`, `mountPath`, paths) are strings at first sight: skip the resolvers.
  if (text !== '' && !RESOLVABLE_FIRST_CHARACTERS.has(text.charAt(0))) return text;
  for (const type of IMPLICIT_TYPES) if (type.resolve(text)) return type.construct(text);
  return text;
}

/** A key written twice in one mapping: go-yaml v2 keeps the last value (kubernetes/kubernetes#125885). */
export interface DuplicateKey {
  readonly key: string;
  /** 0-based lines in the document text of the first and the last occurrence. */
  readonly firstLine: number;
  readonly lastLine: number;
}

/** Every key written more than once in a mapping of `text`, with its first and last line. */
function duplicateKeys(text: string): DuplicateKey[] {
  const lineCounter = new LineCounter();
  const document = parseYamlDocument(text, { uniqueKeys: false, lineCounter, merge: false });
  const out: DuplicateKey[] = [];
  visitYaml(document, {
    Map(_, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || pair.key.range === undefined || pair.key.range === null) continue;
        const key = String(pair.key.value);
        if (key === '<<') continue;
        const line = lineCounter.linePos(pair.key.range[0]).line - 1;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, line);
        else out.push({ key, firstLine: first, lastLine: line });
      }
    },
  });
  return out;
}

/** js-yaml's refusal of the escape `\'` in a double-quoted scalar, which go-yaml reads as `'`. */
function isQuoteEscape(error: unknown, text: string): error is yaml.YAMLException {
  if (!(error instanceof yaml.YAMLException) || error.reason !== 'unknown escape sequence') return false;
  const at = error.mark.position;
  return text[at] === "'" && text[at - 1] === '\\';
}

/** How many `\'` escapes one document may hold, and how many bytes their re-parses may read in
 *  all: each costs one more parse of the document, which must stay cheap for a large file. */
const MAX_QUOTE_ESCAPES = 64;
const MAX_REPARSED_BYTES = 16 * 1024 * 1024;

/**
 * The document with js-yaml, as go-yaml v2 (sigs.k8s.io/yaml) reads it: `\'` in a double-quoted
 * scalar is `'` (scannerc.go accepts it; js-yaml does not), and a duplicate key keeps its last
 * value, reported in `duplicates`, where js-yaml would refuse the document.
 */
function loadWithJsYaml(source: string, duplicates: DuplicateKey[]): unknown {
  let text = source;
  for (let escapes = 0; ; escapes++) {
    try {
      return yaml.load(text, { schema: KUBERNETES_YAML_SCHEMA });
    } catch (error) {
      if (isQuoteEscape(error, text) && escapes < MAX_QUOTE_ESCAPES && (escapes + 1) * text.length <= MAX_REPARSED_BYTES) {
        // The same scalar with a plain `'` in place of `\'`: the value go-yaml decodes.
        text = text.slice(0, error.mark.position - 1) + text.slice(error.mark.position);
        continue;
      }
      if (!(error instanceof yaml.YAMLException) || !error.reason.startsWith('duplicated mapping key')) throw error;
      const value = yaml.load(text, { schema: KUBERNETES_YAML_SCHEMA, json: true });
      duplicates.push(...duplicateKeys(text));
      return value;
    }
  }
}

/** One document's value: the block-style fast path when the text is within its subset, else js-yaml. */
function loadDocument(text: string, duplicates: DuplicateKey[]): unknown {
  const block = loadBlockYaml(text, resolvePlainScalar);
  if (block !== undefined) return block;
  const value = loadWithJsYaml(text, duplicates);
  // Only a document with an anchor can hold shared or cyclic nodes (the block path has no anchors).
  return text.includes('&') ? expandAliases(value) : value;
}

/**
 * YAML text of a decoded object as `kubectl -o yaml` lays it out (keys sorted, list items not
 * indented), quoting every string go-yaml would read as another type.
 */
export function encodeYaml(value: unknown): string {
  return yaml.dump(value, { schema: KUBERNETES_YAML_SCHEMA, noRefs: true, lineWidth: -1, sortKeys: true, noArrayIndent: true });
}

interface Chunk {
  readonly text: string;
  /** 0-based line of the chunk's first line in the file. */
  readonly firstLine: number;
  /** Set when the `---` line that opened this chunk carried content kubectl refuses. */
  readonly separatorError?: string;
}

/** A line with something other than blanks and a comment. */
const CONTENT_LINE = /^[ \t]*[^\s#]/m;
/** A line starting with `---`, and what follows on it. */
const SEPARATOR_LINE = /^---(.*)$/gm;

function countLines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

// k8s.io/apimachinery/pkg/util/yaml YAMLReader: a line starting with `---` ends a document;
// only spaces or a comment may follow it.
function splitDocuments(text: string): Chunk[] {
  if (!text.startsWith('---') && !text.includes('\n---')) return CONTENT_LINE.test(text) ? [{ text, firstLine: 0 }] : [];
  const chunks: Chunk[] = [];
  let start = 0;
  let startLine = 0;
  let separatorError: string | undefined;
  const close = (end: number): void => {
    const body = text.slice(start, end);
    if (separatorError !== undefined || CONTENT_LINE.test(body)) {
      chunks.push({ text: body, firstLine: startLine, ...(separatorError === undefined ? {} : { separatorError }) });
    }
  };
  for (const match of text.matchAll(SEPARATOR_LINE)) {
    close(match.index);
    const rest = (match[1] ?? '').trim();
    separatorError = rest.length > 0 && !rest.startsWith('#') ? rest : undefined;
    startLine += countLines(text, start, match.index) + 1;
    const lineEnd = text.indexOf('\n', match.index);
    start = lineEnd === -1 ? text.length : lineEnd + 1;
  }
  close(text.length);
  return chunks;
}

function firstContentLine(chunk: Chunk): number {
  const at = CONTENT_LINE.exec(chunk.text)?.index ?? 0;
  return chunk.firstLine + countLines(chunk.text, 0, at) + 1;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

function yamlProblem(error: yaml.YAMLException, chunk: Chunk, index: number): DecodeProblem {
  const reason = error.reason || error.message;
  const mark = error.mark as yaml.YAMLException['mark'] | undefined;
  const line = chunk.firstLine + (mark?.line ?? 0) + 1;
  const column = (mark?.column ?? 0) + 1;
  const message = reason;
  let hint: string | undefined;
  if (reason.includes('tab characters')) {
    hint = 'indent with spaces: YAML does not allow tab characters in indentation';
  } else if (reason.startsWith('bad indentation')) {
    hint = 'align this line with the other keys of its mapping or items of its list (spaces only)';
  }
  return { index, line, column, message: `yaml: ${message}`, ...(hint === undefined ? {} : { hint }) };
}

function utf8Length(text: string): number {
  // Every UTF-16 unit is at least one and at most three UTF-8 bytes: only count when in doubt.
  if (text.length * 3 <= MAX_MANIFEST_BYTES) return text.length;
  return Buffer.byteLength(text, 'utf8');
}

/** The error for a file over the size limit (the file reader may report it without reading the file). */
export function oversizeProblem(bytes: number): DecodeProblem {
  return {
    message: `the read limit is reached: the file has ${bytes} bytes, manifests may have at most ${MAX_MANIFEST_BYTES} bytes (10 MiB)`,
    hint: 'split the file, or remove what the manifest does not need (kubelet refuses manifest files over 10 MiB)',
  };
}

export function decodeManifest(text: string): DecodeResult {
  const bytes = utf8Length(text);
  if (bytes > MAX_MANIFEST_BYTES) return { documents: [], errors: [oversizeProblem(bytes)], warnings: [] };
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const documents: DecodedDocument[] = [];
  const errors: DecodeProblem[] = [];
  const warnings: DecodeProblem[] = [];
  let index = 0;
  for (const chunk of splitDocuments(source)) {
    if (chunk.separatorError !== undefined) {
      errors.push({
        index: index++,
        // The separator is the line just before the chunk: 0-based firstLine - 1, so 1-based firstLine.
        line: chunk.firstLine,
        column: 1,
        message: `invalid Yaml document separator: ${chunk.separatorError}`,
        hint: 'a document separator line must be `---` alone (a comment may follow)',
      });
      continue;
    }
    let value: unknown;
    const duplicates: DuplicateKey[] = [];
    try {
      value = loadDocument(chunk.text, duplicates);
      for (const d of duplicates) warnings.push(duplicateKeyWarning(d, chunk, index));
    } catch (error) {
      errors.push(
        error instanceof yaml.YAMLException
          ? yamlProblem(error, chunk, index++)
          : error instanceof AliasError
            ? {
                index: index++,
                line: firstContentLine(chunk),
                column: 1,
                message: `error converting YAML to JSON: yaml: ${error.message}`,
                hint: 'write the repeated part out, or point each alias (*name) at an anchor (&name) that does not contain it',
              }
            : // e.g. a RangeError on absurdly deep nesting: still a problem of this document, not a crash
            { index: index++, line: firstContentLine(chunk), column: 1, message: `yaml: ${errorMessage(error)}` },
      );
      continue;
    }
    if (value === null || value === undefined) continue;
    const line = firstContentLine(chunk);
    if (typeof value !== 'object' || Array.isArray(value)) {
      errors.push({
        index: index++,
        line,
        column: 1,
        message: `the document is ${describeValue(value)}, not a mapping: a manifest document must be one object with apiVersion, kind, metadata and spec`,
        ...(Array.isArray(value) ? { hint: 'write one object per document and separate documents with `---` lines' } : {}),
      });
      continue;
    }
    documents.push({ index: index++, line, value: value as Record<string, unknown> });
  }
  return { documents, errors, warnings };
}

function duplicateKeyWarning(d: DuplicateKey, chunk: Chunk, index: number): DecodeProblem {
  const first = chunk.firstLine + d.firstLine + 1;
  const last = chunk.firstLine + d.lastLine + 1;
  return {
    index,
    line: last,
    column: 1,
    message: `yaml: duplicated mapping key ${JSON.stringify(d.key)} on lines ${first} and ${last}: the value on line ${last} is used, the one on line ${first} is ignored`,
    hint: 'kubectl and the kubelet (sigs.k8s.io/yaml) keep the last value of a repeated key without a word: remove the line you do not mean',
  };
}
