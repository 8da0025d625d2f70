// The node's conditions as state, written by the node status tick and read by the views. Each
// condition keeps its last status and the time it last flipped, so `nodelet get node` shows the
// moment Docker went away, not the moment someone asked (the view used to build the conditions
// on every request, with the request's time as lastTransitionTime). The API server reporter
// keeps kubelet's own rule: its previous conditions are the ones the API server stores.
import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../core/clock.js';
import { nodeConditions, type NodeHealth } from './node-status.js';

/** How often the node's health is sampled (the systemd STATUS line's cadence). */
export const NODE_CONDITIONS_UPDATE_MS = 2000;

export class NodeConditionTracker {
  readonly #health: () => NodeHealth;
  readonly #clock: Pick<Clock, 'now' | 'setInterval'>;
  #conditions: readonly NodeCondition[] = [];
  #timer?: { cancel(): void };

  constructor(health: () => NodeHealth, clock: Pick<Clock, 'now' | 'setInterval'>) {
    this.#health = health;
    this.#clock = clock;
  }

  /** Samples the health now and every `periodMs` after. */
  start(periodMs = NODE_CONDITIONS_UPDATE_MS): void {
    this.update();
    this.#timer ??= this.#clock.setInterval(() => this.update(), periodMs);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** The write: a condition whose status did not change keeps its transition time. */
  update(): readonly NodeCondition[] {
    this.#conditions = nodeConditions(this.#health(), this.#clock.now(), this.#conditions);
    return this.#conditions;
  }

  /** The read: the stored conditions, as the last update left them. */
  conditions(): readonly NodeCondition[] {
    return this.#conditions;
  }
}
