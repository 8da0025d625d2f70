// What a static pod may not use: anything that needs the API server to resolve. Mirrors
// kubelet's check after decoding a manifest (pkg/api/pod/util.go HasAPIObjectReference,
// PreventStaticPodAPIReferences, on by default since 1.34) with its exact reason text
// `static pods may not reference <resource>`. kubelet stops at the first reference; nodelet
// reports each one, on the field that holds it, so a manifest can be fixed in one pass.
// parse-file.ts runs it on the document as decoded, before the schema check, so a reference in
// a field the schema also objects to is named for what it is: the input is not yet known to
// have the API's types, so every list and object is checked for its shape before use.
import type { Container, EphemeralContainer, PodSpec, Volume } from 'kubernetes-types/core/v1.js';
import { type FieldIssue, fieldPath, forbidden, plainIssue } from './field-issue.js';

const HINT_HOST_FILE = 'nodelet has no API server: put the data in a file on the host and mount it with a hostPath volume';
const HINTS: Readonly<Record<string, string>> = {
  serviceaccounts: 'nodelet has no API server to issue service account tokens: remove the service account',
  secrets: HINT_HOST_FILE,
  configmaps: HINT_HOST_FILE,
  persistentvolumeclaims: 'use a hostPath or emptyDir volume instead',
};

/** The items of `value` when it is a list, else none; an item that is no object reads as `{}`
 *  (indexes kept): the document has not been type-checked yet. */
function list<T extends object>(value: readonly T[] | undefined): readonly T[] {
  if (!Array.isArray(value)) return [];
  return value.some((item) => item === null || typeof item !== 'object') ? value.map((item) => (item !== null && typeof item === 'object' ? item : ({} as T))) : value;
}

function reference(field: string, resource: string): FieldIssue {
  const base = resource.split(' ')[0] ?? resource;
  return plainIssue(field, `static pods may not reference ${resource}`, HINTS[base]);
}

/** References to API objects in a pod spec (a Pod's `spec` or a DaemonSet's `spec.template.spec`). */
export function staticPodRestrictions(spec: PodSpec | undefined, path: string): FieldIssue[] {
  if (spec === null || typeof spec !== 'object') return [];
  const issues: FieldIssue[] = [];
  if (spec.serviceAccountName) issues.push(reference(fieldPath.child(path, 'serviceAccountName'), 'serviceaccounts'));
  // The deprecated alias becomes serviceAccountName when the pod is converted.
  else if (spec.serviceAccount) issues.push(reference(fieldPath.child(path, 'serviceAccount'), 'serviceaccounts'));

  list(spec.imagePullSecrets).forEach((_, i) => issues.push(reference(fieldPath.index(fieldPath.child(path, 'imagePullSecrets'), i), 'secrets')));
  for (const [listName, containers] of containerLists(spec)) {
    containers.forEach((c, i) => issues.push(...containerReferences(c, fieldPath.index(fieldPath.child(path, listName), i))));
  }
  list(spec.volumes).forEach((v, i) => issues.push(...volumeReferences(v, fieldPath.index(fieldPath.child(path, 'volumes'), i))));
  if (list(spec.resourceClaims).length > 0) issues.push(reference(fieldPath.child(path, 'resourceClaims'), 'resourceclaims'));

  // kubelet sets spec.nodeName before validating, and a bound pod may not keep scheduling gates.
  if (list(spec.schedulingGates).length > 0) {
    issues.push(forbidden(fieldPath.child(path, 'nodeName'), 'cannot be set until all schedulingGates have been cleared'));
  }
  return issues;
}

function containerLists(spec: PodSpec): [string, readonly (Container | EphemeralContainer)[]][] {
  return [
    ['initContainers', list(spec.initContainers)],
    ['containers', list(spec.containers)],
    ['ephemeralContainers', list(spec.ephemeralContainers)],
  ];
}

function containerReferences(c: Container | EphemeralContainer, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  list(c.env).forEach((e, i) => {
    const p = fieldPath.child(fieldPath.index(fieldPath.child(path, 'env'), i), 'valueFrom');
    if (e.valueFrom?.secretKeyRef) issues.push(reference(fieldPath.child(p, 'secretKeyRef'), 'secrets'));
    if (e.valueFrom?.configMapKeyRef) issues.push(reference(fieldPath.child(p, 'configMapKeyRef'), 'configmaps'));
  });
  list(c.envFrom).forEach((e, i) => {
    const p = fieldPath.index(fieldPath.child(path, 'envFrom'), i);
    if (e.secretRef) issues.push(reference(fieldPath.child(p, 'secretRef'), 'secrets'));
    if (e.configMapRef) issues.push(reference(fieldPath.child(p, 'configMapRef'), 'configmaps'));
  });
  return issues;
}

/** Volume sources whose secretRef names a Secret (VisitPodSecretNames). */
const SECRET_REF_SOURCES = ['cephfs', 'cinder', 'flexVolume', 'iscsi', 'rbd', 'scaleIO', 'storageos'] as const;

function volumeReferences(v: Volume, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (v.secret) issues.push(reference(fieldPath.child(path, 'secret'), 'secrets'));
  if (v.azureFile) issues.push(reference(fieldPath.child(path, 'azureFile'), 'secrets (via azureFile volumes)'));
  for (const source of SECRET_REF_SOURCES) {
    const s = (v as unknown as Record<string, { secretRef?: unknown } | undefined>)[source];
    if (s?.secretRef) issues.push(reference(fieldPath.child(path, source, 'secretRef'), 'secrets'));
  }
  if (v.configMap) issues.push(reference(fieldPath.child(path, 'configMap'), 'configmaps'));
  if (v.csi) {
    if (v.csi.nodePublishSecretRef) issues.push(reference(fieldPath.child(path, 'csi', 'nodePublishSecretRef'), 'secrets'));
    else issues.push(reference(fieldPath.child(path, 'csi'), 'csidrivers (via CSI volumes)'));
  }
  if (v.glusterfs) issues.push(reference(fieldPath.child(path, 'glusterfs'), 'endpoints (via glusterFS volumes)'));
  if (v.persistentVolumeClaim) issues.push(reference(fieldPath.child(path, 'persistentVolumeClaim'), 'persistentvolumeclaims'));
  if (v.ephemeral) issues.push(reference(fieldPath.child(path, 'ephemeral'), 'persistentvolumeclaims (via ephemeral volumes)'));
  list(v.projected?.sources).forEach((s, i) => {
    const p = fieldPath.index(fieldPath.child(path, 'projected', 'sources'), i);
    const source = s as typeof s & { podCertificate?: unknown };
    if (s.secret) issues.push(reference(fieldPath.child(p, 'secret'), 'secrets'));
    if (s.configMap) issues.push(reference(fieldPath.child(p, 'configMap'), 'configmaps'));
    if (s.serviceAccountToken) issues.push(reference(fieldPath.child(p, 'serviceAccountToken'), 'serviceaccounts (via projected volumes)'));
    if (s.clusterTrustBundle) issues.push(reference(fieldPath.child(p, 'clusterTrustBundle'), 'clustertrustbundles'));
    if (source.podCertificate) issues.push(reference(fieldPath.child(p, 'podCertificate'), 'podcertificates'));
  });
  return issues;
}
