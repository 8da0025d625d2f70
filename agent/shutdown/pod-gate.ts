// Pure bookkeeping of what the node shutdown did to pods, for the agent's views and its sync
// gate: pods the shutdown killed are never started again (the kubelet gives them a terminal
// phase), and pods that arrive while the node shuts down are refused (the NodeShutdown admit
// handler), with the kubelet's status for each.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { NODE_SHUTDOWN_NOT_ADMITTED_MESSAGE, NODE_SHUTDOWN_NOT_ADMITTED_REASON, shutdownPodStatus } from './pod-status.js';

export class ShutdownPods {
  /** UIDs admitted when the shutdown began: they run until their group is killed. */
  #admitted?: ReadonlySet<string>;
  /** Killed by the shutdown: when the kill began (wall ms). */
  readonly #killed = new Map<string, number>();
  /** Their last view, kept once their containers are gone. */
  readonly #final = new Map<string, Pod>();
  readonly #refused = new Set<string>();

  /** The node shuts down: only these UIDs are admitted from now on. */
  begin(admitted: Iterable<string>): void {
    this.#admitted = new Set(admitted);
  }

  /** The shutdown was cancelled: returns the pods refused meanwhile, to be admitted again. */
  cancel(): string[] {
    this.#admitted = undefined;
    const refused = [...this.#refused];
    this.#refused.clear();
    return refused;
  }

  killed(uid: string, at: number): void {
    this.#killed.set(uid, at);
  }

  isKilled(uid: string): boolean {
    return this.#killed.has(uid);
  }

  /**
   * True when `uid` must not run: killed by the shutdown, or new since it began. `onRefused`
   * runs the first time a new pod is refused (its event and log line).
   */
  blocks(uid: string, onRefused: () => void): boolean {
    if (this.#killed.has(uid)) return true;
    if (this.#admitted === undefined || this.#admitted.has(uid)) return false;
    if (!this.#refused.has(uid)) {
      this.#refused.add(uid);
      onRefused();
    }
    return true;
  }

  /** The killed pod's containers are gone: `last` is its view then; it keeps the shutdown status. */
  terminated(uid: string, last: Pod): void {
    const at = this.#killed.get(uid);
    if (at !== undefined) this.#final.set(uid, shutdownPodStatus(last, at));
  }

  /** The view of a pod the shutdown killed or refused, if it was. */
  view(uid: string, pod: Pod): Pod | undefined {
    const final = this.#final.get(uid);
    if (final) return final;
    if (!this.#refused.has(uid)) return undefined;
    return { ...pod, status: { phase: 'Failed', reason: NODE_SHUTDOWN_NOT_ADMITTED_REASON, message: `Pod was rejected: ${NODE_SHUTDOWN_NOT_ADMITTED_MESSAGE}` } };
  }

  /** The pod left the manifests. */
  forget(uid: string): void {
    this.#killed.delete(uid);
    this.#final.delete(uid);
    this.#refused.delete(uid);
  }
}
