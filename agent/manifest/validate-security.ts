// Pod-level security context, sysctls and seccomp profiles (validatePodSpecSecurityContext,
// validateSysctls, validateSeccompProfileField).
import type { PodSecurityContext, PodSpec, SeccompProfile } from 'kubernetes-types/core/v1.js';
import { type FieldIssue, GoLiteral, duplicate, fieldPath, forbidden, goQuote, invalid, notSupported, required } from './field-issue.js';
import { SYSCTL_MAX_LENGTH, SYSCTL_NAME_REGEX, isValidGroupID, isValidSysctlName, isValidUserID } from './names.js';
import { validateAppArmorProfileField } from './validate-pod-annotations.js';
import { validateLocalDescendingPath } from './validate-volumes.js';

export const SECCOMP_PROFILE_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'] as const;

export function validateSeccompProfile(sp: SeccompProfile | undefined, path: string): FieldIssue[] {
  if (!sp) return [];
  const errs: FieldIssue[] = [];
  const typePath = fieldPath.child(path, 'type');
  if (!sp.type) errs.push(required(typePath, 'type is required when seccompProfile is set'));
  else if (!(SECCOMP_PROFILE_TYPES as readonly string[]).includes(sp.type)) errs.push(notSupported(typePath, sp.type, SECCOMP_PROFILE_TYPES));
  const lpPath = fieldPath.child(path, 'localhostProfile');
  if (sp.type === 'Localhost') {
    if (sp.localhostProfile === undefined) errs.push(required(lpPath, 'must be set when seccomp type is Localhost'));
    else errs.push(...validateLocalDescendingPath(sp.localhostProfile, lpPath));
  } else if (sp.localhostProfile !== undefined) {
    // Go prints the struct with %#v, pointer address included; the address is not reproducible.
    const literal = new GoLiteral(`core.SeccompProfile{Type:${goQuote(sp.type ?? '')}, LocalhostProfile:(*string)(...)}`);
    errs.push(invalid(lpPath, literal, 'can only be set when seccomp type is Localhost'));
  }
  return errs;
}

