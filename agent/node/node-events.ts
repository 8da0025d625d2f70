// The Node events the kubelet records (pkg/kubelet/events, nodestatus setters,
// kubelet_node_status.go). Pure: which events a status computation gives, compared with the
// Node the API server holds.
import type { NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import type { InvolvedObject } from '../events/event-store.js';

export interface NodeEventSpec {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** kubelet.BirthCry. */
export const STARTING_EVENT: NodeEventSpec = { type: 'Normal', reason: 'Starting', message: 'Starting kubelet.' };
/** The container manager once Node Allocatable is in force at start. */
export const ALLOCATABLE_ENFORCED_EVENT: NodeEventSpec = { type: 'Normal', reason: 'NodeAllocatableEnforced', message: 'Updated Node Allocatable limit across pods' };

/** kl.nodeRef: the node's name is also its uid; events live in `default`. */
export function nodeRef(nodeName: string): InvolvedObject {
  return { kind: 'Node', namespace: '', name: nodeName, uid: nodeName };
}

/** The event reason for a condition's status (setters' recordEventFunc arguments). */
const REASONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  MemoryPressure: { True: 'NodeHasInsufficientMemory', False: 'NodeHasSufficientMemory' },
  DiskPressure: { True: 'NodeHasDiskPressure', False: 'NodeHasNoDiskPressure' },
  PIDPressure: { True: 'NodeHasInsufficientPID', False: 'NodeHasSufficientPID' },
  Ready: { True: 'NodeReady', False: 'NodeNotReady' },
};

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

function statusOf(conditions: readonly NodeCondition[] | undefined, type: string): string | undefined {
  return conditions?.find((c) => c.type === type)?.status;
}

function statusEvent(nodeName: string, type: string, status: string): NodeEventSpec | undefined {
  const reason = REASONS[type]?.[status];
  return reason ? { type: 'Normal', reason, message: `Node ${nodeName} status is now: ${reason}` } : undefined;
}

/**
 * initialNode at registration: the setters start from a Node without conditions, so every
 * start records the pressure conditions' events; Ready only for a Node that did not exist (an
 * existing Node's Ready is compared by the status sync that follows, against the API's).
 */
export function registrationEvents(nodeName: string, status: NodeStatus, created: boolean): NodeEventSpec[] {
  const types = created ? [...PRESSURE, 'Ready'] : [...PRESSURE];
  return types.flatMap((t) => {
    const s = statusOf(status.conditions, t);
    const e = s === undefined ? undefined : statusEvent(nodeName, t, s);
    return e ? [e] : [];
  });
}

/**
 * A status sync against the Node the API server holds: a condition whose status changed
 * (Unknown, set by the node lifecycle controller during an outage, counts), and a boot ID
 * that differs from the one reported (MachineInfo's `Rebooted`).
 */
export function statusSyncEvents(nodeName: string, current: NodeStatus | undefined, next: NodeStatus): NodeEventSpec[] {
  const out: NodeEventSpec[] = [];
  const oldBoot = current?.nodeInfo?.bootID;
  const newBoot = next.nodeInfo?.bootID;
  if (oldBoot && newBoot && oldBoot !== newBoot) out.push({ type: 'Warning', reason: 'Rebooted', message: `Node ${nodeName} has been rebooted, boot id: ${newBoot}` });
  for (const t of [...PRESSURE, 'Ready']) {
    const before = statusOf(current?.conditions, t);
    const after = statusOf(next.conditions, t);
    if (after === undefined || before === after || before === undefined) continue;
    const e = statusEvent(nodeName, t, after);
    if (e) out.push(e);
  }
  return out;
}
