// Security settings as kubelet derives them (k/k pkg/securitycontext DetermineEffectiveSecurityContext
// and AddNoNewPrivileges, kuberuntime security_context.go determineEffectiveSecurityContext,
// getSeccompProfile, verifyRunAsNonRoot, kuberuntime_sandbox.go generatePodSandboxLinuxConfig)
// and as cri-dockerd hands them to Docker (core/security_context.go modifyContainerConfig /
// modifyHostConfig, core/security_context_linux.go getSandBoxSecurityOpts).
import type { Container, Pod, PodSecurityContext, SeccompProfile, SecurityContext } from 'kubernetes-types/core/v1.js';
import { LOCALHOST_SECCOMP_PREFIX, type SecuritySpec } from '../core/runtime-types.js';
import { isValidUserID } from '../manifest/names.js';

const MAX_INT32 = 2147483647;

/** Where Localhost seccomp profiles live: kubelet's `<root-dir>/seccomp`, here `<stateDir>/seccomp`. */
export function seccompProfileRoot(stateDir: string): string {
  return `${stateDir}/seccomp`;
}

export type SecurityResult = { readonly ok: true; readonly security: SecuritySpec } | { readonly ok: false; readonly message: string };

/**
 * The container's security context with the pod-level one filled in where the container says
 * nothing (only the fields that exist at both levels are merged; capabilities, privileged,
 * readOnlyRootFilesystem, allowPrivilegeEscalation and procMount are container-only).
 */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const podSc: PodSecurityContext = pod.spec?.securityContext ?? {};
  const sc: SecurityContext = { ...(container.securityContext ?? {}) };
  if (sc.seLinuxOptions === undefined && podSc.seLinuxOptions !== undefined) sc.seLinuxOptions = podSc.seLinuxOptions;
  if (sc.runAsUser === undefined && podSc.runAsUser !== undefined) sc.runAsUser = podSc.runAsUser;
  if (sc.runAsGroup === undefined && podSc.runAsGroup !== undefined) sc.runAsGroup = podSc.runAsGroup;
  if (sc.runAsNonRoot === undefined && podSc.runAsNonRoot !== undefined) sc.runAsNonRoot = podSc.runAsNonRoot;
  if (sc.seccompProfile === undefined && podSc.seccompProfile !== undefined) sc.seccompProfile = podSc.seccompProfile;
  if (sc.appArmorProfile === undefined && podSc.appArmorProfile !== undefined) sc.appArmorProfile = podSc.appArmorProfile;
  return sc;
}

