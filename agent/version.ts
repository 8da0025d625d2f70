// nodelet's version, read once from package.json (two levels up from dist/agent or agent/).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function readVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string };
      if (pkg.name === 'nodelet' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

export const NODELET_VERSION = readVersion();

/** The kubelet release whose behaviour nodelet follows (node status, events, API calls). */
export const KUBELET_COMPAT_VERSION = '1.37.0';

/**
 * nodeInfo.kubeletVersion: a semantic version the cluster's tools parse (version.ParseSemantic)
 * and compare as the kubelet release nodelet follows, with nodelet named in the build metadata,
 * as k3s (`v1.33.1+k3s1`) and RKE2 do. Build metadata, unlike a pre-release suffix
 * (`v1.37.0-nodelet...`), does not make it sort below v1.37.0 in `AtLeast` checks.
 */
export function kubeletVersionString(nodeletVersion: string = NODELET_VERSION): string {
  return `v${KUBELET_COMPAT_VERSION}+nodelet.${nodeletVersion.replace(/[^0-9A-Za-z.-]/g, '-')}`;
}
