// The kubelet's root directory (--root-dir, kubelet-node-contract.md 4.6) as nodelet lays it
// out: pods/<uid>/ (volumes, containers), plugins/ (CSI drivers' own sockets and data),
// plugins_registry/ (registration sockets), device-plugins/ (kubelet.sock). Created at start
// with the kubelet's mode (setupDataDirs: 0750). An adapter (file system).
import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isPodUid } from '../lifecycle/housekeeping.js';

/** pkg/kubelet/config/defaults.go names. */
export const KUBELET_DIRS = {
  pods: 'pods',
  plugins: 'plugins',
  pluginsRegistry: 'plugins_registry',
  devicePlugins: 'device-plugins',
} as const;

export interface KubeletDirs {
  readonly root: string;
  readonly pods: string;
  readonly plugins: string;
  readonly pluginsRegistry: string;
  readonly devicePlugins: string;
}

export function kubeletDirs(rootDir: string): KubeletDirs {
  return {
    root: rootDir,
    pods: join(rootDir, KUBELET_DIRS.pods),
    plugins: join(rootDir, KUBELET_DIRS.plugins),
    pluginsRegistry: join(rootDir, KUBELET_DIRS.pluginsRegistry),
    devicePlugins: join(rootDir, KUBELET_DIRS.devicePlugins),
  };
}

/**
 * setupDataDirs: the root and its subdirectories, 0750 when created (existing ones are left as
 * they are). The kubelet then puts the root on a shared mount (host/mounts.ts makeRShared).
 */
export async function createKubeletDirs(dirs: KubeletDirs): Promise<void> {
  for (const dir of [dirs.root, dirs.pods, dirs.plugins, dirs.pluginsRegistry, dirs.devicePlugins]) {
    await mkdir(dir, { recursive: true, mode: 0o750 });
  }
}

/**
 * UIDs of pod directories an older nodelet made under <stateDir>/pods (before rootDir): their
 * running containers bind those paths, so the pods keep them (translate/volumes.ts podsBase).
 * Empty when the two are the same directory.
 */
export async function legacyPodUids(stateDir: string, rootDir: string): Promise<Set<string>> {
  if (resolve(stateDir) === resolve(rootDir)) return new Set();
  const entries = await readdir(join(stateDir, KUBELET_DIRS.pods), { withFileTypes: true }).catch(() => []);
  return new Set(entries.filter((e) => e.isDirectory() && isPodUid(e.name)).map((e) => e.name));
}
