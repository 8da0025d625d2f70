// The StatusInput the status tests feed generatePodStatus: one node's addresses, no probe
// results or waiting reasons unless a test gives them, ten minutes after T0.
import type { ObservedContainer } from '../../agent/core/runtime-types.js';
import type { DesiredPod } from '../../agent/core/types.js';
import type { StatusInput } from '../../agent/status/generate.js';
import { T0, observedPod } from './builders.js';

export const S = 1000;
export const NOW = T0 + 600 * S;

export function statusInput(pod: DesiredPod, containers: ObservedContainer[], sandboxes: ObservedContainer[], extra: Partial<StatusInput> = {}): StatusInput {
  return {
    desired: pod,
    observed: observedPod(pod, { sandboxes, containers }),
    now: NOW,
    waiting: new Map(),
    probes: new Map(),
    hostIPs: ['10.0.0.1'],
    podIPs: ['172.17.0.2'],
    ...extra,
  };
}
