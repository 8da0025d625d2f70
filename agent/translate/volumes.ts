// Pod volumes and container mounts (k/k pkg/kubelet/kubelet_pods.go makeMounts /
// translateMountPropagation, kuberuntime_container.go makeMounts for the termination log,
// pkg/volume/emptydir calculateEmptyDirMemorySize, pkg/volume/downwardapi CollectData).
// Pure: planVolumes says what the host must hold before containers start (the HostFs
// adapter does it), toMounts says what each container binds. A subPath mount binds a target
// under the pod directory that the executor mounts from the safely opened subPath at each
// start (translate/subpath.ts), never the joined volume path.
import type { Container, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { DesiredPod } from '../core/types.js';
import type { MountSpec } from '../core/runtime-types.js';
import { expandWith } from './expand.js';
import { metadataFieldValue, volumeResourceValue, type EnvVar, type NodeAllocatable } from './env.js';
import { podMemoryLimitBytes, toExact, wholeValue } from './resources.js';
import { DEFAULT_TERMINATION_MESSAGE_PATH, DEFAULT_VOLUME_MODE } from '../manifest/defaults.js';
import { isSafePodUid } from '../manifest/identity.js';
import { isKnownEmptyDirMedium } from '../manifest/validate-volumes.js';
import { cleanPath } from '../core/paths.js';
import { subPathBindTarget } from './subpath.js';
import type { TranslateContext } from './context.js';

/** kubelet creates the termination-message file 0666 so any container user can write it. */
export const TERMINATION_LOG_MODE = 0o666;

export function podDir(stateDir: string, podUid: string): string {
  // Validation refuses such UIDs (podUidIssues); this keeps a path outside the pods directory
  // from ever being created or removed should one come from anywhere else.
  if (!isSafePodUid(podUid)) throw new Error(`refusing the pod UID ${JSON.stringify(podUid)}: it is not one plain path component`);
  return `${stateDir}/pods/${podUid}`;
}

/**
 * The directory holding `pods/<uid>` for this pod: the kubelet root dir, except for a pod an
 * older nodelet started under the state dir (its running containers bind that path).
 */
export function podsBase(ctx: Pick<TranslateContext, 'stateDir' | 'rootDir' | 'legacyPodUids'>, podUid: string): string {
  return ctx.rootDir === undefined || ctx.legacyPodUids?.has(podUid) === true ? ctx.stateDir : ctx.rootDir;
}

/** Host directory of a disk-backed emptyDir (kubelet's layout under its root dir). */
export function emptyDirPath(stateDir: string, podUid: string, volume: string): string {
  return `${podDir(stateDir, podUid)}/volumes/kubernetes.io~empty-dir/${volume}`;
}

/** Host directory holding a downwardAPI volume's files. */
export function downwardApiPath(stateDir: string, podUid: string, volume: string): string {
  return `${podDir(stateDir, podUid)}/volumes/kubernetes.io~downward-api/${volume}`;
}

/** Docker named volume (local driver, tmpfs) backing an emptyDir with medium Memory. */
export function memoryVolumeName(podUid: string, volume: string): string {
  return `nodelet_${podUid}_${volume}`;
}

/** Per-instance termination-message file, bound at the container's terminationMessagePath. */
export function terminationLogPath(stateDir: string, podUid: string, container: string, restartCount: number): string {
  return `${podDir(stateDir, podUid)}/containers/${container}/${restartCount}-termination-log`;
}

export interface VolumePlan {
  /** Checked (and created for *OrCreate) with kubelet's hostPath type rules; type '' = no check. */
  hostPaths: { volume: string; path: string; type: string }[];
  /** Disk-backed emptyDirs: directories, mode 0777. */
  emptyDirs: { volume: string; path: string }[];
  /** emptyDir medium Memory: Docker tmpfs volumes; size = min(node allocatable, pod memory limit, sizeLimit). */
  memoryVolumes: { volume: string; name: string; sizeBytes?: number }[];
  /** Directories to create before `files` (downwardAPI roots and nested item directories), parents first. */
  dirs: { volume: string; path: string; mode: number }[];
  /** downwardAPI files with their content; written atomically. */
  files: { volume: string; path: string; content: string; mode: number }[];
  /** Volumes whose data could not be computed (kubelet: MountVolume.SetUp failed). */
  errors: { volume: string; message: string }[];
}

export { cleanPath };

function joinPath(base: string, rel: string): string {
  return cleanPath(`${base}/${rel}`);
}

/** kubelet's calculateEmptyDirMemorySize: allocatable, lowered by the pod limit, lowered by sizeLimit. */
function memoryVolumeSize(pod: DesiredPod, volume: Volume, nodeAllocatable: NodeAllocatable | undefined): number | undefined {
  let size = nodeAllocatable?.memoryBytes ?? Number.POSITIVE_INFINITY;
  const podLimit = podMemoryLimitBytes(pod.pod.spec);
  if (podLimit !== undefined && podLimit > 0 && podLimit <= size) size = podLimit;
  const sizeLimit = wholeValue(toExact(volume.emptyDir?.sizeLimit));
  if (sizeLimit > 0 && sizeLimit <= size) size = sizeLimit;
  return Number.isFinite(size) && size > 0 ? size : undefined;
}

function isMemoryEmptyDir(v: Volume): boolean {
  return v.emptyDir?.medium === 'Memory';
}

/** What the host must hold before any container of the pod starts. */
export function planVolumes(pod: DesiredPod, stateDir: string, nodeAllocatable?: NodeAllocatable): VolumePlan {
  const plan: VolumePlan = { hostPaths: [], emptyDirs: [], memoryVolumes: [], dirs: [], files: [], errors: [] };
  const volumes = pod.pod.spec?.volumes ?? [];
  for (const v of volumes) {
    if (v.hostPath) {
      plan.hostPaths.push({ volume: v.name, path: v.hostPath.path, type: v.hostPath.type ?? '' });
    } else if (v.emptyDir && isMemoryEmptyDir(v)) {
      const sizeBytes = memoryVolumeSize(pod, v, nodeAllocatable);
      plan.memoryVolumes.push({ volume: v.name, name: memoryVolumeName(pod.uid, v.name), ...(sizeBytes !== undefined ? { sizeBytes } : {}) });
    } else if (v.emptyDir && !isKnownEmptyDirMedium(v.emptyDir.medium)) {
      // The kubelet's emptyDir SetUpAt: the pod is admitted, its volume never set up.
      plan.errors.push({ volume: v.name, message: `unknown storage medium ${JSON.stringify(v.emptyDir.medium)}` });
    } else if (v.emptyDir) {
      plan.emptyDirs.push({ volume: v.name, path: emptyDirPath(stateDir, pod.uid, v.name) });
    } else if (v.downwardAPI) {
      planDownwardApi(pod, v, stateDir, nodeAllocatable, plan);
    }
  }
  return plan;
}

function planDownwardApi(pod: DesiredPod, v: Volume, stateDir: string, nodeAllocatable: NodeAllocatable | undefined, plan: VolumePlan): void {
  const root = downwardApiPath(stateDir, pod.uid, v.name);
  const dirs = new Set<string>([root]);
  const files: VolumePlan['files'] = [];
  const allocatable = nodeAllocatable ?? { cpuMilli: 0, memoryBytes: 0 };
  // Mode of downwardAPI files without `mode`/`defaultMode`, as the API server defaults it.
  const defaultMode = v.downwardAPI?.defaultMode ?? DEFAULT_VOLUME_MODE;
  for (const item of v.downwardAPI?.items ?? []) {
    const path = joinPath(root, item.path);
    let outcome: { ok: true; value: string } | { ok: false; message: string } | undefined;
    if (item.fieldRef) outcome = metadataFieldValue(item.fieldRef.fieldPath, pod.pod);
    else if (item.resourceFieldRef) outcome = volumeResourceValue(item.resourceFieldRef, pod.pod, allocatable);
    if (outcome && !outcome.ok) {
      plan.errors.push({ volume: v.name, message: outcome.message });
      continue;
    }
    for (let dir = parentOf(path); dir.length > root.length; dir = parentOf(dir)) dirs.add(dir);
    files.push({ volume: v.name, path, content: outcome?.value ?? '', mode: item.mode ?? defaultMode });
  }
  for (const path of [...dirs].sort((a, b) => a.length - b.length)) plan.dirs.push({ volume: v.name, path, mode: 0o755 });
  plan.files.push(...files);
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** volumevalidation.ValidatePathNoBacksteps. */
function hasBacksteps(p: string): boolean {
  return p.split('/').includes('..');
}

export type MountsResult = { readonly ok: true; readonly mounts: readonly MountSpec[] } | { readonly ok: false; readonly message: string };

function translatePropagation(mode: string | undefined): { ok: true; value: MountSpec['propagation'] } | { ok: false; message: string } {
  switch (mode) {
    case undefined:
    case 'None':
      return { ok: true, value: undefined };
    case 'HostToContainer':
      return { ok: true, value: 'rslave' };
    case 'Bidirectional':
      return { ok: true, value: 'rshared' };
  }
  return { ok: false, message: `invalid MountPropagation mode: "${mode}"` };
}

/** ExpandContainerVolumeMounts: unknown or empty variables are an error. */
function expandSubPathExpr(expr: string, env: readonly EnvVar[]): { ok: true; value: string } | { ok: false; message: string } {
  const values = new Map(env.map((e) => [e.name, e.value]));
  const missing = new Set<string>();
  const value = expandWith(expr, (name) => {
    const v = values.get(name);
    if (v === undefined || v === '') missing.add(name);
    return v ?? '';
  });
  if (missing.size > 0) return { ok: false, message: `missing value for ${[...missing].sort().join(', ')}` };
  return { ok: true, value };
}

/**
 * The container's mounts in volumeMounts order, then the termination-message file. Errors
 * carry kubelet's texts (they end as CreateContainerConfigError).
 */
export function toMounts(pod: DesiredPod, container: Container, env: readonly EnvVar[], stateDir: string, restartCount: number): MountsResult {
  const volumes = pod.pod.spec?.volumes ?? [];
  const mounts: MountSpec[] = [];
  for (const [index, m] of (container.volumeMounts ?? []).entries()) {
    const r = toMount(pod, container, m, index, volumes, env, stateDir);
    if (!r.ok) return r;
    mounts.push(r.mount);
  }
  const terminationPath = container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
  if (terminationPath !== '') {
    mounts.push({
      kind: 'bind',
      source: terminationLogPath(stateDir, pod.uid, container.name, restartCount),
      target: absoluteContainerPath(terminationPath),
      readOnly: false,
      createIfMissing: 'file',
    });
  }
  return { ok: true, mounts };
}

/** volumeutil.MakeAbsolutePath on Linux. */
function absoluteContainerPath(p: string): string {
  return p.startsWith('/') ? p : cleanPath(`/${p}`);
}

function toMount(
  pod: DesiredPod,
  container: Container,
  m: VolumeMount,
  mountIndex: number,
  volumes: readonly Volume[],
  env: readonly EnvVar[],
  stateDir: string,
): { ok: true; mount: MountSpec } | { ok: false; message: string } {
  const v = volumes.find((x) => x.name === m.name);
  if (!v) return { ok: false, message: `cannot find volume "${m.name}" to mount into container "${container.name}"` };
  let subPath = m.subPath ?? '';
  if (m.subPathExpr) {
    const expanded = expandSubPathExpr(m.subPathExpr, env);
    if (!expanded.ok) return expanded;
    subPath = expanded.value;
  }
  if (subPath !== '') {
    if (subPath.startsWith('/')) return { ok: false, message: `error SubPath \`${subPath}\` must not be an absolute path` };
    if (hasBacksteps(subPath)) return { ok: false, message: `unable to provision SubPath \`${subPath}\`: must not contain '..'` };
  }
  const propagation = translatePropagation(m.mountPropagation);
  if (!propagation.ok) return propagation;
  const target = absoluteContainerPath(m.mountPath);
  const common = { target, ...(propagation.value ? { propagation: propagation.value } : {}) };
  if (v.emptyDir && isMemoryEmptyDir(v)) {
    // A named volume has no sub-directory mounts before Engine API 1.45.
    if (subPath !== '') return { ok: false, message: `subPath is not supported for emptyDir volume "${v.name}" with medium Memory` };
    return { ok: true, mount: { kind: 'volume', source: memoryVolumeName(pod.uid, v.name), target, readOnly: m.readOnly === true } };
  }
  let root: string;
  let mustMountReadOnly = false;
  if (v.hostPath) {
    root = v.hostPath.path;
    // A relative source would be taken for a named volume by Docker's Binds.
    if (!root.startsWith('/')) return { ok: false, message: `invalid mount config for type "bind": invalid mount path: '${root}' mount path must be absolute` };
  } else if (v.emptyDir) {
    root = emptyDirPath(stateDir, pod.uid, v.name);
  } else if (v.downwardAPI) {
    root = downwardApiPath(stateDir, pod.uid, v.name);
    mustMountReadOnly = true;
  } else {
    return { ok: false, message: `volume "${v.name}" of container "${container.name}": only hostPath, emptyDir and downwardAPI volumes are supported` };
  }
  const readOnly = m.readOnly === true || mustMountReadOnly;
  if (subPath === '') return { ok: true, mount: { kind: 'bind', source: root, ...common, readOnly } };
  // Docker gets the bind target, which the executor mounts from the safely opened subPath at
  // every start; should that step ever be skipped, Docker binds an empty directory, not the volume.
  return {
    ok: true,
    mount: {
      kind: 'bind',
      source: subPathBindTarget(podDir(stateDir, pod.uid), v.name, container.name, mountIndex),
      ...common,
      readOnly,
      subPath: { volumePath: root, subPath: cleanPath(subPath), volumeName: v.name, containerName: container.name, mountIndex },
    },
  };
}
