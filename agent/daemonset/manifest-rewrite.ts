// Edits a DaemonSet document inside a manifest file, the way `kubectl set image`,
// `rollout restart`, `rollout undo` and `--record` change the object, while the file stays
// the user's: comments, key order, quoting and the other documents are kept. The manifest
// file is nodelet's source of truth, so these commands rewrite it instead of patching state.
//
// How: js-yaml (with the manifest schema) parses the file with a node listener, which gives
// the source span of every node; each edit replaces, inserts or deletes text at those spans
// and the file is parsed again before the next edit. The result is checked by decoding it
// and comparing with the intended object; when the text surgery cannot express an edit
// (anchors, flow style in the way...) the one document is re-serialised instead and
// `commentsPreserved` is false. Pure: text in, text out.
import yaml from 'js-yaml';
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

  const root = parsed.roots[index];
  if (root && isFlowAt(text, root)) {
    // A JSON manifest stays JSON.
    const span = contentSpan(text, root);
    return { ok: true, text: splice(text, span.start, span.end, JSON.stringify(expected, null, 2)), changed: true, commentsPreserved: true };
  }

  let out = text;
  try {
    for (const op of ops) out = op(out, index);
    if (verify(out, parsed.docs, index, expected)) return { ok: true, text: out, changed: out !== text, commentsPreserved: true };
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
  }
  // Fallback: the document alone is written again from the intended object.
  if (!root) return { ok: false, error: 'cannot locate the DaemonSet document' };
  const span = rawSpan(text, root);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const dumped = dumpBlock(expected, 0, detectNoArrayIndent(text, root), eol);
  return { ok: true, text: splice(text, span.start, span.end, dumped), changed: true, commentsPreserved: false };
}

// --- the intended object and the text operations ----------------------------------------------

type Step = string | number;
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

/** Smallest set of text edits turning `before` into `after` at `path`. */
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

// --- source tree ------------------------------------------------------------------------------

class Unsupported extends Error {}

interface RawNode {
  readonly start: number;
  end: number;
  kind: string | null;
  result: unknown;
  readonly children: RawNode[];
}

interface ParsedFile {
  readonly docs: unknown[];
  readonly roots: RawNode[];
}

