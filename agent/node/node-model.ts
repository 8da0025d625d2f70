// The one node nodelet runs on, as the DaemonSet controller and kubelet admission see it:
// a name, labels (kubelet's automatic ones, the config file's, then runtime changes) and
// taints. `nodelet label node` / `nodelet taint node` are parsed and applied here with
// kubectl's argument rules and messages (staging/src/k8s.io/kubectl/pkg/cmd/label/label.go,
// cmd/taint/{taint,utils}.go). Pure: no I/O; the store persists the runtime overlay.
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { isQualifiedName, isValidLabelValue } from '../manifest/names.js';
import { validateLabels } from '../manifest/validate-meta.js';
import { goQuote } from '../manifest/field-issue.js';
import { TAINT_EFFECTS } from '../manifest/validate-scheduling.js';

/** A taint effect: the list manifest validation checks tolerations against. */
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/** A node taint; structurally a kubernetes-types Taint without timeAdded. */
export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: TaintEffect;
}

export interface NodeIdentity {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly NodeTaint[];
  /** runtime.GOOS of the agent: kubelet admission compares a pod's kubernetes.io/os label with it. */
  readonly os?: string;
}

/** The labels kubelet always sets on its Node (v1.LabelHostname, LabelOSStable, LabelArchStable). */
export const NODE_LABELS = {
  hostname: 'kubernetes.io/hostname',
  os: 'kubernetes.io/os',
  arch: 'kubernetes.io/arch',
} as const;

const GO_OS: Readonly<Record<string, string>> = { win32: 'windows', sunos: 'solaris' };
const GO_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm: 'arm',
  arm64: 'arm64',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** Node's process.platform as Go's runtime.GOOS. */
export function goOS(platform: string): string {
  return GO_OS[platform] ?? platform;
}

/** Node's process.arch as Go's runtime.GOARCH (ppc64 on Linux is little-endian: ppc64le). */
export function goArch(arch: string): string {
  return GO_ARCH[arch] ?? arch;
}

/** kubernetes.io/hostname, kubernetes.io/os, kubernetes.io/arch as kubelet's initialNode sets them. */
export function automaticLabels(nodeName: string, platform: string, arch: string): Record<string, string> {
  return {
    [NODE_LABELS.hostname]: nodeName,
    [NODE_LABELS.os]: goOS(platform),
    [NODE_LABELS.arch]: goArch(arch),
  };
}

/**
 * What runtime commands changed relative to the base (automatic + config): label values set
 * (or `null` = removed) and taints set or removed by key+effect. A delta, not a snapshot, so
 * a later edit of the config file still shows through where nobody overrode it.
 */
export interface NodeOverlay {
  readonly labels: Readonly<Record<string, string | null>>;
  readonly taints: {
    readonly set: readonly NodeTaint[];
    readonly removed: readonly { readonly key: string; readonly effect: TaintEffect }[];
  };
}

export const EMPTY_OVERLAY: NodeOverlay = { labels: {}, taints: { set: [], removed: [] } };

export interface NodeIdentityInput {
  readonly name: string;
  /** process.platform / process.arch. */
  readonly platform: string;
  readonly arch: string;
  readonly configLabels?: Readonly<Record<string, string>>;
  readonly configTaints?: readonly NodeTaint[];
  readonly overlay?: NodeOverlay;
}

/** The base node: automatic labels, then the config's (which win, as kubelet's --node-labels do). */
export function baseNodeIdentity(input: Omit<NodeIdentityInput, 'overlay'>): NodeIdentity {
  return {
    name: input.name,
    labels: { ...automaticLabels(input.name, input.platform, input.arch), ...(input.configLabels ?? {}) },
    taints: dedupeTaints(input.configTaints ?? []),
    os: goOS(input.platform),
  };
}

/** Base node with the persisted runtime overlay applied. */
export function buildNodeIdentity(input: NodeIdentityInput): NodeIdentity {
  return applyOverlay(baseNodeIdentity(input), input.overlay ?? EMPTY_OVERLAY);
}

export function applyOverlay(base: NodeIdentity, overlay: NodeOverlay): NodeIdentity {
  const labels: Record<string, string> = { ...base.labels };
  for (const [k, v] of Object.entries(overlay.labels)) {
    if (v === null) delete labels[k];
    else labels[k] = v;
  }
  const removed = (t: NodeTaint): boolean => overlay.taints.removed.some((r) => r.key === t.key && r.effect === t.effect);
  const taints: NodeTaint[] = base.taints.filter((t) => !removed(t)).map((t) => overlay.taints.set.find((s) => sameKeyEffect(s, t)) ?? t);
  for (const s of overlay.taints.set) if (!taints.some((t) => sameKeyEffect(t, s))) taints.push(s);
  return { ...base, labels, taints };
}

