// What a SIGHUP (`systemctl reload nodelet`) may change in a running agent. Pure.
// Settings that only shape how pods are described to the outside (node labels and taints) or
// how much is logged apply at once; everything else (manifest dir, Docker endpoint, state dir,
// API socket, …) is read at start and waits for a restart, which never stops pods either.
import type { AgentConfig } from '../config/config.js';
import { canonicalJson } from '../core/hash.js';

/** Settings a reload applies without a restart. */
export const RELOADABLE_SETTINGS = ['logLevel', 'nodeLabels', 'nodeTaints'] as const satisfies readonly (keyof AgentConfig)[];
export type ReloadableSetting = (typeof RELOADABLE_SETTINGS)[number];

export interface ConfigReload {
  /** Every setting whose value differs, in AgentConfig order. */
  readonly changed: readonly (keyof AgentConfig)[];
  /** The changed settings that took effect. */
  readonly applied: readonly ReloadableSetting[];
  /** The changed settings that keep their running value until the next restart. */
  readonly needsRestart: readonly (keyof AgentConfig)[];
}

function isReloadable(key: keyof AgentConfig): key is ReloadableSetting {
  return (RELOADABLE_SETTINGS as readonly string[]).includes(key);
}

export function diffConfig(running: AgentConfig, next: AgentConfig): ConfigReload {
  const keys = [...new Set([...Object.keys(running), ...Object.keys(next)])] as (keyof AgentConfig)[];
  // configFile names where the values came from; it is not a setting.
  const changed = keys.filter((k) => k !== 'configFile' && canonicalJson(running[k] ?? null) !== canonicalJson(next[k] ?? null));
  return {
    changed,
    applied: changed.filter(isReloadable),
    needsRestart: changed.filter((k) => !isReloadable(k)),
  };
}

/** The config the agent runs with after a reload: `next`'s reloadable settings, the rest kept. */
export function applyReload(running: AgentConfig, next: AgentConfig): AgentConfig {
  return Object.freeze({ ...running, logLevel: next.logLevel, nodeLabels: next.nodeLabels, nodeTaints: next.nodeTaints });
}
