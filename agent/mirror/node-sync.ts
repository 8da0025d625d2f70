// Registers the Node and keeps its status current, as kubelet's registerWithAPIServer and
// syncNodeStatus/tryUpdateNodeStatus do: every nodeStatusUpdateFrequency (10 s) the Node is
// read, and its status PATCHed when what nodelet sets differs from what the API server holds,
// or when nodeStatusReportFrequency (5 min) has passed since the last report. The heartbeat
// in between is the Lease.
import type { ContainerImage, Node, Taint } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from './kube-client.js';
import { isAlreadyExists, isConflict, isNotFound } from './kube-client.js';
import { type NodeFacts, type NodeHealth, nodeLabelPatch, nodeLabels, nodeObject, nodeStatus, nodeStatusChanged, nodeStatusPatch, partitionNodeLabels, taintsKey } from '../node/node-status.js';
import type { NodeOwner } from './lease.js';
import { errorMessage } from '../core/errors.js';
import { NO_PLUGINS, withPlugins, type NodePluginState } from '../plugins/node-plugins.js';
import { csiNodeObject, NODE_ID_ANNOTATION, nodeIdAnnotation, type CsiNode } from '../plugins/registration.js';
import { registrationEvents, statusSyncEvents, type NodeEventSpec } from '../node/node-events.js';

export interface NodeSyncTiming {
  /** nodeStatusUpdateFrequency: how often status is computed and compared. */
  readonly statusUpdateMs: number;
  /** nodeStatusReportFrequency: the longest time without a status PATCH. */
  readonly statusReportMs: number;
}

export const DEFAULT_NODE_SYNC_TIMING: NodeSyncTiming = { statusUpdateMs: 10_000, statusReportMs: 5 * 60_000 };

export interface NodeSyncDeps {
  readonly client: () => KubeClient;
  readonly nodeName: string;
  readonly facts: () => NodeFacts;
  readonly health: () => NodeHealth;
  readonly labels: () => Readonly<Record<string, string>>;
  readonly taints: () => readonly Taint[];
  /** Registered CSI drivers and device plugins (plugins/plugin-manager.ts); none when not given. */
  readonly plugins?: () => NodePluginState;
  /** Wall clock: heartbeat and transition times in the Node's status. */
  readonly now: () => number;
  /** Monotonic clock: when the next check and the next full report are due. */
  readonly monotonic: () => number;
  readonly timing: NodeSyncTiming;
  /** Something the API server will keep refusing until the configuration changes (logged once). */
  readonly warn: (message: string, details: Record<string, unknown>) => void;
  readonly info: (message: string, details: Record<string, unknown>) => void;
  /** status.images (the engine's image list); left out when not given or when listing fails. */
  readonly images?: () => Promise<readonly ContainerImage[]>;
  /** Records a Node event (NodeHasSufficientMemory, NodeReady, Rebooted...). */
  readonly event?: (e: NodeEventSpec) => void;
}

export class NodeSync {
  readonly #d: NodeSyncDeps;
  #owner?: NodeOwner;
  #appliedLabels: Record<string, string> = {};
  #lastReportAt = Number.NEGATIVE_INFINITY;
  #nextCheckAt = 0;
  readonly #warned = new Set<string>();
  /** CSI drivers whose node ID this agent put in the annotation (removed when they go). */
  #reportedDrivers = new Set<string>();
  /** spec of the CSINode last written or found in the API server. */
  #csiNodeSynced?: string;

  constructor(deps: NodeSyncDeps) {
    this.#d = deps;
  }

  /** Name and uid of the Node object, once registered (mirror pods and the lease point at it). */
  owner(): NodeOwner | undefined {
    return this.#owner;
  }

  nextDue(): number {
    return this.#nextCheckAt;
  }

  /** The next check is due now (the kubelet syncs the node status at once when shutdown begins). */
  checkNow(): void {
    this.#nextCheckAt = this.#d.monotonic();
  }

