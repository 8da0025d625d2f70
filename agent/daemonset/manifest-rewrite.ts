// Edits a DaemonSet document inside a manifest file, the way `kubectl set image`,
// `rollout restart`, `rollout undo` and `--record` change the object, while the file stays
// the user's: comments, key order, quoting and the other documents are kept. The manifest
// file is nodelet's source of truth, so these commands rewrite it instead of patching state.
//
// How: the `yaml` library's concrete syntax tree (CST), which keeps every character of the file
// (comments, blank lines, quoting, indentation) and prints it back unchanged. Each edit changes
// the tokens of one value (CST.setScalarValue for a scalar, keeping its quoting and trailing
// comment) or puts in or takes out the tokens of one entry, which `yaml` writes at the place's
// indentation; the file is parsed again before the next edit. The result is then decoded with
// the manifest decoder's schema and compared with the intended object; when the in-place
// edit does not give that object (an anchor other nodes alias, a layout the tokens cannot
// express) the one document is written again instead and `commentsPreserved` is false.
// Pure: text in, text out.
import yaml from 'js-yaml';
import { CST, Parser, parse as parseYaml, stringify as stringifyYaml, type ScalarTag, type CollectionTag, type TagId } from 'yaml';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { canonicalJson } from '../core/hash.js';
import { KUBERNETES_YAML_SCHEMA } from '../manifest/decode.js';
import { invalid } from '../manifest/field-issue.js';
import { formatGoRFC3339Nano } from '../manifest/identity.js';
import { imageWhitespaceIssue } from '../manifest/validate-container.js';
import { CHANGE_CAUSE_ANNOTATION, normalizeTemplate } from './revisions.js';

/** kubectl rollout restart's template annotation. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export type ManifestEdit =
  /** `set image ds/x NAME=IMAGE`; NAME `*` = every container. */
  | { readonly kind: 'setImage'; readonly container: string; readonly image: string }
  /** spec.template.metadata.annotations[key] = value (rollout restart). */
  | { readonly kind: 'setTemplateAnnotation'; readonly key: string; readonly value: string }
  /** metadata.annotations[key] = value (kubernetes.io/change-cause). */
  | { readonly kind: 'setAnnotation'; readonly key: string; readonly value: string }
  /** spec.template = template (rollout undo); only the differing parts of the text change. */
  | { readonly kind: 'replaceTemplate'; readonly template: PodTemplateSpec };

/** time.Now().Format(time.RFC3339), as rollout restart writes it: local time with its offset. */
export function formatRFC3339Local(date: Date, offsetMinutes: number = -date.getTimezoneOffset()): string {
  // RFC3339 is RFC3339Nano without the fraction; Go truncates, it does not round.
  return formatGoRFC3339Nano(date, offsetMinutes).replace(/\.\d{9}/, '');
}

export function restartEdit(at: string): ManifestEdit {
  return { kind: 'setTemplateAnnotation', key: RESTARTED_AT_ANNOTATION, value: at };
}

export function changeCauseEdit(cause: string): ManifestEdit {
  return { kind: 'setAnnotation', key: CHANGE_CAUSE_ANNOTATION, value: cause };
}

export type RewriteResult =
  | { readonly ok: true; readonly text: string; readonly changed: boolean; readonly commentsPreserved: boolean }
  | { readonly ok: false; readonly error: string };

export interface RewriteTarget {
  readonly namespace: string;
  readonly name: string;
}