/** Parses with the manifest schema, recording each node's source span (js-yaml's listener). */
function parseFile(text: string): ParsedFile {
  const roots: RawNode[] = [];
  const stack: RawNode[] = [];
  // js-yaml drops a leading BOM before parsing: shift its positions back.
  const shift = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const docs = yaml.loadAll(text, undefined, {
    schema: KUBERNETES_YAML_SCHEMA,
    listener(event, state) {
      if (event === 'open') {
        const node: RawNode = { start: state.position + shift, end: state.position + shift, kind: null, result: null, children: [] };
        const parent = stack[stack.length - 1];
        if (parent) parent.children.push(node);
        else roots.push(node);
        stack.push(node);
      } else {
        const node = stack.pop();
        if (!node) return;
        node.end = Math.min(state.position + shift, text.length);
        node.kind = state.kind;
        node.result = state.result;
      }
    },
  });
  if (roots.length !== docs.length) throw new Unsupported('document count mismatch');
  return { docs, roots };
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

interface Entry {
  readonly key: string;
  readonly keyNode: RawNode;
  /** Position of the `:` after the key. */
  readonly colon: number;
  /** The value node; kind null for an empty value. */
  readonly value: RawNode;
}

type View =
  | { readonly type: 'map'; readonly node: RawNode; readonly flow: false; readonly entries: readonly Entry[] }
  | { readonly type: 'seq'; readonly node: RawNode; readonly flow: false; readonly items: readonly RawNode[] }
  | { readonly type: 'other'; readonly node: RawNode };

/** The structure of a node: block mapping entries, block sequence items, or opaque. */
function viewOf(text: string, node: RawNode): View {
  if (node.kind === 'mapping' && !isFlowAt(text, node)) {
    const entries: Entry[] = [];
    for (const child of node.children) {
      if (child.kind !== 'scalar') continue;
      let p = child.end;
      while (text[p] === ' ' || text[p] === '\t') p++;
      if (text[p] !== ':') continue;
      const value = node.children.find((c) => c.start === p + 1) ?? { start: p + 1, end: p + 1, kind: null, result: null, children: [] };
      entries.push({ key: String(child.result), keyNode: child, colon: p, value });
    }
    if (!isRecord(node.result) || entries.length !== Object.keys(node.result).length) return { type: 'other', node };
    return { type: 'map', node, flow: false, entries };
  }
  if (node.kind === 'sequence' && !isFlowAt(text, node)) {
    const items = node.children.filter((c) => prevNonSpace(text, c.start) === '-');
    if (!Array.isArray(node.result) || items.length !== node.result.length) return { type: 'other', node };
    return { type: 'seq', node, flow: false, items };
  }
  return { type: 'other', node };
}

/** Where a node's value sits: the entry it is the value of, or the sequence item it is. */
type Slot = { readonly kind: 'entry'; readonly entry: Entry } | { readonly kind: 'item'; readonly node: RawNode } | { readonly kind: 'root'; readonly node: RawNode };

interface Located {
  /** The deepest existing node on the path and the slot holding it. */
  readonly slot: Slot;
  readonly view: View;
  /** Path steps not found below it. */
  readonly rest: readonly Step[];
}

function locate(text: string, doc: number, path: readonly Step[]): Located {
  const root = parseFile(text).roots[doc];
  if (!root) throw new Unsupported('document not found');
  let slot: Slot = { kind: 'root', node: root };
  let view = viewOf(text, root);
  for (let i = 0; i < path.length; i++) {
    const step = path[i] as Step;
    if (view.type === 'map' && typeof step === 'string') {
      const entry = view.entries.find((e) => e.key === step);
      if (!entry) return { slot, view, rest: path.slice(i) };
      slot = { kind: 'entry', entry };
      view = viewOf(text, entry.value);
    } else if (view.type === 'seq' && typeof step === 'number') {
      const item = view.items[step];
      if (!item) throw new Unsupported('no such item');
      slot = { kind: 'item', node: item };
      view = viewOf(text, item);
    } else {
      return { slot, view, rest: path.slice(i) };
    }
  }
  return { slot, view, rest: [] };
}

/** Sets the value at `path`, creating missing mappings on the way. */
function setValue(text: string, doc: number, path: readonly Step[], value: unknown): string {
  const { slot, view, rest } = locate(text, doc, path);
  if (rest.length === 0) return replaceSlot(text, slot, value);
  const [first, ...more] = rest;
  if (view.type === 'map' && typeof first === 'string') return insertEntry(text, view, first, nest(more, value));
  // Something else is in the way (a scalar, an empty value, a flow collection): replace it whole.
  const current = structuredClone(nodeValue(view.node)) as unknown;
  const replaced = isRecord(current) || Array.isArray(current) ? current : {};
  setIn(replaced, rest, value);
  return replaceSlot(text, slot, replaced);
}

/** Removes the entry at `path` (its parent must be a block mapping). */
function deleteValue(text: string, doc: number, path: readonly Step[]): string {
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1];
  const { slot, view, rest } = locate(text, doc, parentPath);
  if (rest.length > 0 || view.type !== 'map' || typeof key !== 'string') throw new Unsupported('cannot delete here');
  const at = view.entries.findIndex((e) => e.key === key);
  const entry = view.entries[at];
  if (!entry) return text;
  if (view.entries.length === 1) return replaceSlot(text, slot, {});
  const next = view.entries[at + 1];
  if (next) {
    const start = isFirstOnLine(text, entry.keyNode.start) ? lineStart(text, entry.keyNode.start) : entry.keyNode.start;
    const end = isFirstOnLine(text, next.keyNode.start) && start === lineStart(text, start) ? lineStart(text, next.keyNode.start) : next.keyNode.start;
    return splice(text, start, end, '');
  }
  const prev = view.entries[at - 1] as Entry;
  return splice(text, lineEnd(text, entryEnd(text, prev)), lineEnd(text, entryEnd(text, entry)), '');
}

