// The pod-specific annotation rules of the API server (ValidatePodSpecificAnnotations: the
// seccomp and AppArmor annotations) and, on Pod create, the agreement of the AppArmor annotation
// with the appArmorProfile field (validateAppArmorAnnotationsAndFieldsMatchOnCreate). Annotation
// keys are visited sorted: Go's map order is random. Pure: no I/O.
import type { AppArmorProfile, Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { type FieldIssue, fieldPath, forbidden, invalid, notSupported, required, tooLong } from './field-issue.js';
import { validateLocalDescendingPath } from './validate-volumes.js';

export const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
export const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
export const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const APPARMOR_RUNTIME_DEFAULT = 'runtime/default';
const APPARMOR_UNCONFINED = 'unconfined';
const APPARMOR_LOCALHOST_PREFIX = 'localhost/';
const APPARMOR_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'] as const;
const MAX_LOCALHOST_PROFILE_LENGTH = 4095; // PATH_MAX - 1

/** pods.VisitContainersWithPath's order: init containers, containers, ephemeral containers. */
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

function visitContainers(spec: PodSpec, path: string, visit: (c: Container, cPath: string) => void): void {
  for (const list of CONTAINER_LISTS) {
    (spec[list] ?? []).forEach((c, i) => visit(c as Container, fieldPath.index(fieldPath.child(path, list), i)));
  }
}

/** ValidateSeccompProfile: an annotation value (the pre-1.19 syntax of seccompProfile). */
function validateSeccompAnnotationValue(p: string, path: string): FieldIssue[] {
  if (p === 'runtime/default' || p === 'docker/default' || p === 'unconfined') return [];
  if (p.startsWith('localhost/')) return validateLocalDescendingPath(p.slice('localhost/'.length), path);
  return [invalid(path, p, 'must be a valid seccomp profile')];
}

/** ValidateAppArmorProfileFormat. */
function appArmorFormatError(profile: string): string | undefined {
  if (profile === '' || profile === APPARMOR_RUNTIME_DEFAULT || profile === APPARMOR_UNCONFINED) return undefined;
  return profile.startsWith(APPARMOR_LOCALHOST_PREFIX) ? undefined : `invalid AppArmor profile name: ${JSON.stringify(profile)}`;
}

/**
 * ValidatePodSpecificAnnotations' seccomp and AppArmor rules. `path` is the annotations' path:
 * `metadata.annotations` for a Pod, `spec.template.annotations` for a template (upstream's).
 */
export function validatePodSpecificAnnotations(annotations: Readonly<Record<string, string>> | undefined, spec: PodSpec, path: string): FieldIssue[] {
  if (annotations === undefined) return [];
  const errs: FieldIssue[] = [];
  const keys = Object.keys(annotations).sort();
  // Upstream names the seccomp ones with Child (a dot), the AppArmor ones with Key (brackets).
  const pod = annotations[SECCOMP_POD_ANNOTATION];
  if (pod !== undefined) errs.push(...validateSeccompAnnotationValue(String(pod), fieldPath.child(path, SECCOMP_POD_ANNOTATION)));
  for (const k of keys) {
    if (k.startsWith(SECCOMP_CONTAINER_ANNOTATION_PREFIX)) errs.push(...validateSeccompAnnotationValue(String(annotations[k]), fieldPath.child(path, k)));
  }
  const names = new Set<string>();
  visitContainers(spec, 'spec', (c) => names.add(c.name));
  for (const k of keys) {
    if (!k.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
    const value = String(annotations[k]);
    const container = k.slice(APPARMOR_ANNOTATION_PREFIX.length);
    if (!names.has(container)) errs.push(invalid(fieldPath.key(path, k), container, 'container not found'));
    const format = appArmorFormatError(value);
    if (format !== undefined) errs.push(invalid(fieldPath.key(path, k), value, format));
  }
  return errs;
}

/** ValidateAppArmorProfileField, for the pod's and each container's securityContext.appArmorProfile. */
export function validateAppArmorProfileField(profile: AppArmorProfile | undefined, path: string): FieldIssue[] {
  if (profile === undefined) return [];
  const errs: FieldIssue[] = [];
  const lpPath = fieldPath.child(path, 'localhostProfile');
  const lp = profile.localhostProfile;
  switch (profile.type) {
    case 'Localhost':
      if (lp === undefined) errs.push(required(lpPath, 'must be set when AppArmor type is Localhost'));
      else {
        if (lp.trim() !== lp) errs.push(invalid(lpPath, lp, 'must not be padded with whitespace'));
        else if (lp === '') errs.push(required(lpPath, 'must be set when AppArmor type is Localhost'));
        if (Buffer.byteLength(lp) > MAX_LOCALHOST_PROFILE_LENGTH) errs.push(tooLong(lpPath, MAX_LOCALHOST_PROFILE_LENGTH));
      }
      break;
    case 'RuntimeDefault':
    case 'Unconfined':
      if (lp !== undefined) errs.push(invalid(lpPath, lp, 'can only be set when AppArmor type is Localhost'));
      break;
    case '':
    case undefined:
      errs.push(required(fieldPath.child(path, 'type'), 'type is required when appArmorProfile is set'));
      break;
    default:
      errs.push(notSupported(fieldPath.child(path, 'type'), profile.type, APPARMOR_TYPES));
  }
  return errs;
}

interface ProfileField {
  readonly type?: string;
  readonly localhostProfile?: string;
}

/**
 * validateSeccompAnnotationsAndFieldsMatch / the AppArmor switch of
 * validateAppArmorAnnotationsAndFieldsMatchOnCreate: when a profile is set both ways, they agree.
 */
function annotationMatchesField(kind: 'seccomp' | 'apparmor', annotation: string, profile: ProfileField, path: string): FieldIssue | undefined {
  const typeMismatch = forbidden(fieldPath.child(path, 'type'), `${kind} type in annotation and field must match`);
  switch (profile.type) {
    case 'Unconfined':
      return annotation === 'unconfined' ? undefined : typeMismatch;
    case 'RuntimeDefault':
      return annotation === 'runtime/default' || (kind === 'seccomp' && annotation === 'docker/default') ? undefined : typeMismatch;
    case 'Localhost':
      if (!annotation.startsWith('localhost/')) return typeMismatch;
      if (profile.localhostProfile === undefined || annotation.slice('localhost/'.length) !== profile.localhostProfile) {
        return forbidden(fieldPath.child(path, 'localhostProfile'), `${kind} profile in annotation and field must match`);
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * ValidatePodCreate's validateSeccompAnnotationsAndFields, then
 * validateAppArmorAnnotationsAndFieldsMatchOnCreate (skipped for Windows pods): a profile given
 * both as an annotation and as a field must be the same profile. Pods only.
 */
export function validateAnnotationsMatchFields(annotations: Readonly<Record<string, string>> | undefined, spec: PodSpec, path: string): FieldIssue[] {
  if (annotations === undefined) return [];
  const errs: FieldIssue[] = [];
  const push = (issue: FieldIssue | undefined): void => {
    if (issue) errs.push(issue);
  };
  const podSeccomp = spec.securityContext?.seccompProfile;
  const podSeccompAnnotation = annotations[SECCOMP_POD_ANNOTATION];
  if (podSeccomp !== undefined && podSeccompAnnotation !== undefined) {
    push(annotationMatchesField('seccomp', podSeccompAnnotation, podSeccomp, fieldPath.child(path, 'securityContext', 'seccompProfile')));
  }
  visitContainers(spec, path, (c, cPath) => {
    const own = c.securityContext?.seccompProfile;
    const annotation = annotations[SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name];
    if (own !== undefined && annotation !== undefined) push(annotationMatchesField('seccomp', annotation, own, fieldPath.child(cPath, 'securityContext', 'seccompProfile')));
  });
  if (spec.os?.name === 'windows') return errs;
  const podAppArmor = spec.securityContext?.appArmorProfile;
  visitContainers(spec, path, (c, cPath) => {
    const profile = c.securityContext?.appArmorProfile ?? podAppArmor;
    const annotation = annotations[APPARMOR_ANNOTATION_PREFIX + c.name];
    if (profile !== undefined && annotation !== undefined) push(annotationMatchesField('apparmor', annotation, profile, fieldPath.child(cPath, 'securityContext', 'appArmorProfile')));
  });
  return errs;
}