  /**
   * One nodeStatusUpdateFrequency tick: read the Node (kubelet GETs it every time too),
   * register it when it is missing, reconcile labels, patch status if it changed or is due.
   */
  async run(): Promise<void> {
    // Read once per tick: facts() stats the filesystem and lists CPUs; every step below uses it.
    const facts = this.#d.facts();
    let node = this.#owner ? await this.#read() : undefined;
    if (!node) node = await this.#register(facts);
    node = await this.#reconcileMetadata(node, facts);
    const plugins = this.#d.plugins?.() ?? NO_PLUGINS;
    node = await this.#syncNodeIds(node, plugins);
    await this.#syncStatus(node, facts, plugins);
    await this.#syncCsiNode(plugins);
    this.#nextCheckAt = this.#d.monotonic() + this.#d.timing.statusUpdateMs;
  }

  #desiredLabels(facts: NodeFacts): Record<string, string> {
    const { allowed, forbidden } = partitionNodeLabels(nodeLabels(this.#d.nodeName, facts, this.#d.labels()));
    if (forbidden.length > 0) {
      this.#warnOnce(`labels:${forbidden.join(',')}`, 'node labels left out of the API server: a node may only set kubelet labels in the kubernetes.io and k8s.io namespaces (NodeRestriction)', { labels: forbidden });
    }
    return allowed;
  }

  /** The Node as the API server has it; undefined when it was deleted (it is registered again). */
  async #read(): Promise<Node | undefined> {
    let node: Node;
    try {
      node = await this.#d.client().getNode(this.#d.nodeName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#d.warn('the Node object was deleted from the API server; registering it again', { uid: this.#owner?.uid });
      this.#forget();
      return undefined;
    }
    const uid = node.metadata?.uid;
    if (uid && uid !== this.#owner?.uid) {
      this.#d.info('the Node object was replaced in the API server; following the new one', { uid, previous: this.#owner?.uid });
      this.#owner = { name: this.#d.nodeName, uid };
    }
    return node;
  }