/** Replaces the value held by `slot`. */
function replaceSlot(text: string, slot: Slot, value: unknown): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const node = slot.kind === 'entry' ? slot.entry.value : slot.node;
  const isBlockValue = (isRecord(value) && Object.keys(value).length > 0) || (Array.isArray(value) && value.length > 0);
  const noArrayIndent = detectNoArrayIndent(text);

  if (!isBlockValue) {
    // An alias (`*name`) has no kind but has text: it is replaced like a scalar.
    const inline = node.kind === 'scalar' || (node.kind === null && hasText(text, node));
    const scalar = formatScalar(value, inline ? text.slice(contentStart(text, node), contentEnd(text, node)) : undefined);
    if (inline) return splice(text, contentStart(text, node), contentEnd(text, node), scalar);
    if (slot.kind === 'entry') return splice(text, slot.entry.colon + 1, entryEnd(text, slot.entry), ` ${scalar}`);
    if (node.kind === null) throw new Unsupported('empty item');
    return splice(text, contentStart(text, node), contentEnd(text, node), scalar);
  }

  const sameShape = (node.kind === 'mapping' && isRecord(value)) || (node.kind === 'sequence' && Array.isArray(value));
  if (sameShape && !isFlowAt(text, node)) {
    const start = contentStart(text, node);
    return splice(text, start, contentEnd(text, node), blockAt(text, start, value, noArrayIndent, eol));
  }
  if (slot.kind === 'entry') {
    const keyIndent = column(text, slot.entry.keyNode.start);
    const indent = Array.isArray(value) && noArrayIndent ? keyIndent : keyIndent + 2;
    return splice(text, slot.entry.colon + 1, entryEnd(text, slot.entry), eol + dumpBlock(value, indent, noArrayIndent, eol));
  }
  if (node.kind === null) throw new Unsupported('empty item');
  const start = contentStart(text, node);
  return splice(text, start, contentEnd(text, node), blockAt(text, start, value, noArrayIndent, eol));
}

/** Adds `key: value` as the last entry of a block mapping. */
function insertEntry(text: string, view: Extract<View, { type: 'map' }>, key: string, value: unknown): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const first = view.entries[0];
  const last = view.entries[view.entries.length - 1];
  if (!first || !last) throw new Unsupported('empty mapping');
  const indent = column(text, first.keyNode.start);
  const noArrayIndent = detectNoArrayIndent(text);
  const keyText = formatKey(key);
  const isBlockValue = (isRecord(value) && Object.keys(value).length > 0) || (Array.isArray(value) && value.length > 0);
  const body = isBlockValue
    ? `${keyText}:${eol}${dumpBlock(value, Array.isArray(value) && noArrayIndent ? indent : indent + 2, noArrayIndent, eol)}`
    : `${keyText}: ${formatScalar(value)}`;
  const at = lineEnd(text, entryEnd(text, last));
  return splice(text, at, at, `${eol}${' '.repeat(indent)}${body}`);
}

/** A block value written from `start`: indented from the line start, or after `- ` when compact. */
function blockAt(text: string, start: number, value: unknown, noArrayIndent: boolean, eol: string): string {
  const col = column(text, start);
  const dumped = dumpBlock(value, col, noArrayIndent, eol);
  // The text before `start` on its line (indentation or `- `) stays, so the first line loses its indent.
  return dumped.slice(col);
}

/** js-yaml block output, every non-empty line indented by `indent`, without the final newline. */
function dumpBlock(value: unknown, indent: number, noArrayIndent: boolean, eol: string): string {
  const dumped = yaml.dump(value, { schema: KUBERNETES_YAML_SCHEMA, noRefs: true, lineWidth: -1, noArrayIndent, indent: 2 }).replace(/\n$/, '');
  return dumped
    .split('\n')
    .map((line) => (line === '' ? line : ' '.repeat(indent) + line))
    .join(eol);
}

/** A scalar, in the quoting style the old value used where that style can hold it. */
function formatScalar(value: unknown, previous?: string): string {
  if (isRecord(value)) return '{}';
  if (Array.isArray(value)) return '[]';
  if (typeof value !== 'string') return yaml.dump(value, { schema: KUBERNETES_YAML_SCHEMA }).trimEnd();
  if (previous?.startsWith('"')) return JSON.stringify(value);
  if (previous?.startsWith("'") && !value.includes('\n')) return `'${value.replaceAll("'", "''")}'`;
  const dumped = yaml.dump(value, { schema: KUBERNETES_YAML_SCHEMA, lineWidth: -1 }).trimEnd();
  return dumped.includes('\n') ? JSON.stringify(value) : dumped;
}