export function rewriteDaemonSetManifest(text: string, target: RewriteTarget, edits: readonly ManifestEdit[]): RewriteResult {
  let parsed: ParsedFile;
  try {
    parsed = parseFile(text);
  } catch (e) {
    return { ok: false, error: `cannot parse the manifest: ${e instanceof Error ? e.message : String(e)}` };
  }
  const index = findDaemonSet(parsed.docs, target);
  if (index < 0) return { ok: false, error: `daemonset.apps ${JSON.stringify(target.name)} not found in namespace ${JSON.stringify(target.namespace)} of this file` };
  const original = parsed.docs[index] as Record<string, unknown>;

  const expected = structuredClone(original);
  const ops: Op[] = [];
  for (const edit of edits) {
    const err = planEdit(expected, edit, ops, target);
    if (err) return { ok: false, error: err };
  }
  if (canonicalJson(expected) === canonicalJson(original)) return { ok: true, text, changed: false, commentsPreserved: true };

  const root = parsed.tokens[index];
  if (root?.value?.type === 'flow-collection') {
    // A JSON manifest stays JSON.
    const start = root.value.offset;
    const end = start + CST.stringify(root.value).trimEnd().length;
    return { ok: true, text: text.slice(0, start) + JSON.stringify(expected, null, 2) + text.slice(end), changed: true, commentsPreserved: true };
  }

  let out = text;
  try {
    for (const op of ops) out = op(out, index);
    if (verify(out, parsed.docs, index, expected)) return { ok: true, text: out, changed: out !== text, commentsPreserved: true };
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
  }
  // Fallback: the document's content alone is written again from the intended object; what
  // comes before it (comments, `---`) and after it (`...`) stays.
  if (!root) return { ok: false, error: 'cannot locate the DaemonSet document' };
  const style = fileStyle(text, parsed.tokens);
  root.value = snippetDocument(render(expected, style), style.eol).value;
  return { ok: true, text: parsed.print(), changed: true, commentsPreserved: false };
}

// --- the intended object and the edits ----------------------------------------------

type Step = string | number;
/** An edit of the text of document `doc`: parse, change the tokens, print. */
type Op = (text: string, doc: number) => string;

function planEdit(doc: Record<string, unknown>, edit: ManifestEdit, ops: Op[], target: RewriteTarget): string | undefined {
  switch (edit.kind) {
    case 'setImage': {
      const podSpec = getIn(doc, ['spec', 'template', 'spec']);
      let found = false;
      const issues: string[] = [];
      for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
        const items = isRecord(podSpec) ? podSpec[list] : undefined;
        if (!Array.isArray(items)) continue;
        items.forEach((c: unknown, i) => {
          if (!isRecord(c) || (c['name'] !== edit.container && edit.container !== '*')) return;
          found = true;
          const issue = imageIssue(edit.image, `spec.template.spec.${list}[${i}].image`);
          if (issue !== undefined) issues.push(issue);
          if (c['image'] === edit.image) return;
          c['image'] = edit.image;
          ops.push((t, d) => setValue(t, d, ['spec', 'template', 'spec', list, i, 'image'], edit.image));
        });
      }
      if (!found) return `unable to find container named ${JSON.stringify(edit.container)}`;
      return issues.length === 0 ? undefined : invalidMessage(target.name, issues);
    }
    case 'setTemplateAnnotation':
      return setPlanned(doc, ['spec', 'template', 'metadata', 'annotations', edit.key], edit.value, ops);
    case 'setAnnotation':
      return setPlanned(doc, ['metadata', 'annotations', edit.key], edit.value, ops);
    case 'replaceTemplate': {
      const after = withoutAddedDefaults(edit.template, getIn(doc, ['spec', 'template']));
      if (!isRecord(doc['spec'])) doc['spec'] = {};
      (doc['spec'] as Record<string, unknown>)['template'] = after;
      // The text may already hold earlier edits: diff against what it says now.
      ops.push((t, d) => applyDiff(t, d, ['spec', 'template'], getIn(parseFile(t).docs[d], ['spec', 'template']), after));
      return undefined;
    }
  }
}