/** The overlay that turns `base` into `effective`; persisted after every label/taint command. */
export function diffOverlay(base: NodeIdentity, effective: NodeIdentity): NodeOverlay {
  const labels: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(effective.labels)) if (base.labels[k] !== v) labels[k] = v;
  for (const k of Object.keys(base.labels)) if (!(k in effective.labels)) labels[k] = null;
  const set = effective.taints.filter((t) => {
    const b = base.taints.find((x) => sameKeyEffect(x, t));
    return !b || (b.value ?? '') !== (t.value ?? '');
  });
  const removed = base.taints.filter((b) => !effective.taints.some((t) => sameKeyEffect(t, b))).map((b) => ({ key: b.key, effect: b.effect }));
  return { labels, taints: { set, removed } };
}

function sameKeyEffect(a: { key: string; effect: string }, b: { key: string; effect: string }): boolean {
  return a.key === b.key && a.effect === b.effect;
}

function dedupeTaints(taints: readonly NodeTaint[]): NodeTaint[] {
  const out: NodeTaint[] = [];
  for (const t of taints) {
    const at = out.findIndex((x) => sameKeyEffect(x, t));
    if (at >= 0) out[at] = t;
    else out.push(t);
  }
  return out;
}

/** Taint.ToString(): `key=value:Effect`, or `key:Effect` without a value. */
export function formatTaint(t: { key: string; value?: string; effect?: string }): string {
  return t.value ? `${t.key}=${t.value}:${t.effect ?? ''}` : `${t.key}:${t.effect ?? ''}`;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

// --- nodelet label node -----------------------------------------------------------------------

export interface LabelArgs {
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

/**
 * cmdutil.GetResourcesAndPairs for `label`: resources first, then `k=v` / `k-` pairs.
 */
export function splitLabelCommandArgs(args: readonly string[]): Parsed<{ readonly resources: readonly string[]; readonly labels: readonly string[] }> {
  const resources: string[] = [];
  const labels: string[] = [];
  for (const s of args) {
    const isPair = (s.includes('=') && !s.startsWith('=')) || (s.endsWith('-') && s !== '-');
    if (isPair) labels.push(s);
    else if (labels.length === 0) resources.push(s);
    else return { ok: false, error: `all resources must be specified before label changes: ${s}` };
  }
  if (resources.length < 1) return { ok: false, error: 'one or more resources must be specified as <resource> <name> or <resource>/<name>' };
  return { ok: true, value: { resources, labels } };
}

/** What kubectl prints for a node that does not exist (a name other than this node's). */
export function nodeNotFoundError(name: string): string {
  return `Error from server (NotFound): nodes ${goQuote(name)} not found`;
}

/** parseLabels: `k=v` sets, `k-` removes; errors exactly as kubectl words them. */
export function parseLabelArgs(specs: readonly string[]): Parsed<LabelArgs> {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const spec of specs) {
    if (spec.includes('=')) {
      const parts = spec.split('=');
      if (parts.length !== 2) return { ok: false, error: `invalid label spec: ${spec}` };
      const [key = '', value = ''] = parts;
      const errs = isValidLabelValue(value);
      if (errs.length > 0) return { ok: false, error: `invalid label value: ${goQuote(spec)}: ${errs.join(';')}` };
      set[key] = value;
    } else if (spec.endsWith('-')) {
      remove.push(spec.slice(0, -1));
    } else {
      return { ok: false, error: `unknown label spec: ${spec}` };
    }
  }
  for (const key of remove) if (key in set) return { ok: false, error: 'can not both modify and remove a label in the same command' };
  if (Object.keys(set).length === 0 && remove.length === 0) return { ok: false, error: 'at least one label update is required' };
  return { ok: true, value: { set, remove } };
}

export interface LabelOutcome {
  readonly node: NodeIdentity;
  /** `node/<name> labeled` (or unlabeled, not labeled, label(s) changed). */
  readonly message: string;
  /** `label "k" not found.` lines kubectl prints before the result, one per absent removal. */
  readonly notices: readonly string[];
  readonly changed: boolean;
}

/**
 * labelFunc + the apiserver's label validation. Without --overwrite a key that already has a
 * DIFFERENT value is an error; setting the same value again is not.
 */
export function applyLabelArgs(node: NodeIdentity, args: LabelArgs, opts: { readonly overwrite: boolean }): Parsed<LabelOutcome> {
  const current = node.labels;
  if (!opts.overwrite) {
    const errs = Object.keys(args.set)
      .sort()
      .filter((k) => k in current && current[k] !== args.set[k])
      .map((k) => `'${k}' already has a value (${current[k] ?? ''}), and --overwrite is false`);
    if (errs.length > 0) return { ok: false, error: aggregate(errs) };
  }
  const labels: Record<string, string> = { ...current, ...args.set };
  for (const k of args.remove) delete labels[k];
  const invalid = validateLabels(labels, 'metadata.labels');
  if (invalid.length > 0) return { ok: false, error: invalidNodeError(node.name, invalid.map((i) => i.message)) };
  const notices = args.remove.filter((k) => !(k in current)).map((k) => `label ${goQuote(k)} not found.`);
  const verb = labelChangeMessage(current, labels);
  return { ok: true, value: { node: { ...node, labels }, message: `node/${node.name} ${verb}`, notices, changed: verb !== 'not labeled' } };
}

/** updateDataChangeMsg. */
function labelChangeMessage(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string {
  let labeled = false;
  let unlabeled = false;
  for (const [k, v] of Object.entries(before)) {
    if (!(k in after)) unlabeled = true;
    else if (after[k] !== v) labeled = true;
  }
  for (const k of Object.keys(after)) if (!(k in before)) labeled = true;
  if (labeled && unlabeled) return 'label(s) changed';
  if (labeled) return 'labeled';
  if (unlabeled) return 'unlabeled';
  return 'not labeled';
}

/** utilerrors.NewAggregate(...).Error(): one error as is, several as `[a, b]`. */
function aggregate(errs: readonly string[]): string {
  return errs.length === 1 ? (errs[0] ?? '') : `[${errs.join(', ')}]`;
}

/** kubectl's rendering of an Invalid StatusError (cmdutil.checkErr + MultilineError). */
function invalidNodeError(name: string, causes: readonly string[]): string {
  const prefix = `The Node ${goQuote(name)} is invalid: `;
  if (causes.length === 1) return prefix + (causes[0] ?? '');
  return `${prefix}\n${causes.map((c) => `* ${c}`).join('\n')}\n`;
}

// --- nodelet taint node -----------------------------------------------------------------------

export interface TaintArgs {
  readonly add: readonly NodeTaint[];
  /** effect undefined = every taint with that key. */
  readonly remove: readonly { readonly key: string; readonly effect?: TaintEffect }[];
}

/**
 * TaintOptions.Complete's split of the positional arguments: resources first, then taint
 * specs (anything with `=`, `:` or a trailing `-`).
 */
export function splitTaintCommandArgs(args: readonly string[]): Parsed<{ readonly resources: readonly string[]; readonly taints: readonly string[] }> {
  const resources: string[] = [];
  const taints: string[] = [];
  for (const s of args) {
    const isTaint = s.includes('=') || s.includes(':') || s.endsWith('-');
    if (isTaint) taints.push(s);
    else if (taints.length === 0) resources.push(s);
    else return { ok: false, error: `all resources must be specified before taint changes: ${s}` };
  }
  if (resources.length < 1) return { ok: false, error: 'one or more resources must be specified as <resource> <name>' };
  if (taints.length < 1) return { ok: false, error: 'at least one taint update is required' };
  return { ok: true, value: { resources, taints } };
}

/** parseTaints + Validate's modify-and-remove check. */
export function parseTaintArgs(specs: readonly string[]): Parsed<TaintArgs> {
  if (specs.length === 0) return { ok: false, error: 'at least one taint update is required' };
  const add: NodeTaint[] = [];
  const remove: { key: string; effect?: TaintEffect }[] = [];
  for (const spec of specs) {
    if (spec.endsWith('-')) {
      const parsed = parseTaint(spec.slice(0, -1));
      if (!parsed.ok) return parsed;
      remove.push(parsed.value.effect ? { key: parsed.value.key, effect: parsed.value.effect } : { key: parsed.value.key });
      continue;
    }
    const parsed = parseTaint(spec);
    if (!parsed.ok) return parsed;
    const t = parsed.value;
    if (!t.effect) return { ok: false, error: `invalid taint spec: ${spec}` };
    if (add.some((a) => a.key === t.key && a.effect === t.effect)) {
      // %v of a v1.Taint value: {Key Value Effect TimeAdded}.
      return { ok: false, error: `duplicated taints with the same key and effect: {${t.key} ${t.value ?? ''} ${t.effect} <nil>}` };
    }
    add.push(t.value ? { key: t.key, value: t.value, effect: t.effect } : { key: t.key, effect: t.effect });
  }
  const conflicts: string[] = [];
  for (const a of add) {
    for (const r of remove) {
      if (a.key !== r.key) continue;
      if (!r.effect || a.effect === r.effect) conflicts.push(`{"${r.key}":"${r.effect ?? ''}"}`);
    }
  }
  if (conflicts.length > 0) return { ok: false, error: `can not both modify and remove the following taint(s) in the same command: ${conflicts.join(', ')}` };
  return { ok: true, value: { add, remove } };
}

/** parseTaint: `key=value:effect`, `key:effect` or `key`. */
function parseTaint(st: string): Parsed<{ key: string; value?: string; effect?: TaintEffect }> {
  const parts = st.split(':');
  let key: string;
  let value: string | undefined;
  let effect: TaintEffect | undefined;
  if (parts.length === 1) {
    key = parts[0] ?? '';
  } else if (parts.length === 2) {
    const e = parts[1] ?? '';
    if (!(TAINT_EFFECTS as readonly string[]).includes(e)) return { ok: false, error: `invalid taint effect: ${e}, unsupported taint effect` };
    effect = e as TaintEffect;
    const kv = (parts[0] ?? '').split('=');
    if (kv.length > 2) return { ok: false, error: `invalid taint spec: ${st}` };
    key = kv[0] ?? '';
    if (kv.length === 2) {
      value = kv[1] ?? '';
      const errs = isValidLabelValue(value);
      if (errs.length > 0) return { ok: false, error: `invalid taint spec: ${st}, ${errs.join('; ')}` };
    }
  } else {
    return { ok: false, error: `invalid taint spec: ${st}` };
  }
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) return { ok: false, error: `invalid taint spec: ${st}, ${keyErrs.join('; ')}` };
  const out: { key: string; value?: string; effect?: TaintEffect } = { key };
  if (value) out.value = value;
  if (effect) out.effect = effect;
  return { ok: true, value: out };
}

export interface TaintOutcome {
  readonly node: NodeIdentity;
  /** `node/<name> tainted` (or untainted, modified). */
  readonly message: string;
  readonly changed: boolean;
}

/** updateTaints + reorganizeTaints: the new taints first, then the untouched old ones. */
export function applyTaintArgs(node: NodeIdentity, args: TaintArgs, opts: { readonly overwrite: boolean }): Parsed<TaintOutcome> {
  const old = node.taints;
  if (!opts.overwrite) {
    const exists = args.add.flatMap((t) => old.filter((o) => sameKeyEffect(o, t)).map(() => t.key));
    if (exists.length > 0) {
      return { ok: false, error: `node ${node.name} already has ${exists.join(',')} taint(s) with same effect(s) and --overwrite is false` };
    }
  }
  let next: NodeTaint[] = [...args.add];
  for (const o of old) if (!next.some((t) => sameKeyEffect(t, o))) next.push(o);
  const added = old.length !== next.length;
  const errs: string[] = [];
  let deleted = false;
  for (const r of args.remove) {
    const before = next.length;
    next = next.filter((t) => (r.effect ? !(t.key === r.key && t.effect === r.effect) : t.key !== r.key));
    // kubectl keeps only the last removal's outcome for the message.
    deleted = next.length !== before;
    if (!deleted) errs.push(`taint ${goQuote(formatTaint({ key: r.key, effect: r.effect ?? '' }))} not found`);
  }
  if (errs.length > 0) return { ok: false, error: aggregate(errs) };
  const verb = (added && deleted) || opts.overwrite ? 'modified' : added ? 'tainted' : 'untainted';
  const changed = JSON.stringify(old) !== JSON.stringify(next);
  return { ok: true, value: { node: { ...node, taints: next }, message: `node/${node.name} ${verb}`, changed } };
}

// --- get node --------------------------------------------------------------------------------

/** findNodeRoles: node-role.kubernetes.io/<role> keys and the kubernetes.io/role value, sorted. */
export function nodeRoles(labels: Readonly<Record<string, string>>): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

/** A v1 Node object for `get node -o yaml|json` (status is the caller's). */
export function toNodeObject(
  node: NodeIdentity,
  extra: { readonly creationTimestamp?: string; readonly annotations?: Readonly<Record<string, string>>; readonly status?: Node['status'] } = {},
): Node {
  const taints: Taint[] = node.taints.map((t) => (t.value ? { key: t.key, value: t.value, effect: t.effect } : { key: t.key, effect: t.effect }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: { ...node.labels },
      ...(extra.annotations && Object.keys(extra.annotations).length > 0 ? { annotations: { ...extra.annotations } } : {}),
      ...(extra.creationTimestamp ? { creationTimestamp: extra.creationTimestamp } : {}),
    },
    spec: taints.length > 0 ? { taints } : {},
    ...(extra.status ? { status: extra.status } : {}),
  };
}
