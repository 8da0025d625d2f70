// Persists the runtime node overlay (what `nodelet label|taint node` changed) in the state
// directory, so labels and taints survive an agent restart. The config file stays the base:
// only the difference to it is stored (see NodeOverlay). Writes are atomic (temp file +
// fsync + rename + directory fsync) through HostFs.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeletError, errorMessage } from '../core/errors.js';
import { type HostFs, NodeHostFs } from '../host/host-fs.js';
import { TAINT_EFFECTS } from '../manifest/validate-scheduling.js';
import { EMPTY_OVERLAY, type NodeOverlay, type NodeTaint, type TaintEffect } from './node-model.js';

export const NODE_STATE_FILE = 'node.json';
const FORMAT_VERSION = 1;

export function nodeStatePath(stateDir: string): string {
  return join(stateDir, NODE_STATE_FILE);
}

export class NodeStore {
  readonly #path: string;
  readonly #stateDir: string;
  readonly #fs: Pick<HostFs, 'writeFileAtomic'>;

  constructor(stateDir: string, fs: Pick<HostFs, 'writeFileAtomic'> = new NodeHostFs()) {
    this.#stateDir = stateDir;
    this.#path = nodeStatePath(stateDir);
    this.#fs = fs;
  }

  /** The stored overlay; empty when nothing was ever changed. A corrupt file is an NLT_STATE error. */
  async load(): Promise<NodeOverlay> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_OVERLAY;
      throw new NodeletError('NLT_STATE', `cannot read ${this.#path}: ${errorMessage(e)}`, { cause: e });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new NodeletError('NLT_STATE', `${this.#path} is not valid JSON: ${errorMessage(e)}`, { cause: e });
    }
    const parsed = parseNodeOverlay(json);
    if (!parsed.ok) throw new NodeletError('NLT_STATE', `${this.#path}: ${parsed.error}`);
    return parsed.overlay;
  }

  async save(overlay: NodeOverlay): Promise<void> {
    await mkdir(this.#stateDir, { recursive: true, mode: 0o700 });
    const body = { version: FORMAT_VERSION, labels: overlay.labels, taints: overlay.taints };
    await this.#fs.writeFileAtomic(this.#path, `${JSON.stringify(body, null, 2)}\n`, 0o600);
  }
}

/** Shape check of the stored JSON (pure). */
export function parseNodeOverlay(json: unknown): { ok: true; overlay: NodeOverlay } | { ok: false; error: string } {
  if (!isRecord(json)) return { ok: false, error: 'expected a JSON object' };
  if (json['version'] !== FORMAT_VERSION) return { ok: false, error: `unsupported version ${JSON.stringify(json['version'])}` };
  const labelsIn = json['labels'] ?? {};
  if (!isRecord(labelsIn)) return { ok: false, error: 'labels must be an object' };
  const labels: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(labelsIn)) {
    if (v !== null && typeof v !== 'string') return { ok: false, error: `label ${k}: value must be a string or null` };
    labels[k] = v;
  }
  const taintsIn = json['taints'] ?? { set: [], removed: [] };
  if (!isRecord(taintsIn)) return { ok: false, error: 'taints must be an object' };
  const set: NodeTaint[] = [];
  for (const t of asArray(taintsIn['set'])) {
    const taint = readTaint(t);
    if (!taint) return { ok: false, error: `invalid taint ${JSON.stringify(t)}` };
    set.push(taint);
  }
  const removed: { key: string; effect: TaintEffect }[] = [];
  for (const r of asArray(taintsIn['removed'])) {
    if (!isRecord(r) || typeof r['key'] !== 'string' || !isEffect(r['effect'])) return { ok: false, error: `invalid removed taint ${JSON.stringify(r)}` };
    removed.push({ key: r['key'], effect: r['effect'] });
  }
  return { ok: true, overlay: { labels, taints: { set, removed } } };
}

function readTaint(t: unknown): NodeTaint | undefined {
  if (!isRecord(t) || typeof t['key'] !== 'string' || !isEffect(t['effect'])) return undefined;
  const value = t['value'];
  if (value !== undefined && typeof value !== 'string') return undefined;
  return value ? { key: t['key'], value, effect: t['effect'] } : { key: t['key'], effect: t['effect'] };
}

function isEffect(v: unknown): v is TaintEffect {
  return typeof v === 'string' && (TAINT_EFFECTS as readonly string[]).includes(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