/** A control character (a newline...) can be no part of an image reference. */
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * Why the pods of this template would be refused or never pull: the API server refuses a Pod
 * whose image has leading or trailing whitespace (so the DaemonSet's pods could not be created),
 * and a control character elsewhere makes kubelet's reference parser fail (InvalidImageName).
 */
function imageIssue(image: string, field: string): string | undefined {
  const padded = imageWhitespaceIssue(image, field);
  if (padded !== undefined) return padded.message;
  return CONTROL_CHARACTER.test(image) ? invalid(field, image, 'invalid reference format').message : undefined;
}

/** kubectl's rendering of a 422 Invalid: one cause inline, several as a list. */
function invalidMessage(name: string, causes: readonly string[]): string {
  const head = `The DaemonSet.apps ${JSON.stringify(name)} is invalid:`;
  return causes.length === 1 ? `${head} ${causes[0] ?? ''}` : `${head}\n${causes.map((c) => `* ${c}`).join('\n')}`;
}

function setPlanned(doc: Record<string, unknown>, path: readonly string[], value: string, ops: Op[]): undefined {
  if (getIn(doc, path) === value) return undefined;
  setIn(doc, path, value);
  ops.push((t, d) => setValue(t, d, path, value));
  return undefined;
}

/**
 * Stored revisions hold defaulted templates. Writing one back would spell out every default
 * (dnsPolicy, terminationMessagePath, imagePullPolicy...) in the user's file; drop each field
 * the file does not have when dropping it leaves the defaulted template unchanged, and keep
 * each field the file has when keeping it changes nothing either.
 */
function withoutAddedDefaults(template: PodTemplateSpec, current: unknown): Record<string, unknown> {
  const result = structuredClone(template) as Record<string, unknown>;
  const target = canonicalJson(normalizeTemplate(result as PodTemplateSpec));
  const unchanged = (): boolean => canonicalJson(normalizeTemplate(result as PodTemplateSpec)) === target;
  const visit = (value: unknown, existing: unknown): void => {
    if (isRecord(value) && isRecord(existing)) {
      // Keep what the file spells out and the stored template lacks only because it is a
      // default or empty (`resources: {}`, `creationTimestamp: null`).
      for (const key of Object.keys(existing)) {
        if (key in value) continue;
        const entries = Object.entries(value);
        replaceEntries(value, [...entries, [key, structuredClone(existing[key])]]);
        if (!unchanged()) replaceEntries(value, entries);
      }
    }
    if (isRecord(value)) {
      for (const key of Object.keys(value)) {
        const mine = isRecord(existing) ? existing[key] : undefined;
        if (mine !== undefined) {
          visit(value[key], mine);
          continue;
        }
        const entries = Object.entries(value);
        replaceEntries(value, entries.filter(([k]) => k !== key));
        if (unchanged()) continue;
        replaceEntries(value, entries);
        // Needed, but parts of it may still be defaults the file never had.
        visit(value[key], undefined);
      }
    } else if (Array.isArray(value)) {
      const existingItems = Array.isArray(existing) ? existing : [];
      value.forEach((item, i) => {
        const name = isRecord(item) ? item['name'] : undefined;
        // A new item is visited too: none of its defaulted fields are in the file.
        visit(item, name !== undefined ? existingItems.find((e) => isRecord(e) && e['name'] === name) : existingItems[i]);
      });
    }
  };
  visit(result, current);
  return result;
}

/** Swaps an object's members in place, keeping the given order. */
function replaceEntries(obj: Record<string, unknown>, entries: readonly [string, unknown][]): void {
  for (const k of Object.keys(obj)) Reflect.deleteProperty(obj, k);
  for (const [k, v] of entries) obj[k] = v;
}

/** Smallest set of edits turning `before` into `after` at `path`. */
function applyDiff(text: string, doc: number, path: readonly Step[], before: unknown, after: unknown): string {
  if (canonicalJson(before) === canonicalJson(after)) return text;
  if (isRecord(before) && isRecord(after) && Object.keys(before).length > 0 && Object.keys(after).length > 0) {
    let out = text;
    for (const k of Object.keys(before)) if (!(k in after)) out = deleteValue(out, doc, [...path, k]);
    for (const [k, v] of Object.entries(after)) {
      out = k in before ? applyDiff(out, doc, [...path, k], before[k], v) : setValue(out, doc, [...path, k], v);
    }
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.length > 0) {
    let out = text;
    after.forEach((v, i) => {
      out = applyDiff(out, doc, [...path, i], before[i], v);
    });
    return out;
  }
  return setValue(text, doc, path, after);
}

// --- the file as tokens -------------------------------------------------------------------------

class Unsupported extends Error {}

interface ParsedFile {
  /** Each document as the agent decodes it (the manifest schema). */
  readonly docs: unknown[];
  /** The CST document tokens, one per decoded document. */
  readonly tokens: CST.Document[];
  /** The whole file again, from all its tokens (with the changes made to them). */
  readonly print: () => string;
}

/** Decodes with the manifest schema and parses the same text into `yaml`'s lossless tokens. */
function parseFile(text: string): ParsedFile {
  const docs = yaml.loadAll(text, undefined, { schema: KUBERNETES_YAML_SCHEMA });
  const all = [...new Parser().parse(text)];
  const error = all.find((t) => t.type === 'error');
  if (error) throw new Unsupported(error.message);
  const tokens = all.filter((t): t is CST.Document => t.type === 'document');
  if (tokens.length !== docs.length) throw new Unsupported('document count mismatch');
  return { docs, tokens, print: () => all.map((t) => CST.stringify(t)).join('') };
}

/** Parses `text`, lets `edit` change document `doc`'s tokens, prints the file again. */
function editTokens(text: string, doc: number, edit: (root: CST.Document, style: Style) => void): string {
  const parsed = parseFile(text);
  const root = parsed.tokens[doc];
  if (!root) throw new Unsupported('document not found');
  edit(root, fileStyle(text, parsed.tokens));
  return parsed.print();
}

function findDaemonSet(docs: readonly unknown[], target: RewriteTarget): number {
  return docs.findIndex((d) => {
    if (!isRecord(d) || d['kind'] !== 'DaemonSet') return false;
    const meta = d['metadata'];
    if (!isRecord(meta) || meta['name'] !== target.name) return false;
    const ns = typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? meta['namespace'] : 'default';
    return ns === target.namespace;
  });
}

/** What holds a value: a document, a map entry (`key: value`) or a list item (`- value`). */
type Holder = CST.Document | CST.CollectionItem;

interface Located {
  /** The deepest existing value on the path: its holder, and its indentation. */
  readonly holder: Holder;
  readonly indent: number;
  /** Inside a flow collection (`{...}`, `[...]`): only a scalar can be written there. */
  readonly inFlow: boolean;
  /** Path steps not found below it. */
  readonly rest: readonly Step[];
}

function keyOf(item: CST.CollectionItem): string | undefined {
  if (!item.key || !CST.isScalar(item.key)) return undefined;
  return CST.resolveAsScalar(item.key)?.value;
}

/** Follows `path` through maps and lists, block or flow; stops at anything else. */
function locate(root: CST.Document, path: readonly Step[]): Located {
  let holder: Holder = root;
  let indent = 0;
  let inFlow = false;
  for (let i = 0; i < path.length; i++) {
    const step = path[i] as Step;
    const value: CST.Token | undefined = holder.value;
    const isMap = value?.type === 'block-map' || (value?.type === 'flow-collection' && value.start.source === '{');
    const isSeq = value?.type === 'block-seq' || (value?.type === 'flow-collection' && value.start.source === '[');
    if (value && 'items' in value && isMap && typeof step === 'string') {
      const item = value.items.find((it) => keyOf(it) === step);
      if (!item) return { holder, indent, inFlow, rest: path.slice(i) };
      holder = item;
    } else if (value && 'items' in value && isSeq && typeof step === 'number') {
      const item = value.items[step];
      if (!item) throw new Unsupported('no such item');
      holder = item;
    } else {
      return { holder, indent, inFlow, rest: path.slice(i) };
    }
    inFlow ||= value.type === 'flow-collection';
    if (value.type !== 'flow-collection') indent = value.indent;
  }
  return { holder, indent, inFlow, rest: [] };
}

/** Sets the value at `path`, creating missing map entries on the way. */
function setValue(text: string, doc: number, path: readonly Step[], value: unknown): string {
  return editTokens(text, doc, (root, style) => {
    const { holder, indent, inFlow, rest } = locate(root, path);
    const [first, ...more] = rest;
    if (inFlow && (rest.length > 0 || isRecord(value) || Array.isArray(value))) throw new Unsupported('a collection inside a flow collection');
    if (first === undefined) return replaceValue(holder, indent, value, style, inFlow);
    if (holder.value?.type === 'block-map' && typeof first === 'string') return insertEntry(holder.value, first, nest(more, value), style);
    // Something else is in the way (a scalar, an empty value, a flow collection, an alias):
    // it is replaced whole by what it decodes to, with the change made.
    const current = structuredClone(getIn(parseFile(text).docs[doc], path.slice(0, path.length - rest.length))) as unknown;
    const replaced = isRecord(current) || Array.isArray(current) ? current : {};
    setIn(replaced, rest, value);
    replaceValue(holder, indent, replaced, style);
  });
}

/** Removes the entry at `path` (its parent must be a block map). */
function deleteValue(text: string, doc: number, path: readonly Step[]): string {
  return editTokens(text, doc, (root, style) => {
    const key = path[path.length - 1];
    const { holder, indent, rest } = locate(root, path.slice(0, -1));
    const map = holder.value;
    if (rest.length > 0 || map?.type !== 'block-map' || typeof key !== 'string') throw new Unsupported('cannot delete here');
    const at = map.items.findIndex((it) => keyOf(it) === key);
    if (at < 0) return;
    if (map.items.length === 1) return replaceValue(holder, indent, {}, style);
    const [removed] = map.items.splice(at, 1);
    const next = map.items[at];
    // The first entry's indentation is in its parent's tokens; the next one's becomes redundant.
    if (at === 0 && removed && next && removed.start.every((t) => t.type !== 'space') && next.start[0]?.type === 'space') next.start.shift();
  });
}

/** Replaces the value `holder` holds (at `indent`, the indentation of its key or `-`). */
function replaceValue(holder: Holder, indent: number, value: unknown, style: Style, inFlow = false): void {
  const old = holder.value;
  const isBlock = (isRecord(value) && Object.keys(value).length > 0) || (Array.isArray(value) && value.length > 0);
  if (!isBlock && old && CST.isScalar(old) && !isRecord(value) && !Array.isArray(value)) {
    // In place, keeping the old quoting where it can hold the new value, and what follows.
    CST.setScalarValue(old, scalarText(value), { type: scalarType(value, old.type), afterKey: 'key' in holder && holder.key !== undefined, inFlow });
    return;
  }
  const comment = trailingComment(old);
  if ('key' in holder && holder.key) {
    // `key: value` rewritten by `yaml` at the key's column; what precedes the key stays.
    const key = CST.resolveAsScalar(holder.key)?.value ?? '';
    const fresh = snippetItem({ [key]: value }, indent, style, 'block-map');
    const keepSep = old !== undefined && isBlockCollection(old) && isBlock && sameShape(old, value);
    if (!keepSep) holder.sep = fresh.sep ?? [];
    holder.value = fresh.value;
  } else if ('start' in holder && holder.start.some((t) => t.type === 'seq-item-ind')) {
    holder.value = snippetItem([value], indent, style, 'block-seq').value;
  } else {
    holder.value = snippetDocument(render(value, style), style.eol).value;
  }
  if (comment) appendComment(holder.value, comment, style.eol);
}

/** Adds `key: value` as the last entry of a block map. */
function insertEntry(map: CST.BlockMap, key: string, value: unknown, style: Style): void {
  const item = snippetItem({ [key]: value }, map.indent, style, 'block-map');
  item.start = map.indent > 0 ? [{ type: 'space', offset: 0, indent: 0, source: ' '.repeat(map.indent) }] : [];
  const last = lastToken(map);
  if (last && !(last.end ?? []).some((t) => t.type === 'newline')) (last.end ??= []).push({ type: 'newline', offset: 0, indent: 0, source: style.eol });
  map.items.push(item as CST.BlockMap['items'][number]);
}

// --- new tokens, written by `yaml` --------------------------------------------------------------

interface Style {
  /** `- ` at the column of its key (kubectl's layout) rather than indented below it. */
  readonly noArrayIndent: boolean;
  readonly eol: string;
}

/**
 * The manifest decoder's scalar types (go-yaml v2: YAML 1.1 booleans, numbers and null, no
 * timestamps or other 1.1 extras), so that `yaml` quotes exactly the strings the agent would
 * read as something else.
 */
function manifestTags(tags: (ScalarTag | CollectionTag | TagId)[]): (ScalarTag | CollectionTag | TagId)[] {
  return tags.filter((t) => typeof t === 'string' || (!/:(timestamp|binary|omap|pairs|set)$/.test(t.tag) && t.format !== 'TIME'));
}

/** `value` as block YAML at column 0, without the final line end, in the file's line ends. */
function render(value: unknown, style: Style): string {
  const text = stringifyYaml(value, { version: '1.1', customTags: manifestTags, indentSeq: !style.noArrayIndent, lineWidth: 0, aliasDuplicateObjects: false });
  return text.replace(/\n$/, '').replaceAll('\n', style.eol);
}

/** The tokens of one document parsed from `source`. */
function snippetDocument(source: string, eol: string): CST.Document {
  const doc = [...new Parser().parse(`${source}${eol}`)].find((t): t is CST.Document => t.type === 'document');
  if (!doc) throw new Unsupported('cannot write the value');
  return doc;
}

/** The one item of `container` (a one-entry map or one-item list) written at column `indent`. */
function snippetItem(container: unknown, indent: number, style: Style, type: 'block-map' | 'block-seq'): CST.CollectionItem {
  const pad = ' '.repeat(indent);
  const lines = render(container, style).split(style.eol);
  const doc = snippetDocument(lines.map((l) => (l === '' ? l : pad + l)).join(style.eol), style.eol);
  const item = doc.value?.type === type ? doc.value.items[0] : undefined;
  if (!item) throw new Unsupported('cannot write the value');
  return item;
}

/** The text of a scalar value for CST.setScalarValue. */
function scalarText(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? 'null' : String(value);
}

/**
 * The scalar style: a quoted value keeps its quotes (single ones only for one line); a plain
 * string the manifest schema would read as another type (`yes`, `1.0`, `null`) is quoted.
 */
function scalarType(value: unknown, previous: CST.Token['type']): 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE' {
  if (typeof value !== 'string') return 'PLAIN';
  if (previous === 'double-quoted-scalar') return 'QUOTE_DOUBLE';
  const oneLine = !value.includes('\n');
  if (previous === 'single-quoted-scalar' && oneLine) return 'QUOTE_SINGLE';
  if (readsAsString(value)) return 'PLAIN';
  return oneLine ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE';
}