/** validatePodSpecSecurityContext. hostNetwork/hostPID/hostIPC live in the spec in v1. */
export function validatePodSecurityContext(spec: PodSpec, path: string): FieldIssue[] {
  const sc: PodSecurityContext | undefined = spec.securityContext;
  if (!sc) return [];
  const errs: FieldIssue[] = [];
  if (sc.fsGroup !== undefined) errs.push(...isValidGroupID(sc.fsGroup).map((m) => invalid(fieldPath.child(path, 'fsGroup'), sc.fsGroup, m)));
  if (sc.runAsUser !== undefined) errs.push(...isValidUserID(sc.runAsUser).map((m) => invalid(fieldPath.child(path, 'runAsUser'), sc.runAsUser, m)));
  if (sc.runAsGroup !== undefined) errs.push(...isValidGroupID(sc.runAsGroup).map((m) => invalid(fieldPath.child(path, 'runAsGroup'), sc.runAsGroup, m)));
  (sc.supplementalGroups ?? []).forEach((gid, g) => {
    errs.push(...isValidGroupID(gid).map((m) => invalid(fieldPath.index(fieldPath.child(path, 'supplementalGroups'), g), gid, m)));
  });
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(invalid(fieldPath.child(path, 'shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  if ((sc.sysctls ?? []).length > 0) errs.push(...validateSysctls(spec, fieldPath.child(path, 'sysctls')));
  if (sc.fsGroupChangePolicy !== undefined && !['Always', 'OnRootMismatch'].includes(sc.fsGroupChangePolicy)) {
    errs.push(notSupported(fieldPath.child(path, 'fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, fieldPath.child(path, 'seccompProfile')));
  errs.push(...validateAppArmorProfileField(sc.appArmorProfile, fieldPath.child(path, 'appArmorProfile')));
  // Newer than the kubernetes-types release in use.
  const groupsPolicy = (sc as PodSecurityContext & { supplementalGroupsPolicy?: string }).supplementalGroupsPolicy;
  if (groupsPolicy !== undefined && !['Merge', 'Strict'].includes(groupsPolicy)) {
    errs.push(notSupported(fieldPath.child(path, 'supplementalGroupsPolicy'), groupsPolicy, ['Merge', 'Strict']));
  }
  return errs;
}

function validateSysctls(spec: PodSpec, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const names = new Set<string>();
  (spec.securityContext?.sysctls ?? []).forEach((s, i) => {
    const namePath = fieldPath.child(fieldPath.index(path, i), 'name');
    if (!s.name) errs.push(required(namePath));
    else if (!isValidSysctlName(s.name)) {
      errs.push(invalid(namePath, s.name, `must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ${SYSCTL_NAME_REGEX}`));
    } else if (names.has(s.name)) errs.push(duplicate(namePath, s.name));
    const ns = sysctlNamespace(s.name ?? '');
    if (spec.hostNetwork === true && ns === 'net') errs.push(invalid(namePath, s.name, "may not be specified when 'hostNetwork' is true"));
    else if (spec.hostIPC === true && ns === 'ipc') errs.push(invalid(namePath, s.name, "may not be specified when 'hostIPC' is true"));
    names.add(s.name);
  });
  return errs;
}

const IPC_SYSCTLS = new Set([
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
]);

/** utilsysctl.GetNamespace after NormalizeName (a name whose first separator is '/' swaps '/' and '.'). */
export function sysctlNamespace(name: string): 'net' | 'ipc' | undefined {
  const firstSep = name.search(/[./]/);
  const normalized =
    firstSep >= 0 && name[firstSep] === '/' ? name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/')) : name;
  if (normalized.startsWith('net.')) return 'net';
  if (IPC_SYSCTLS.has(normalized) || normalized.startsWith('kernel.shm') || normalized.startsWith('kernel.msg') || normalized.startsWith('fs.mqueue.')) {
    return 'ipc';
  }
  return undefined;
}

/** pods.VisitContainersWithPath's order: init containers, containers, ephemeral containers. */
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/**
 * validateWindowsHostProcessPod: a pod with any Windows HostProcess container (set on the
 * container or inherited from the pod) must have only such containers and hostNetwork. The
 * API server checks it for every pod, whatever its OS; nodelet runs no Windows container.
 * (The third rule, "disallowed by cluster policy", needs --allow-privileged=false.)
 */
export function validateWindowsHostProcessPod(spec: PodSpec, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const podHostProcess = spec.securityContext?.windowsOptions?.hostProcess;
  let containerCount = 0;
  let hostProcessCount = 0;
  for (const list of CONTAINER_LISTS) {
    (spec[list] ?? []).forEach((c, i) => {
      containerCount++;
      const own = c.securityContext?.windowsOptions?.hostProcess;
      if (podHostProcess !== undefined && own !== undefined && podHostProcess !== own) {
        const p = fieldPath.child(fieldPath.index(fieldPath.child(path, list), i), 'securityContext', 'windowsOptions', 'hostProcess');
        errs.push(invalid(p, own, `pod hostProcess value must be identical if both are specified, was ${String(podHostProcess)}`));
      }
      if (own === true || (own === undefined && podHostProcess === true)) hostProcessCount++;
    });
  }
  if (hostProcessCount > 0) {
    if (hostProcessCount !== containerCount) {
      errs.push(invalid(path, '', 'If pod contains any hostProcess containers then all containers must be HostProcess containers'));
    }
    const hostNetwork = spec.hostNetwork === true;
    if (!hostNetwork) errs.push(invalid(fieldPath.child(path, 'hostNetwork'), hostNetwork, 'hostNetwork must be true if pod contains any hostProcess containers'));
  }
  return errs;
}

/** validateLinux: a pod that says it is Linux may not carry Windows options. */
export function validateLinuxPod(spec: PodSpec, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const message = 'windows options cannot be set for a linux pod';
  if (spec.securityContext?.windowsOptions !== undefined) errs.push(forbidden(fieldPath.child(path, 'securityContext', 'windowsOptions'), message));
  for (const list of CONTAINER_LISTS) {
    (spec[list] ?? []).forEach((c, i) => {
      if (c.securityContext?.windowsOptions !== undefined) errs.push(forbidden(fieldPath.child(fieldPath.index(fieldPath.child(path, list), i), 'securityContext', 'windowsOptions'), message));
    });
  }
  return errs;
}
