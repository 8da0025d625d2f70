// Kubernetes-style events kept in memory, bounded, aggregated like kubelet's recorder: the
// same (object, type, reason, message) bumps `count` and `lastTimestamp` instead of adding a
// line. Pure data structure; the clock is injected.
import type { Clock } from '../core/clock.js';

export interface InvolvedObject {
  readonly kind: 'Pod' | 'DaemonSet' | 'Node' | 'Manifest';
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  /** e.g. `spec.containers{web}` as kubelet writes it. */
  readonly fieldPath?: string;
}

/** A pod, or one of its containers (`spec.containers{name}` / `spec.initContainers{name}` by role). */
export function involvedPod(pod: { namespace: string; name: string; uid: string }, container?: string, role?: string): InvolvedObject {
  const fieldPath = container === undefined ? undefined : `spec.${role === 'init' || role === 'sidecar' ? 'initContainers' : 'containers'}{${container}}`;
  return { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid, fieldPath };
}

export interface NodeletEvent {
  readonly involvedObject: InvolvedObject;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  /** ms since epoch */
  readonly firstTimestamp: number;
  readonly lastTimestamp: number;
  readonly source: string;
}

export type EventListener = (e: NodeletEvent) => void;

export class EventStore {
  readonly #clock: Clock;
  readonly #limit: number;
  readonly #source: string;
  /** Insertion order = age order; an aggregated event moves to the end. */
  readonly #events = new Map<string, NodeletEvent>();
  readonly #listeners = new Set<EventListener>();

  constructor(opts: { clock: Clock; limit?: number; source: string }) {
    this.#clock = opts.clock;
    this.#limit = opts.limit ?? 2000;
    this.#source = opts.source;
  }

  record(involvedObject: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): NodeletEvent {
    const o = involvedObject;
    const key = [o.kind, o.namespace, o.name, o.uid ?? '', o.fieldPath ?? '', type, reason, message].join('\u0000');
    const now = this.#clock.now();
    const prev = this.#events.get(key);
    const event: NodeletEvent = prev
      ? { ...prev, count: prev.count + 1, lastTimestamp: now }
      : { involvedObject, type, reason, message, count: 1, firstTimestamp: now, lastTimestamp: now, source: this.#source };
    this.#events.delete(key);
    this.#events.set(key, event);
    while (this.#events.size > this.#limit) {
      const oldest = this.#events.keys().next().value;
      if (oldest === undefined) break;
      this.#events.delete(oldest);
    }
    for (const l of this.#listeners) l(event);
    return event;
  }

  list(filter?: (e: NodeletEvent) => boolean): NodeletEvent[] {
    const all = [...this.#events.values()];
    return (filter ? all.filter(filter) : all).sort((a, b) => a.lastTimestamp - b.lastTimestamp);
  }

  forObject(kind: InvolvedObject['kind'], namespace: string, name: string): NodeletEvent[] {
    return this.list((e) => e.involvedObject.kind === kind && e.involvedObject.namespace === namespace && e.involvedObject.name === name);
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