function readsAsString(plain: string): boolean {
  try {
    return parseYaml(plain, { version: '1.1', customTags: manifestTags }) === plain;
  } catch {
    return false;
  }
}

// --- token helpers ------------------------------------------------------------------------------

function isBlockCollection(token: CST.Token): token is CST.BlockMap | CST.BlockSequence {
  return token.type === 'block-map' || token.type === 'block-seq';
}

function sameShape(token: CST.Token, value: unknown): boolean {
  return (token.type === 'block-map' && isRecord(value)) || (token.type === 'block-seq' && Array.isArray(value));
}

/** The innermost last token of a value: the one whose `end` holds the value's line end. */
function lastToken(token: CST.Token | undefined): { end?: CST.SourceToken[] } | undefined {
  if (!token) return undefined;
  if (isBlockCollection(token)) {
    const item = token.items[token.items.length - 1];
    return item ? (lastToken(item.value) ?? lastOf(item.sep ?? item.start)) : undefined;
  }
  return 'end' in token ? (token as { end?: CST.SourceToken[] }) : undefined;
}

/** A holder of source tokens with nothing after them: `key:` with an empty value. */
function lastOf(tokens: CST.SourceToken[]): { end?: CST.SourceToken[] } {
  return { end: tokens };
}

/** The `  # comment` on the old value's own line (a scalar's or a flow collection's). */
function trailingComment(token: CST.Token | undefined): CST.SourceToken[] | undefined {
  if (!token || isBlockCollection(token) || !('end' in token) || !Array.isArray(token.end)) return undefined;
  const end = token.end as CST.SourceToken[];
  const at = end.findIndex((t) => t.type === 'comment');
  if (at < 0 || end.slice(0, at).some((t) => t.type === 'newline')) return undefined;
  const space = end[at - 1]?.type === 'space' ? [end[at - 1] as CST.SourceToken] : [];
  return [...space, end[at] as CST.SourceToken];
}

