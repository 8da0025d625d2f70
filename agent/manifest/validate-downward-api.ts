// Downward API selectors (env valueFrom and downwardAPI volume items): fieldRef and
// resourceFieldRef, as validateObjectFieldSelector / validateContainerResourceFieldSelector.
import type { ObjectFieldSelector, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { type FieldIssue, fieldPath, invalid, notSupported, required } from './field-issue.js';
import { isQualifiedName } from './names.js';
import { convertFieldLabel, splitSubscriptedPath } from '../core/downward-api.js';
import { formatQuantity, parseQuantityStrict } from './quantity.js';

/** validEnvDownwardAPIFieldPathExpressions, sorted as sets.List prints them. */
export const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
] as const;

/** validVolumeDownwardAPIFieldPathExpressions, sorted. */
export const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'] as const;

export const RESOURCE_FIELD_PATHS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
] as const;
const HUGEPAGES_PREFIXES = ['limits.hugepages-', 'requests.hugepages-'];

export function validateObjectFieldSelector(fs: ObjectFieldSelector, allowed: readonly string[], path: string): FieldIssue[] {
  if (!fs.apiVersion) return [required(fieldPath.child(path, 'apiVersion'))];
  if (!fs.fieldPath) return [required(fieldPath.child(path, 'fieldPath'))];
  const converted = convertFieldLabel(fs.apiVersion, fs.fieldPath);
  if (!converted.ok) return [invalid(fieldPath.child(path, 'fieldPath'), fs.fieldPath, `error converting fieldPath: ${converted.error}`)];
  const sub = splitSubscriptedPath(converted.label);
  if (sub) {
    if (sub.path === 'metadata.annotations') return isQualifiedName(sub.subscript.toLowerCase()).map((m) => invalid(path, sub.subscript.toLowerCase(), m));
    if (sub.path === 'metadata.labels') return isQualifiedName(sub.subscript).map((m) => invalid(path, sub.subscript, m));
    return [invalid(path, sub.path, 'does not support subscript')];
  }
  if (!allowed.includes(converted.label)) return [notSupported(fieldPath.child(path, 'fieldPath'), converted.label, allowed)];
  return [];
}

const CPU_DIVISORS = new Set(['1m', '1']);
const BYTE_DIVISORS = new Set(['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei']);
const BYTE_DIVISOR_LIST = '1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei';

/** `volume` is true for downwardAPI volume items, where containerName is required. */
export function validateResourceFieldSelector(fs: ResourceFieldSelector, path: string, volume: boolean): FieldIssue[] {
  const errs: FieldIssue[] = [];
  if (volume && !fs.containerName) {
    errs.push(required(fieldPath.child(path, 'containerName')));
  } else if (!fs.resource) {
    errs.push(required(fieldPath.child(path, 'resource')));
  } else if (!(RESOURCE_FIELD_PATHS as readonly string[]).includes(fs.resource) && !HUGEPAGES_PREFIXES.some((p) => fs.resource.startsWith(p))) {
    errs.push(notSupported(fieldPath.child(path, 'resource'), fs.resource, RESOURCE_FIELD_PATHS));
  }
  errs.push(...validateDivisor(fs.resource ?? '', fs.divisor, path));
  return errs;
}

function validateDivisor(resource: string, divisor: string | undefined, path: string): FieldIssue[] {
  if (divisor === undefined) return [];
  const parsed = parseQuantityStrict(divisor);
  if (!parsed.ok) return [invalid(fieldPath.child(path, 'divisor'), String(divisor), parsed.error)];
  if (parsed.quantity.nano === 0n) return [];
  const text = formatQuantity(parsed.quantity);
  const divisorPath = fieldPath.child(path, 'divisor');
  if ((resource === 'limits.cpu' || resource === 'requests.cpu') && !CPU_DIVISORS.has(text)) {
    return [invalid(divisorPath, resource, "only divisor's values 1m and 1 are supported with the cpu resource")];
  }
  if ((resource === 'limits.memory' || resource === 'requests.memory') && !BYTE_DIVISORS.has(text)) {
    return [invalid(divisorPath, resource, `only divisor's values ${BYTE_DIVISOR_LIST} are supported with the memory resource`)];
  }
  if ((resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage') && !BYTE_DIVISORS.has(text)) {
    return [invalid(divisorPath, resource, `only divisor's values ${BYTE_DIVISOR_LIST} are supported with the local ephemeral storage resource`)];
  }
  if (HUGEPAGES_PREFIXES.some((p) => resource.startsWith(p)) && !BYTE_DIVISORS.has(text)) {
    return [invalid(divisorPath, resource, `only divisor's values ${BYTE_DIVISOR_LIST} are supported with the hugepages resource`)];
  }
  return [];
}
