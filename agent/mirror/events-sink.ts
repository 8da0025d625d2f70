// Sends nodelet's events to the API server as core/v1 Events, the way client-go's recorder
// sends kubelet's: the first occurrence is POSTed as `<object>.<hex unix nanos>`, later
// occurrences of the same event (the event store already aggregates: same object, type,
// reason, message → count++) PATCH count and lastTimestamp onto it; a PATCH that finds the
// Event gone (TTL) creates it again under the same name. While the API server is away only
// the newest state of each event waits, in a bounded queue, as the recorder drops rather
// than blocks.
import type { Event } from 'kubernetes-types/core/v1.js';
import type { NodeletEvent } from '../events/event-store.js';
import type { KubeClient } from './kube-client.js';
import { isAlreadyExists, isNotFound, isServerUnavailable } from './kube-client.js';
import { errorMessage } from '../core/errors.js';
import { apiTime } from '../core/time-format.js';

/**
 * The kubelet's event source: cmd/kubelet makes its recorder with {Component: "kubelet",
 * Host: <node>}, and client-go's recorder copies both into reportingController and
 * reportingInstance. Filters on `source=kubelet` and describe's "From kubelet" see nodelet's
 * events like a kubelet's; nodelet names itself in nodeInfo.kubeletVersion and its User-Agent.
 */
export const EVENT_SOURCE_COMPONENT = 'kubelet';

/** The identity the event store aggregates on. */
export function eventKey(e: NodeletEvent): string {
  const o = e.involvedObject;
  return [o.kind, o.namespace, o.name, o.uid ?? '', o.fieldPath ?? '', e.type, e.reason, e.message].join('\u0000');
}

/** Only events about objects that exist in a cluster: pods (as mirror pods) and the Node. */
export function isReportable(e: NodeletEvent): boolean {
  return e.involvedObject.kind === 'Pod' || e.involvedObject.kind === 'Node';
}

/** `fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())`; `seq` keeps names of one millisecond apart. */
export function eventName(objectName: string, firstTimestampMs: number, seq: number): string {
  const nanos = BigInt(Math.floor(firstTimestampMs)) * 1_000_000n + BigInt(seq % 1_000_000);
  return `${objectName}.${nanos.toString(16)}`;
}

/**
 * The v1 Event for one nodelet event. Node events live in `default` and name the node as
 * uid, as kubelet's nodeRef does; pod events reference the pod nodelet runs: its uid is the
 * static pod's, which is its config hash and its mirror's kubernetes.io/config.mirror (what
 * `kubectl describe pod` searches events by), not the mirror's own uid. `podUid` maps the
 * runtime uid of a pod adopted from an older nodelet to that hash.
 */
export function toApiEvent(e: NodeletEvent, name: string, nodeName: string, podUid: (uid: string) => string = (u) => u): Event {
  const o = e.involvedObject;
  const isNode = o.kind === 'Node';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: isNode ? 'default' : o.namespace },
    involvedObject: {
      apiVersion: 'v1',
      kind: o.kind,
      name: o.name,
      ...(isNode ? { uid: o.name } : { namespace: o.namespace, ...(o.uid ? { uid: podUid(o.uid) } : {}) }),
      ...(o.fieldPath ? { fieldPath: o.fieldPath } : {}),
    },
    reason: e.reason,
    message: e.message,
    type: e.type,
    count: e.count,
    firstTimestamp: apiTime(e.firstTimestamp),
    lastTimestamp: apiTime(e.lastTimestamp),
    source: { component: EVENT_SOURCE_COMPONENT, host: nodeName },
    reportingComponent: EVENT_SOURCE_COMPONENT,
    reportingInstance: nodeName,
  };
}

export interface EventSinkDeps {
  readonly client: () => KubeClient;
  readonly nodeName: string;
  /** Events waiting while the API server is away; beyond this the oldest are dropped. */
  readonly maxPending: number;
  /** Events sent per run, so heartbeats are never stuck behind a burst. */
  readonly batch: number;
  readonly problem: (message: string, details: Record<string, unknown>) => void;
  /** Called when an event is queued, so the reporter schedules a run. */
  readonly wake: () => void;
  /** Runtime pod uid → the uid the API server knows the pod's events by (its config hash). */
  readonly podUids?: () => ReadonlyMap<string, string>;
}

interface SentEvent {
  readonly name: string;
  readonly namespace: string;
  readonly firstTimestamp: number;
  readonly count: number;
}

const MAX_REMEMBERED = 4096;

export class EventSink {
  readonly #d: EventSinkDeps;
  /** Insertion order = age; the newest state of each event. */
  readonly #pending = new Map<string, NodeletEvent>();
  readonly #sent = new Map<string, SentEvent>();
  #seq = 0;

  constructor(deps: EventSinkDeps) {
    this.#d = deps;
  }

  /** The event store's listener: O(1), never throws. */
  offer(e: NodeletEvent): void {
    if (!isReportable(e)) return;
    const key = eventKey(e);
    this.#pending.delete(key);
    this.#pending.set(key, e);
    while (this.#pending.size > this.#d.maxPending) {
      const oldest = this.#pending.keys().next().value;
      if (oldest === undefined) break;
      this.#pending.delete(oldest);
    }
    this.#d.wake();
  }

  nextDue(): number {
    return this.#pending.size > 0 ? 0 : Number.POSITIVE_INFINITY;
  }

  async run(): Promise<void> {
    let sent = 0;
    const uids = this.#d.podUids?.();
    const podUid = (uid: string): string => uids?.get(uid) ?? uid;
    for (const [key, e] of [...this.#pending]) {
      if (sent >= this.#d.batch) break;
      sent++;
      try {
        await this.#send(key, e, podUid);
        if (this.#pending.get(key) === e) this.#pending.delete(key);
      } catch (err) {
        if (isServerUnavailable(err)) throw err;
        // Rejected (will not retry), like the recorder.
        if (this.#pending.get(key) === e) this.#pending.delete(key);
        this.#d.problem(`event ${e.reason} for ${e.involvedObject.kind.toLowerCase()} ${e.involvedObject.name} rejected: ${errorMessage(err)}`, { reason: e.reason });
      }
    }
  }

  async #send(key: string, e: NodeletEvent, podUid: (uid: string) => string): Promise<void> {
    const prev = this.#sent.get(key);
    const client = this.#d.client();
    if (prev && prev.firstTimestamp === e.firstTimestamp && e.count > prev.count) {
      const patch = { count: e.count, lastTimestamp: apiTime(e.lastTimestamp), message: e.message };
      try {
        await client.patchEvent(prev.namespace, prev.name, patch);
        this.#remember(key, { ...prev, count: e.count });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      await this.#create(key, e, prev.name, podUid);
      return;
    }
    if (prev && prev.firstTimestamp === e.firstTimestamp && e.count === prev.count) return;
    await this.#create(key, e, eventName(e.involvedObject.name, e.firstTimestamp, this.#seq++), podUid);
  }

  async #create(key: string, e: NodeletEvent, name: string, podUid: (uid: string) => string): Promise<void> {
    const event = toApiEvent(e, name, this.#d.nodeName, podUid);
    try {
      await this.#d.client().createEvent(event);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    this.#remember(key, { name, namespace: event.metadata?.namespace ?? 'default', firstTimestamp: e.firstTimestamp, count: e.count });
  }

  #remember(key: string, s: SentEvent): void {
    this.#sent.delete(key);
    this.#sent.set(key, s);
    while (this.#sent.size > MAX_REMEMBERED) {
      const oldest = this.#sent.keys().next().value;
      if (oldest === undefined) break;
      this.#sent.delete(oldest);
    }
  }
}