/** kubelet's format.Pod: `name_namespace(uid)`. */
function formatPod(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The image's user as the kubelet sees it through cri-dockerd: getUserFromImageUser takes the
 * part of `Config.User` before the first `:`; what Go's strconv.ParseInt(s, 10, 64) accepts
 * (an optional sign, decimal digits, int64 range) is the uid, anything else the user name. The
 * kubelet's getImageUser treats an image that names nobody (empty, or `:gid` only) as uid 0.
 */
export function imageUserIdentity(imageUser: string): { uid?: number; username?: string } {
  const user = imageUser.split(':')[0] ?? '';
  if (user === '') return { uid: 0 };
  if (/^[+-]?[0-9]+$/.test(user)) {
    const big = BigInt(user);
    if (big >= INT64_MIN && big <= INT64_MAX) return { uid: Number(big) };
  }
  return { username: user };
}

/**
 * kubelet verifyRunAsNonRoot (kuberuntime/security_context_others.go): the error text when the
 * container may not start, undefined when it may. `imageUser` is the image's `Config.User`
 * (from image inspect); undefined skips the image part, for callers that only translate.
 */
export function verifyRunAsNonRoot(pod: Pod, container: Container, imageUser: string | undefined): string | undefined {
  const sc = effectiveSecurityContext(pod, container);
  if (!sc.runAsNonRoot) return undefined;
  const where = `(pod: "${formatPod(pod)}", container: ${container.name})`;
  // A runAsUser decides on its own: the image's user is not consulted.
  if (sc.runAsUser !== undefined) return sc.runAsUser === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  if (imageUser === undefined) return undefined;
  const { uid, username } = imageUserIdentity(imageUser);
  if (uid === undefined) return `container has runAsNonRoot and image has non-numeric user (${username ?? ''}), cannot verify user is non-root ${where}`;
  if (uid === 0) return `container has runAsNonRoot and image will run as root ${where}`;
  const invalid = isValidUserID(uid);
  if (invalid.length > 0) {
    return `container has runAsNonRoot and image has an invalid user id (${uid}). (Must be 1-(${MAX_INT32})): ${invalid.join('; ')} ${where}`;
  }
  return undefined;
}

/**
 * Docker's `User`. cri-dockerd builds `uid` or `uid:gid`. Without runAsUser kubelet passes the
 * image's own user, so with runAsGroup alone the user part is the image's (root when the image
 * names nobody or is not known). With neither set, User stays unset and the image's USER
 * applies (cri-dockerd would restate the image's uid and drop a `uid:gid` image group).
 */
export function dockerUser(runAsUser: number | undefined, runAsGroup: number | undefined, imageUser: string | undefined): string | undefined {
  if (runAsUser !== undefined) return runAsGroup === undefined ? String(runAsUser) : `${runAsUser}:${runAsGroup}`;
  if (runAsGroup === undefined) return undefined;
  const image = imageUser === undefined ? { uid: 0 } : imageUserIdentity(imageUser);
  return `${image.username ?? String(image.uid ?? 0)}:${runAsGroup}`;
}

/** determineEffectiveSecurityContext's group order: fsGroup, then supplementalGroups. */
function podGroups(podSc: PodSecurityContext | undefined): string[] {
  const groups: string[] = [];
  if (podSc?.fsGroup !== undefined) groups.push(String(podSc.fsGroup));
  for (const g of podSc?.supplementalGroups ?? []) groups.push(String(g));
  return groups;
}

/** Docker spells capabilities `CAP_X`; `ALL` stays `ALL`. Docker accepts both forms; this one is stable. */
export function dockerCapability(name: string): string {
  const upper = name.toUpperCase();
  if (upper === 'ALL' || upper.startsWith('CAP_')) return upper;
  return `CAP_${upper}`;
}

/**
 * kubelet getSeccompProfile with seccompDefault off (the kubelet default): container field,
 * else pod field, else Unconfined, which cri-dockerd passes as `seccomp=unconfined`.
 * RuntimeDefault leaves Docker's default profile (undefined). Localhost becomes
 * `localhost/<stateDir>/seccomp/<localhostProfile>`, read by the Docker adapter when it creates
 * the container (cri-dockerd reads it at CreateContainer too).
 */
export function seccompOption(profile: SeccompProfile | undefined, stateDir: string): { ok: true; value: string | undefined } | { ok: false; message: string } {
  if (!profile || profile.type === 'Unconfined') return { ok: true, value: 'unconfined' };
  if (profile.type === 'RuntimeDefault') return { ok: true, value: undefined };
  if (profile.type === 'Localhost') {
    if (!profile.localhostProfile) return { ok: false, message: 'localhostProfile must be set if seccompProfile type is Localhost.' };
    return { ok: true, value: `${LOCALHOST_SECCOMP_PREFIX}${joinPath(seccompProfileRoot(stateDir), profile.localhostProfile)}` };
  }
  return { ok: false, message: `unknown seccomp profile type: ${String(profile.type)}` };
}

function joinPath(root: string, rel: string): string {
  const parts: string[] = [];
  for (const part of `${root}/${rel}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/**
 * An app, init or sidecar container's security settings. A privileged container gets no
 * capability or seccomp changes (it has every capability and no filter in Docker anyway).
 */
export function toContainerSecurity(pod: Pod, container: Container, opts: { stateDir: string; imageUser?: string }): SecurityResult {
  const sc = effectiveSecurityContext(pod, container);
  const privileged = sc.privileged === true;
  const seccomp = seccompOption(sc.seccompProfile, opts.stateDir);
  if (!seccomp.ok) return seccomp;
  const user = dockerUser(sc.runAsUser, sc.runAsGroup, opts.imageUser);
  return {
    ok: true,
    security: {
      privileged,
      ...(user !== undefined ? { user } : {}),
      groupAdd: podGroups(pod.spec?.securityContext),
      capAdd: privileged ? [] : (sc.capabilities?.add ?? []).map(dockerCapability),
      capDrop: privileged ? [] : (sc.capabilities?.drop ?? []).map(dockerCapability),
      readonlyRootfs: sc.readOnlyRootFilesystem === true,
      noNewPrivileges: sc.allowPrivilegeEscalation === false,
      ...(!privileged && seccomp.value !== undefined ? { seccomp: seccomp.value } : {}),
      sysctls: {},
    },
  };
}

/** kubecontainer.HasPrivilegedContainer: any init or app container asks for privileged. */
export function hasPrivilegedContainer(pod: Pod): boolean {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return all.some((c) => c.securityContext?.privileged === true);
}

/**
 * The sandbox's security settings: pod-level user and groups, privileged when any container
 * is, the pod's sysctls, always no-new-privileges and Docker's default seccomp profile
 * (cri-dockerd getSandBoxSecurityOpts). runAsGroup without runAsUser is left out: cri-dockerd
 * would refuse the sandbox ("runAsGroup is specified without a runAsUser").
 */
export function toSandboxSecurity(pod: Pod): SecuritySpec {
  const podSc = pod.spec?.securityContext;
  const sysctls: Record<string, string> = {};
  for (const s of podSc?.sysctls ?? []) sysctls[s.name] = s.value;
  const user = podSc?.runAsUser === undefined ? undefined : dockerUser(podSc.runAsUser, podSc.runAsGroup, undefined);
  return {
    privileged: hasPrivilegedContainer(pod),
    ...(user !== undefined ? { user } : {}),
    groupAdd: podGroups(podSc),
    capAdd: [],
    capDrop: [],
    readonlyRootfs: false,
    noNewPrivileges: true,
    sysctls,
  };
}
