// Builds the eviction manager from the config: thresholds parsed as the kubelet parses its
// flags (a bad one stops the start with a ConfigError naming the kubelet's error), the
// measurements adapter, and the agent's callbacks.
import type Docker from 'dockerode';
import type { EvictionConfig } from '../config/eviction-config.js';
import type { Clock } from '../core/clock.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import type { ObservedContainer } from '../core/runtime-types.js';
import type { EventStore } from '../events/event-store.js';
import type { Logger } from '../log/logger.js';
import { EvictionManager, type EvictionHost, type ImageReclaimer } from './manager.js';
import { NodeEvictionStats } from './stats.js';
import { parseThresholdConfig, type Threshold } from './thresholds.js';

/** ParseThresholdConfig over the config's maps; ConfigError on the first problem. */
export function evictionThresholds(c: EvictionConfig): Threshold[] {
  try {
    return parseThresholdConfig(c);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  eviction thresholds: ${errorMessage(err)}`);
  }
}

export interface EvictionDeps {
  readonly config: EvictionConfig;
  readonly nodeName: string;
  readonly rootDir: string;
  readonly docker: Docker;
  readonly host: EvictionHost;
  readonly images?: ImageReclaimer;
  readonly containersOf: (uid: string) => readonly ObservedContainer[];
  readonly emptyDirPath: (uid: string, volume: string) => string;
  readonly clock: Clock;
  readonly events: EventStore;
  readonly logger: Logger;
}

export function createEvictionManager(d: EvictionDeps): EvictionManager {
  return new EvictionManager({
    thresholds: evictionThresholds(d.config),
    pressureTransitionPeriodMs: d.config.evictionPressureTransitionPeriodMs,
    maxPodGracePeriodSeconds: d.config.evictionMaxPodGracePeriodSeconds,
    monitoringPeriodMs: d.config.evictionMonitoringPeriodMs,
    localStorageCapacityIsolation: d.config.localStorageCapacityIsolation,
    nodeName: d.nodeName,
    stats: new NodeEvictionStats({ docker: d.docker, rootDir: d.rootDir, containersOf: d.containersOf, emptyDirPath: d.emptyDirPath, now: () => d.clock.now() }),
    host: d.host,
    ...(d.images ? { images: d.images } : {}),
    clock: d.clock,
    events: d.events,
    logger: d.logger,
  });
}
