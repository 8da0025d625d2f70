// Seed-example DaemonSets and small builders shared by the daemonset unit tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { KUBERNETES_YAML_SCHEMA } from '../../../agent/manifest/decode.js';
import { defaultDaemonSet } from '../../../agent/manifest/defaults.js';
import type { NodeIdentity } from '../../../agent/node/node-model.js';

const seedDir = fileURLToPath(new URL('../../fixtures/seed-examples/', import.meta.url));

export function seedText(name: string): string {
  return readFileSync(`${seedDir}${name}`, 'utf8');
}

export function seedObjects(name: string): unknown[] {
  return yaml.loadAll(seedText(name), undefined, { schema: KUBERNETES_YAML_SCHEMA }).filter((d) => d !== null && d !== undefined);
}

/** The seed's first document, defaulted as the manifest pipeline hands it over. */
export function seedDaemonSet(name: string): DaemonSet {
  return defaultDaemonSet(seedObjects(name)[0] as DaemonSet);
}

export function seedPod(name: string): Pod {
  return seedObjects(name)[0] as Pod;
}

export const FLUENTD_V1 = '002-fluentd-elasticsearch-rollingupdate-daemonset.yaml';
export const FLUENTD_V2 = '002-fluentd-elasticsearch-rollingupdate-daemonset-update.yaml';
export const SSD_DRIVER = '002-ssd-driver-nodeselector-daemonset.yaml';
export const HWAMEISTOR = '003-hwameistor-local-disk-manager-daemonset-manifest.yaml';
export const HWAMEISTOR_EXPORTED = '003-hwameistor-local-disk-manager-daemonset-as-exported.yaml';

export function node(partial: Partial<NodeIdentity> = {}): NodeIdentity {
  return {
    name: 'node1',
    labels: { 'kubernetes.io/hostname': 'node1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...(partial.labels ?? {}) },
    taints: partial.taints ?? [],
    os: 'linux',
    ...(partial.name ? { name: partial.name } : {}),
  };
}

/** A defaulted DaemonSet around `spec` (template labels app=x). */
export function daemonSet(spec: Partial<PodSpec> = {}, extra: { strategy?: NonNullable<DaemonSet['spec']>['updateStrategy']; minReadySeconds?: number; annotations?: Record<string, string>; name?: string; revisionHistoryLimit?: number } = {}): DaemonSet {
  return defaultDaemonSet({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: extra.name ?? 'agent', namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.37' }], ...spec } },
      ...(extra.strategy ? { updateStrategy: extra.strategy } : {}),
      ...(extra.minReadySeconds !== undefined ? { minReadySeconds: extra.minReadySeconds } : {}),
      ...(extra.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: extra.revisionHistoryLimit } : {}),
    },
  });
}
