// `kubectl get pods` (and -o wide), row for row as the API server's table printer builds it
// (k/k pkg/printers/internalversion/printers.go printPod) and kubectl lays it out.
import type { Container, ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { isSidecar } from '../../core/containers.js';
import { parseTimestamp, timestampSince } from './duration.js';
import { printTable } from './table.js';

export interface PrintPodsOptions {
  readonly wide?: boolean;
  readonly now: number;
  readonly showNamespace?: boolean;
  readonly noHeaders?: boolean;
}

const HEADERS = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
const WIDE_HEADERS = ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'];
/** The reason the node lifecycle controller gives pods of a lost node. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

/** The table, one line per pod, each line ending in a newline ('' for no pods). */
export function printPods(pods: readonly Pod[], opts: PrintPodsOptions): string {
  if (pods.length === 0) return '';
  const headers = [...(opts.showNamespace ? ['NAMESPACE'] : []), ...HEADERS, ...(opts.wide ? WIDE_HEADERS : [])];
  const rows = pods.map((pod) => {
    const row = podRow(pod, opts.now);
    const cells = [row.name, row.ready, row.status, row.restarts, row.age, ...(opts.wide ? [row.ip, row.node, row.nominatedNode, row.readinessGates] : [])];
    return opts.showNamespace ? [pod.metadata?.namespace ?? '', ...cells] : cells;
  });
  return printTable(opts.noHeaders ? [] : headers, rows);
}

/** kubectl's STATUS column. */
export function podStatusReason(pod: Pod): string {
  return summarize(pod).reason;
}

export interface PodRow {
  readonly name: string;
  readonly ready: string;
  readonly status: string;
  readonly restarts: string;
  readonly age: string;
  readonly ip: string;
  readonly node: string;
  readonly nominatedNode: string;
  readonly readinessGates: string;
}

/** Every cell of a pod's row, wide columns included. */
export function podRow(pod: Pod, now: number): PodRow {
  const s = summarize(pod);
  const restarts = s.restarts !== 0 && s.lastRestart !== undefined ? `${s.restarts} (${timestampSince(s.lastRestart.text, now)} ago)` : String(s.restarts);
  return {
    name: pod.metadata?.name ?? '',
    ready: `${s.readyContainers}/${s.totalContainers}`,
    status: s.reason,
    restarts,
    age: timestampSince(pod.metadata?.creationTimestamp, now),
    ip: pod.status?.podIPs?.[0]?.ip || '<none>',
    node: pod.spec?.nodeName || '<none>',
    nominatedNode: pod.status?.nominatedNodeName || '<none>',
    readinessGates: readinessGates(pod),
  };
}

interface Instant {
  readonly ms: number;
  readonly text: string;
}

interface Summary {
  readonly reason: string;
  readonly readyContainers: number;
  readonly totalContainers: number;
  readonly restarts: number;
  readonly lastRestart?: Instant;
}

/** printPod's walk over the statuses, step for step (the order of the checks is the output). */
function summarize(pod: Pod): Summary {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  let restarts = 0;
  let sidecarRestarts = 0;
  let totalContainers = spec.containers.length;
  let readyContainers = 0;
  let lastRestart: Instant | undefined;
  let lastSidecarRestart: Instant | undefined;

  let reason = status.reason || status.phase || '';
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  const initContainers = new Map<string, Container>();
  for (const c of spec.initContainers ?? []) {
    initContainers.set(c.name, c);
    if (isSidecar(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (const [i, cs] of initStatuses.entries()) {
    restarts += cs.restartCount;
    lastRestart = later(lastRestart, lastTermination(cs));
    const sidecar = isSidecar(initContainers.get(cs.name));
    if (sidecar) {
      sidecarRestarts += cs.restartCount;
      lastSidecarRestart = later(lastSidecarRestart, lastTermination(cs));
    }
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (terminated) {
      // Initialization failed.
      if (!terminated.reason) reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
      else reason = `Init:${terminated.reason}`;
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || isInitializedConditionTrue(pod)) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      if (!cs) continue;
      restarts += cs.restartCount;
      lastRestart = later(lastRestart, lastTermination(cs));
      const waiting = cs.state?.waiting;
      const terminated = cs.state?.terminated;
      if (waiting && waiting.reason) reason = waiting.reason;
      else if (terminated && terminated.reason) reason = terminated.reason;
      else if (terminated && !terminated.reason) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // Some container still runs: the pod is not "Completed".
    if (reason === 'Completed' && hasRunning) reason = hasPodReadyCondition(pod) ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp && status.reason === NODE_UNREACHABLE_POD_REASON) reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';

  return { reason, readyContainers, totalContainers, restarts, ...(lastRestart ? { lastRestart } : {}) };
}

function lastTermination(cs: ContainerStatus): Instant | undefined {
  const text = cs.lastState?.terminated?.finishedAt;
  const ms = parseTimestamp(text);
  return text !== undefined && ms !== undefined ? { ms, text } : undefined;
}

function later(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  if (!b) return a;
  if (!a) return b;
  return a.ms < b.ms ? b : a;
}

function isInitializedConditionTrue(pod: Pod): boolean {
  const c = (pod.status?.conditions ?? []).find((x) => x.type === 'Initialized');
  return c?.status === 'True';
}

function hasPodReadyCondition(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  const trueCount = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${trueCount}/${gates.length}`;
}
