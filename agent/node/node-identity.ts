// The node's identity: its name, labels and taints, as DaemonSet eligibility, manifest Pod
// admission and `nodelet get node` see them. Three layers, lowest first: kubelet's automatic
// labels, the config's labels and taints (replaced on SIGHUP), and the runtime overlay that
// `nodelet label|taint node` changes, persisted in the state dir (node-store.ts). This module
// owns them; the DaemonSet controller and the agent ask it and hear when it changes.
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import {
  applyLabelArgs,
  applyOverlay,
  applyTaintArgs,
  baseNodeIdentity,
  diffOverlay,
  EMPTY_OVERLAY,
  parseLabelArgs,
  parseTaintArgs,
  type NodeIdentity,
  type NodeOverlay,
  type NodeTaint,
} from './node-model.js';
import type { NodeStore } from './node-store.js';

/** What the rest of the agent reads of the node identity. */
export interface NodeIdentityView {
  current(): NodeIdentity;
}

export interface NodeIdentityDeps {
  readonly name: string;
  /** process.platform / process.arch, for the automatic labels. */
  readonly platform: string;
  readonly arch: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly NodeTaint[];
  readonly store: Pick<NodeStore, 'load' | 'save'>;
  readonly logger: Logger;
}

export type LabelResult = { ok: true; message: string; notices: readonly string[] } | { ok: false; error: string };
export type TaintResult = { ok: true; message: string } | { ok: false; error: string };

export class NodeIdentityManager implements NodeIdentityView {
  readonly #d: NodeIdentityDeps;
  readonly #log: Logger;
  readonly #listeners = new Set<(node: NodeIdentity) => void>();
  #base: NodeIdentity;
  #overlay: NodeOverlay = EMPTY_OVERLAY;
  #node: NodeIdentity;

  constructor(deps: NodeIdentityDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'node' });
    this.#base = this.#baseOf(deps.labels, deps.taints);
    this.#node = this.#base;
  }

  /** Reads the persisted label/taint overlay (at start, before anything is judged). */
  async load(): Promise<void> {
    try {
      this.#overlay = await this.#d.store.load();
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, 'cannot read the stored node labels and taints; using the config only');
    }
    this.#node = applyOverlay(this.#base, this.#overlay);
  }

  current(): NodeIdentity {
    return this.#node;
  }

  /** Called with the new identity whenever labels or taints change. */
  onChange(listener: (node: NodeIdentity) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The config's labels and taints changed (SIGHUP): the overlay stays on top. */
  setConfig(labels: Readonly<Record<string, string>>, taints: readonly NodeTaint[]): void {
    this.#base = this.#baseOf(labels, taints);
    this.#set(applyOverlay(this.#base, this.#overlay));
  }

  /** `nodelet label node ...`: kubectl's rules and messages. */
  async label(specs: readonly string[], overwrite: boolean): Promise<LabelResult> {
    const args = parseLabelArgs(specs);
    if (!args.ok) return args;
    const out = applyLabelArgs(this.#node, args.value, { overwrite });
    if (!out.ok) return out;
    if (out.value.changed) await this.#save(out.value.node);
    return { ok: true, message: out.value.message, notices: out.value.notices };
  }

  /** `nodelet taint node ...`. */
  async taint(specs: readonly string[], overwrite: boolean): Promise<TaintResult> {
    const args = parseTaintArgs(specs);
    if (!args.ok) return args;
    const out = applyTaintArgs(this.#node, args.value, { overwrite });
    if (!out.ok) return out;
    if (out.value.changed) await this.#save(out.value.node);
    return { ok: true, message: out.value.message };
  }

  #baseOf(labels: Readonly<Record<string, string>>, taints: readonly NodeTaint[]): NodeIdentity {
    return baseNodeIdentity({ name: this.#d.name, platform: this.#d.platform, arch: this.#d.arch, configLabels: labels, configTaints: taints });
  }

  /** Only the difference to the config is stored, so a later config change still shows. */
  async #save(next: NodeIdentity): Promise<void> {
    const overlay = diffOverlay(this.#base, next);
    await this.#d.store.save(overlay);
    this.#overlay = overlay;
    this.#set(applyOverlay(this.#base, overlay));
  }

  #set(next: NodeIdentity): void {
    const before = JSON.stringify(this.#node);
    this.#node = next;
    if (JSON.stringify(next) === before) return;
    this.#log.info({ labels: next.labels, taints: next.taints }, 'node labels/taints changed; re-evaluating DaemonSets and manifest pods');
    for (const l of [...this.#listeners]) l(next);
  }
}
