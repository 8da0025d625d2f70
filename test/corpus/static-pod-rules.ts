// The kubelet's static-pod rules that come on top of the API server's validation, applied to
// the object as the API server decoded and defaulted it (the dry-run's answer). From
// k8s.io/kubernetes v1.37 pkg/kubelet/config/common.go (tryDecodeSinglePod) and
// pkg/api/pod/util.go (HasAPIObjectReference, VisitPodSecretNames, VisitPodConfigmapNames):
//
//  1. `invalid pod: name is needed for the pod`: metadata.name must be set (generateName is
//     for the API server only). nodelet applies it to DaemonSets too: nothing generates names.
//  2. ValidatePodCreate: the API server's own create validation (the dry-run covers it), with
//     spec.nodeName set by the kubelet: a pod with spec.schedulingGates is refused
//     (`spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared`).
//  3. `static pods may not reference <resource>` (HasAPIObjectReference, unconditional since the
//     PreventStaticPodAPIReferences gate went GA): a service account name; any Secret name
//     (imagePullSecrets, env secretKeyRef, envFrom secretRef, secret volumes, projected secrets,
//     the secretRef of cephfs/cinder/flexVolume/iscsi/rbd/scaleIO/storageos, csi
//     nodePublishSecretRef, azureFile); any ConfigMap name (env configMapKeyRef, envFrom
//     configMapRef, configMap volumes, projected configMaps); resourceClaims; volumes of type
//     csi, glusterfs, persistentVolumeClaim, ephemeral, azureFile; projected
//     serviceAccountToken, clusterTrustBundle and podCertificate sources. Empty names are
//     skipped as skipEmptyNames does.
//
// nodelet runs a DaemonSet's pod template as a static-like pod (agent/manifest/
// validate-daemonset.ts applies the same restrictions to spec.template.spec), so rules 2 and 3
// apply to DaemonSet templates as well.

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.map(obj).filter((x): x is Json => x !== undefined) : [];
}

function named(v: unknown): boolean {
  const name = obj(v)?.['name'];
  return typeof name === 'string' && name.length > 0;
}

const SECRET_REF_VOLUMES = ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'storageos'] as const;

function containers(spec: Json): Json[] {
  return [...list(spec['initContainers']), ...list(spec['containers']), ...list(spec['ephemeralContainers'])];
}

function hasSecrets(spec: Json): boolean {
  if (list(spec['imagePullSecrets']).some(named)) return true;
  for (const c of containers(spec)) {
    if (list(c['envFrom']).some((e) => named(e['secretRef']))) return true;
    if (list(c['env']).some((e) => named(obj(e['valueFrom'])?.['secretKeyRef']))) return true;
  }
  for (const v of list(spec['volumes'])) {
    const azureFile = obj(v['azureFile']);
    if (azureFile && typeof azureFile['secretName'] === 'string' && azureFile['secretName'].length > 0) return true;
    for (const s of SECRET_REF_VOLUMES) if (named(obj(v[s])?.['secretRef'])) return true;
    if (list(obj(v['projected'])?.['sources']).some((s) => named(s['secret']))) return true;
    const secret = obj(v['secret']);
    if (secret && typeof secret['secretName'] === 'string' && secret['secretName'].length > 0) return true;
    if (named(obj(v['csi'])?.['nodePublishSecretRef'])) return true;
  }
  return false;
}

function hasConfigMaps(spec: Json): boolean {
  for (const c of containers(spec)) {
    if (list(c['envFrom']).some((e) => named(e['configMapRef']))) return true;
    if (list(c['env']).some((e) => named(obj(e['valueFrom'])?.['configMapKeyRef']))) return true;
  }
  for (const v of list(spec['volumes'])) {
    if (list(obj(v['projected'])?.['sources']).some((s) => named(s['configMap']))) return true;
    if (named(v['configMap'])) return true;
  }
  return false;
}

/** HasAPIObjectReference: the resource named in the kubelet's message, or undefined. */
export function apiObjectReference(spec: Json): string | undefined {
  const sa = spec['serviceAccountName'] ?? spec['serviceAccount'];
  if (typeof sa === 'string' && sa !== '') return 'serviceaccounts';
  if (hasSecrets(spec)) return 'secrets';
  if (hasConfigMaps(spec)) return 'configmaps';
  if (list(spec['resourceClaims']).length > 0) return 'resourceclaims';
  for (const v of list(spec['volumes'])) {
    if (v['configMap'] !== undefined) return 'configmaps (via configmap volumes)';
    if (v['secret'] !== undefined) return 'secrets (via secret volumes)';
    if (v['csi'] !== undefined) return 'csidrivers (via CSI volumes)';
    if (v['glusterfs'] !== undefined) return 'endpoints (via glusterFS volumes)';
    if (v['persistentVolumeClaim'] !== undefined) return 'persistentvolumeclaims';
    if (v['ephemeral'] !== undefined) return 'persistentvolumeclaims (via ephemeral volumes)';
    if (v['azureFile'] !== undefined) return 'secrets (via azureFile volumes)';
    for (const s of list(obj(v['projected'])?.['sources'])) {
      if (s['configMap'] !== undefined) return 'configmaps (via projected volumes)';
      if (s['secret'] !== undefined) return 'secrets (via projected volumes)';
      if (s['serviceAccountToken'] !== undefined) return 'serviceaccounts (via projected volumes)';
      if (s['clusterTrustBundle'] !== undefined) return 'clustertrustbundles';
      if (s['podCertificate'] !== undefined) return 'podcertificates';
    }
  }
  return undefined;
}

export interface KubeletRefusal {
  readonly reason: 'static-pod-name' | 'static-pod-reference' | 'static-pod-scheduling-gates';
  readonly message: string;
}

/** The kubelet's refusals of an object the API server accepted (a Pod or a DaemonSet). */
export function kubeletRefusals(kind: 'Pod' | 'DaemonSet', object: Json): KubeletRefusal[] {
  const out: KubeletRefusal[] = [];
  const name = obj(object['metadata'])?.['name'];
  if (typeof name !== 'string' || name === '') out.push({ reason: 'static-pod-name', message: 'invalid pod: name is needed for the pod' });
  const spec = kind === 'Pod' ? obj(object['spec']) : obj(obj(obj(object['spec'])?.['template'])?.['spec']);
  if (!spec) return out;
  if (list(spec['schedulingGates']).length > 0) {
    out.push({ reason: 'static-pod-scheduling-gates', message: 'spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared' });
  }
  const resource = apiObjectReference(spec);
  if (resource !== undefined) out.push({ reason: 'static-pod-reference', message: `static pods may not reference ${resource}` });
  return out;
}