/** Puts a trailing comment back at the end of the new value's last line. */
function appendComment(token: CST.Token | undefined, comment: CST.SourceToken[], eol: string): void {
  const last = lastToken(token);
  if (!last) return;
  const end = (last.end ??= []);
  const newline = end.findIndex((t) => t.type === 'newline');
  if (newline < 0) end.push(...comment, { type: 'newline', offset: 0, indent: 0, source: eol });
  else end.splice(newline, 0, ...comment);
}

/** The list style and line ends of the file: `- ` at its key's column, or indented below it. */
function fileStyle(text: string, docs: readonly CST.Document[]): Style {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let found: boolean | undefined;
  const visit = (token: CST.Token | undefined, keyIndent: number | undefined): void => {
    if (!token || found !== undefined) return;
    if (token.type === 'block-seq') {
      if (keyIndent !== undefined) {
        found = token.indent === keyIndent;
        return;
      }
      for (const item of token.items) visit(item.value, undefined);
    } else if (token.type === 'block-map') {
      for (const item of token.items) visit(item.value, token.indent);
    }
  };
  for (const doc of docs) visit(doc.value, undefined);
  return { noArrayIndent: found ?? true, eol };
}

function verify(out: string, originalDocs: readonly unknown[], index: number, expected: unknown): boolean {
  let docs: unknown[];
  try {
    docs = parseFile(out).docs;
  } catch {
    return false;
  }
  if (docs.length !== originalDocs.length) return false;
  return docs.every((d, i) => canonicalJson(d) === canonicalJson(i === index ? expected : originalDocs[i]));
}

// --- plain object helpers --------------------------------------------------------------------------

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function getIn(obj: unknown, path: readonly Step[]): unknown {
  let cur = obj;
  for (const step of path) {
    if (typeof step === 'number') cur = Array.isArray(cur) ? cur[step] : undefined;
    else cur = isRecord(cur) ? cur[step] : undefined;
  }
  return cur;
}

function setIn(obj: unknown, path: readonly Step[], value: unknown): void {
  let cur = obj;
  path.forEach((step, i) => {
    const last = i === path.length - 1;
    if (typeof step === 'number') {
      if (!Array.isArray(cur)) throw new Unsupported('not a list');
      if (last) cur[step] = value;
      else cur = cur[step];
      return;
    }
    if (!isRecord(cur)) throw new Unsupported('not a mapping');
    if (last) {
      cur[step] = value;
      return;
    }
    if (!isRecord(cur[step]) && !Array.isArray(cur[step])) cur[step] = {};
    cur = cur[step];
  });
}

function nest(path: readonly Step[], value: unknown): unknown {
  let out = value;
  for (const step of [...path].reverse()) {
    if (typeof step !== 'string') throw new Unsupported('cannot create a list item');
    out = { [step]: out };
  }
  return out;
}
