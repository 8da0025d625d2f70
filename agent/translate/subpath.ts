// subPath mounts, the pure half of kubelet's defence against CVE-2017-1002101 (k/k
// pkg/volume/util/subpath/subpath_linux.go, pkg/kubelet/kubelet_pods.go makeMounts). A
// container that can write to a volume can turn any directory in it into a symlink; Docker
// follows symlinks in a bind source, so binding `<volume>/<subPath>` would hand the container
// whatever the link names (the host's `/`). kubelet therefore never gives the runtime that
// path: at every container start it resolves the subPath, refuses a result outside the volume,
// opens each component without following symlinks and bind-mounts the opened descriptor onto
// a target under the pod directory; the runtime binds that target. The I/O is in
// host/subpath.ts; this module holds the paths, checks and messages.
import { goQuote } from '../manifest/field-issue.js';

/** kubelet's containerSubPathDirectoryName. */
export const SUBPATH_DIR = 'volume-subpaths';

/**
 * getSubpathBindTarget: `<podDir>/volume-subpaths/<volume>/<container>/<mountIndex>`. Volume
 * and container names are DNS labels, so they are safe as path components.
 */
export function subPathBindTarget(podDir: string, volumeName: string, containerName: string, mountIndex: number): string {
  return `${podDir}/${SUBPATH_DIR}/${volumeName}/${containerName}/${mountIndex}`;
}

/**
 * The texts the container status shows. kubelet keeps the detail (which host path, which
 * symlink) out of them on purpose, since it could tell the pod's author about the host
 * filesystem; the detail goes to the agent's log only.
 */
export function prepareSubPathFailed(mountName: string, containerName: string): string {
  return `failed to prepare subPath for volumeMount ${goQuote(mountName)} of container ${goQuote(containerName)}`;
}

export function createSubPathDirFailed(mountName: string, containerName: string): string {
  return `failed to create subPath directory for volumeMount ${goQuote(mountName)} of container ${goQuote(containerName)}`;
}

/**
 * The container's waiting message for a failed step of the subPath preparation. A failure to
 * read the volume root's mode is returned as is by kubelet (hu.GetMode's error).
 */
export function subPathFailureMessage(step: 'mode' | 'create' | 'prepare', detail: string, mountName: string, containerName: string): string {
  if (step === 'mode') return detail;
  return step === 'create' ? createSubPathDirFailed(mountName, containerName) : prepareSubPathFailed(mountName, containerName);
}