function formatKey(key: string): string {
  return formatScalar(key);
}

/** The list style of the file: `- ` at the column of its key (kubectl's) or indented below it. */
function detectNoArrayIndent(text: string, within?: RawNode): boolean {
  const roots = within ? [within] : safeRoots(text);
  const walk = (node: RawNode): boolean | undefined => {
    const view = viewOf(text, node);
    if (view.type === 'map') {
      for (const e of view.entries) {
        if (e.value.kind === 'sequence' && !isFlowAt(text, e.value)) return column(text, contentStart(text, e.value)) === column(text, e.keyNode.start);
        const inner = walk(e.value);
        if (inner !== undefined) return inner;
      }
    } else if (view.type === 'seq') {
      for (const item of view.items) {
        const inner = walk(item);
        if (inner !== undefined) return inner;
      }
    }
    return undefined;
  };
  for (const r of roots) {
    const found = walk(r);
    if (found !== undefined) return found;
  }
  return true;
}

function safeRoots(text: string): RawNode[] {
  try {
    return parseFile(text).roots;
  } catch {
    return [];
  }
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

// --- spans --------------------------------------------------------------------------------------

function nodeValue(node: RawNode): unknown {
  return node.result;
}

/** First character of the node's content: whitespace and comment lines before it skipped. */
function contentStart(text: string, node: RawNode): number {
  let p = node.start;
  for (;;) {
    while (p < node.end && /[ \t\r\n]/.test(text[p] ?? '')) p++;
    // No scalar starts with `#`: this is a comment line between the key and the content.
    if (text[p] === '#') {
      p = lineEnd(text, p);
      continue;
    }
    return p;
  }
}

/** End of the node's content: trailing blanks, and for block collections trailing comments, excluded. */
function contentEnd(text: string, node: RawNode): number {
  if ((node.kind === 'mapping' || node.kind === 'sequence') && !isFlowAt(text, node)) {
    const view = viewOf(text, node);
    if (view.type === 'map') {
      const last = view.entries[view.entries.length - 1];
      if (last) return entryEnd(text, last);
    } else if (view.type === 'seq') {
      const last = view.items[view.items.length - 1];
      if (last) return contentEnd(text, last);
    }
    throw new Unsupported('unknown block collection shape');
  }
  let e = node.end;
  while (e > node.start && /[ \t\r\n]/.test(text[e - 1] ?? '')) e--;
  return e;
}

function entryEnd(text: string, entry: Entry): number {
  return entry.value.kind === null && !hasText(text, entry.value) ? entry.colon + 1 : contentEnd(text, entry.value);
}

/** A node with no content of its own (an empty value) has none; an alias has some. */
function hasText(text: string, node: RawNode): boolean {
  const start = contentStart(text, node);
  let end = node.end;
  while (end > start && /[ \t\r\n]/.test(text[end - 1] ?? '')) end--;
  return end > start;
}

function contentSpan(text: string, node: RawNode): { start: number; end: number } {
  return { start: contentStart(text, node), end: contentEnd(text, node) };
}

/** The parser's span, blanks trimmed: good for any node shape (may include trailing comments). */
function rawSpan(text: string, node: RawNode): { start: number; end: number } {
  let end = node.end;
  while (end > node.start && /[ \t\r\n]/.test(text[end - 1] ?? '')) end--;
  return { start: contentStart(text, node), end };
}

function isFlowAt(text: string, node: RawNode): boolean {
  const c = text[contentStart(text, node)];
  return c === '{' || c === '[';
}

function prevNonSpace(text: string, pos: number): string | undefined {
  let p = pos - 1;
  while (p >= 0 && /[ \t\r\n]/.test(text[p] ?? '')) p--;
  return text[p];
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

function lineEnd(text: string, pos: number): number {
  const i = text.indexOf('\n', pos);
  const end = i < 0 ? text.length : i;
  return end > 0 && text[end - 1] === '\r' ? end - 1 : end;
}

function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

function isFirstOnLine(text: string, pos: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStart(text, pos), pos));
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
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