  async #register(facts: NodeFacts): Promise<Node> {
    const now = this.#d.now();
    const labels = this.#desiredLabels(facts);
    const client = this.#d.client();
    let node: Node;
    const initial = nodeStatus(facts, this.#d.health(), now);
    let created = false;
    try {
      node = await client.createNode(nodeObject({ name: this.#d.nodeName, labels, taints: this.#d.taints() }, initial));
      created = true;
      this.#lastReportAt = this.#d.monotonic();
      this.#d.info('node registered with the API server', { uid: node.metadata?.uid });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // kubelet: the Node exists (a restart, or registered before): adopt it, reconcile labels.
      node = await client.getNode(this.#d.nodeName);
      this.#d.info('node already registered with the API server', { uid: node.metadata?.uid });
    }
    for (const e of registrationEvents(this.#d.nodeName, initial, created)) this.#d.event?.(e);
    const uid = node.metadata?.uid;
    if (!uid) throw new Error('the API server returned a Node without metadata.uid');
    this.#owner = { name: this.#d.nodeName, uid };
    return node;
  }

  async #reconcileMetadata(node: Node, facts: NodeFacts): Promise<Node> {
    const desired = this.#desiredLabels(facts);
    const patch = nodeLabelPatch(node.metadata?.labels ?? {}, desired, this.#appliedLabels);
    let out = node;
    if (patch) out = await this.#ifExists(() => this.#d.client().patchNode(this.#d.nodeName, { metadata: { labels: patch } }));
    this.#appliedLabels = desired;
    const wanted = taintsKey(this.#d.taints());
    const registered = taintsKey(node.spec?.taints);
    if (wanted !== registered) {
      this.#warnOnce(`taints:${wanted}:${registered}`, 'node taints differ from the registered Node: a node may not change its own taints (NodeRestriction); they apply when the Node is registered again', {
        wanted: JSON.parse(wanted) as unknown,
        registered: JSON.parse(registered) as unknown,
      });
    }
    return out;
  }

  /**
   * nodeinfomanager's csi.volume.kubernetes.io/nodeid annotation: the registered drivers'
   * node IDs merged into what the Node holds; drivers nodelet reported and that went away are
   * removed, other entries kept. A JSON merge patch of that one annotation, only on a change.
   */
  async #syncNodeIds(node: Node, plugins: NodePluginState): Promise<Node> {
    const current = node.metadata?.annotations?.[NODE_ID_ANNOTATION];
    const names = new Set(plugins.csiDrivers.map((d) => d.name));
    const gone = [...this.#reportedDrivers].filter((n) => !names.has(n));
    const wanted = nodeIdAnnotation(current, plugins.csiDrivers, gone);
    if (wanted === current) {
      this.#reportedDrivers = names;
      return node;
    }
    const out = await this.#ifExists(() => this.#d.client().patchNode(this.#d.nodeName, { metadata: { annotations: { [NODE_ID_ANNOTATION]: wanted ?? null } } }));
    this.#reportedDrivers = names;
    this.#d.info('CSI node IDs annotated on the Node', { annotation: NODE_ID_ANNOTATION, value: wanted ?? null });
    return out;
  }

  /**
   * The CSINode named after the node (nodeinfomanager: created at start, even without
   * drivers, owned by the Node; spec.drivers follows the registered drivers). An API server
   * that refuses CSINodes (no storage.k8s.io, or no permission) is warned about once; the Node
   * status goes on.
   */
  async #syncCsiNode(plugins: NodePluginState): Promise<void> {
    const wanted = csiNodeObject(this.#d.nodeName, plugins.csiDrivers, this.#owner?.uid);
    const key = JSON.stringify(wanted.spec);
    if (key === this.#csiNodeSynced) return;
    const client = this.#d.client();
    try {
      let existing: CsiNode | undefined;
      try {
        existing = await client.getCSINode(this.#d.nodeName);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (!existing) await client.createCSINode(wanted);
      else if (JSON.stringify(existing.spec ?? {}) !== key) await client.updateCSINode({ ...existing, spec: wanted.spec });
      this.#csiNodeSynced = key;
      this.#d.info('CSINode updated', { drivers: wanted.spec.drivers.map((d) => d.name) });
    } catch (err) {
      if (isConflict(err)) return; // read again at the next tick
      this.#warnOnce(`csinode:${errorMessage(err)}`, 'the API server refused the CSINode; CSI drivers are not published to it', { err: errorMessage(err) });
    }
  }

  async #syncStatus(node: Node, facts: NodeFacts, plugins: NodePluginState): Promise<void> {
    const now = this.#d.now();
    const images = await this.#d.images?.().catch(() => undefined);
    const status = withPlugins({ status: nodeStatus(facts, this.#d.health(), now, node.status, images) }, plugins).status ?? {};
    const due = this.#d.monotonic() - this.#lastReportAt >= this.#d.timing.statusReportMs;
    if (!due && !nodeStatusChanged(node.status, status)) return;
    await this.#ifExists(() => this.#d.client().patchNodeStatus(this.#d.nodeName, nodeStatusPatch(status)));
    this.#lastReportAt = this.#d.monotonic();
    // After the write, as the kubelet's setters record them while building the status it sends.
    for (const e of statusSyncEvents(this.#d.nodeName, node.status, status)) this.#d.event?.(e);
  }

  /** A 404 means the Node was deleted meanwhile: register again on the next run. */
  async #ifExists<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (isNotFound(err)) this.#forget();
      throw err;
    }
  }

  #forget(): void {
    this.#owner = undefined;
    this.#reportedDrivers = new Set();
    this.#csiNodeSynced = undefined;
    this.#appliedLabels = {};
    this.#lastReportAt = Number.NEGATIVE_INFINITY;
  }

  #warnOnce(key: string, message: string, details: Record<string, unknown>): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#d.warn(message, details);
  }
}
