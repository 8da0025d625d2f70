// The one writer of pod status, after kubelet's status manager (pkg/kubelet/status/
// status_manager.go): it owns each pod's v1 PodStatus. Two writers feed it, as in kubelet:
// the pod sync hands it what the pass observed (SetPodStatus), and probe results update
// readiness and startup (SetContainerReadiness / SetContainerStartup). Everyone else (the local
// API, the DaemonSet controller, the mirror reporter, the systemd status line) only reads the
// stored status, and reading never changes it: a condition's lastTransitionTime is the moment a
// writer saw it change, not the moment someone looked.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../core/clock.js';
import type { DesiredPod } from '../core/types.js';
import type { ObservedPod } from '../core/runtime-types.js';
import { generatePodStatus, withPodStatus, type StatusInput } from './generate.js';

/** Probe state per container name, as the prober reports it. */
export type ProbeStates = StatusInput['probes'];

/** What one sync pass observed of a pod: everything generatePodStatus needs but the time. */
export interface PodObservation {
  readonly desired: DesiredPod;
  readonly observed?: ObservedPod;
  readonly waiting: StatusInput['waiting'];
  readonly probes: ProbeStates;
  readonly hostIPs: readonly string[];
  readonly podIPs: readonly string[];
}

interface Entry {
  /** The last observation the sync wrote; probe results regenerate status from it. */
  observation: PodObservation;
  status: PodStatus;
  /** Bumped on every change of status (kubelet's versionedPodStatus.version). */
  version: number;
}

export class StatusManager {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #entries = new Map<string, Entry>();

  constructor(clock: Pick<Clock, 'now'>) {
    this.#clock = clock;
  }

  /**
   * SetPodStatus: the sync pass's observation of `desired.uid`. The status is generated now, with
   * the stored one as previous, so unchanged conditions keep their transition time and a changed
   * one gets this moment. Returns the stored status.
   */
  setPodStatus(observation: PodObservation): PodStatus {
    return this.#write(observation.desired.uid, observation);
  }

  /**
   * SetContainerReadiness / SetContainerStartup: a probe result changed. The status is generated
   * again from the last observation with the new probe states, at the time of the result. A pod
   * the sync has not written yet has nothing to update (its first pass will carry the states).
   */
  setProbeStates(uid: string, probes: ProbeStates): void {
    const entry = this.#entries.get(uid);
    if (!entry) return;
    this.#write(uid, { ...entry.observation, probes });
  }

  /** The stored status, or undefined before the pod's first sync. Never computes. */
  podStatus(uid: string): PodStatus | undefined {
    return this.#entries.get(uid)?.status;
  }

  /** How often the status of `uid` changed (tests: a read must not count). */
  version(uid: string): number {
    return this.#entries.get(uid)?.version ?? 0;
  }

  /**
   * `desired.pod` with its stored status. A static pod has no API server to stamp
   * metadata.creationTimestamp; the time kubelet first saw it (kubernetes.io/config.seen) stands
   * in. Before the first sync the pod is Pending, as the API server shows a pod kubelet has not
   * reported on yet.
   */
  podView(desired: DesiredPod): Pod {
    return withPodStatus(desired.pod, this.#entries.get(desired.uid)?.status ?? { phase: 'Pending' });
  }

  /** The pod is gone (kubelet's RemoveOrphanedStatuses / deletePodStatus). */
  removePod(uid: string): void {
    this.#entries.delete(uid);
  }

  #write(uid: string, observation: PodObservation): PodStatus {
    const entry = this.#entries.get(uid);
    const status = generatePodStatus({ ...observation, now: this.#clock.now(), ...(entry ? { previous: entry.status } : {}) });
    if (!entry) {
      this.#entries.set(uid, { observation, status, version: 1 });
      return status;
    }
    entry.observation = observation;
    if (JSON.stringify(status) !== JSON.stringify(entry.status)) {
      entry.status = status;
      entry.version++;
    }
    return entry.status;
  }
}
