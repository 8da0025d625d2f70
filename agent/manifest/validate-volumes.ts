// Pod volumes, as ValidateVolumes / validateVolumeSource check them. Sources nodelet
// implements (hostPath, emptyDir, downwardAPI) are checked in full; the others only as far
// as their references go, since static-pod restrictions reject most of them anyway.
import type { DownwardAPIVolumeFile, KeyToPath, Volume } from 'kubernetes-types/core/v1.js';
import { type FieldIssue, duplicate, fieldPath, forbidden, invalid, notSupported, required } from './field-issue.js';
import { isDNS1123Label } from './names.js';
import { parseQuantityStrict } from './quantity.js';
import { VOLUME_FIELD_PATHS, validateObjectFieldSelector, validateResourceFieldSelector } from './validate-downward-api.js';

/**
 * Volume source fields in the order validateVolumeSource visits them, with the child name
 * Go uses in the "more than 1 volume type" error (two of them differ from the JSON name:
 * `cephFS`, and the upstream typo `downwarAPI`).
 */
export const VOLUME_SOURCES: readonly (readonly [jsonName: string, errorName: string])[] = [
  ['emptyDir', 'emptyDir'],
  ['hostPath', 'hostPath'],
  ['gitRepo', 'gitRepo'],
  ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'],
  ['secret', 'secret'],
  ['nfs', 'nfs'],
  ['iscsi', 'iscsi'],
  ['glusterfs', 'glusterfs'],
  ['flocker', 'flocker'],
  ['persistentVolumeClaim', 'persistentVolumeClaim'],
  ['rbd', 'rbd'],
  ['cinder', 'cinder'],
  ['cephfs', 'cephFS'],
  ['quobyte', 'quobyte'],
  ['downwardAPI', 'downwarAPI'],
  ['fc', 'fc'],
  ['flexVolume', 'flexVolume'],
  ['configMap', 'configMap'],
  ['azureFile', 'azureFile'],
  ['vsphereVolume', 'vsphereVolume'],
  ['photonPersistentDisk', 'photonPersistentDisk'],
  ['portworxVolume', 'portworxVolume'],
  ['azureDisk', 'azureDisk'],
  ['storageos', 'storageos'],
  ['projected', 'projected'],
  ['scaleIO', 'scaleIO'],
  ['csi', 'csi'],
  ['ephemeral', 'ephemeral'],
  ['image', 'image'],
];

/** supportedHostPathTypes, sorted as sets.List prints them. */
export const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'] as const;

/**
 * The media the kubelet's emptyDir plugin sets up: default (disk), Memory, HugePages[-<size>].
 * The API server does not check the medium; the kubelet admits a pod with another one and fails
 * its volume set-up ("unknown storage medium"), so nodelet warns (api-warnings.ts) and does the same.
 */
export function isKnownEmptyDirMedium(medium: string | undefined): boolean {
  return medium === undefined || medium === '' || medium === 'Memory' || medium === 'HugePages' || medium.startsWith('HugePages-');
}

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

export interface VolumesResult {
  /** Volumes that validated cleanly, by name: only these can be mounted (IsMatchedVolume). */
  readonly volumes: ReadonlyMap<string, Volume>;
  readonly issues: FieldIssue[];
}

export function validateVolumes(volumes: readonly Volume[] | undefined, path: string): VolumesResult {
  const valid = new Map<string, Volume>();
  const issues: FieldIssue[] = [];
  (volumes ?? []).forEach((vol, i) => {
    const idxPath = fieldPath.index(path, i);
    const namePath = fieldPath.child(idxPath, 'name');
    const el = validateVolumeSource(vol, idxPath);
    if (!vol.name) el.push(required(namePath));
    else el.push(...isDNS1123Label(vol.name).map((m) => invalid(namePath, vol.name, m)));
    if (valid.has(vol.name)) el.push(duplicate(namePath, vol.name));
    if (el.length === 0) valid.set(vol.name, vol);
    else issues.push(...el);
  });
  return { volumes: valid, issues };
}

function validateVolumeSource(vol: Volume, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const record = vol as unknown as Record<string, unknown>;
  let count = 0;
  for (const [jsonName, errorName] of VOLUME_SOURCES) {
    if (record[jsonName] === undefined || record[jsonName] === null) continue;
    if (count > 0) {
      errs.push(forbidden(fieldPath.child(path, errorName), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    errs.push(...validateOneSource(vol, jsonName, fieldPath.child(path, jsonName)));
  }
  if (count === 0) errs.push(required(path, 'must specify a volume type'));
  return errs;
}

function validateOneSource(vol: Volume, source: string, path: string): FieldIssue[] {
  switch (source) {
    case 'hostPath':
      return validateHostPath(vol, path);
    case 'emptyDir':
      return validateEmptyDir(vol, path);
    case 'downwardAPI':
      return validateDownwardAPIVolume(vol, path);
    case 'secret': {
      const errs: FieldIssue[] = [];
      if (!vol.secret?.secretName) errs.push(required(fieldPath.child(path, 'secretName')));
      errs.push(...validateMode(vol.secret?.defaultMode, fieldPath.child(path, 'defaultMode')));
      (vol.secret?.items ?? []).forEach((kp, i) => errs.push(...validateKeyToPath(kp, fieldPath.index(fieldPath.child(path, 'items'), i))));
      return errs;
    }
    case 'configMap': {
      const errs: FieldIssue[] = [];
      if (!vol.configMap?.name) errs.push(required(fieldPath.child(path, 'name')));
      errs.push(...validateMode(vol.configMap?.defaultMode, fieldPath.child(path, 'defaultMode')));
      (vol.configMap?.items ?? []).forEach((kp, i) => errs.push(...validateKeyToPath(kp, fieldPath.index(fieldPath.child(path, 'items'), i))));
      return errs;
    }
    case 'persistentVolumeClaim':
      return vol.persistentVolumeClaim?.claimName ? [] : [required(fieldPath.child(path, 'claimName'))];
    case 'projected':
      return validateProjected(vol, path);
    default:
      return [];
  }
}

function validateHostPath(vol: Volume, path: string): FieldIssue[] {
  const hp = vol.hostPath;
  if (!hp?.path) return [required(fieldPath.child(path, 'path'))];
  const errs = validatePathNoBacksteps(hp.path, fieldPath.child(path, 'path'));
  if (hp.type !== undefined && !(HOST_PATH_TYPES as readonly string[]).includes(hp.type)) {
    errs.push(notSupported(fieldPath.child(path, 'type'), hp.type, HOST_PATH_TYPES));
  }
  return errs;
}

function validateEmptyDir(vol: Volume, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const ed = vol.emptyDir ?? {};
  if (ed.sizeLimit !== undefined) {
    const parsed = parseQuantityStrict(ed.sizeLimit);
    if (!parsed.ok) errs.push(invalid(fieldPath.child(path, 'sizeLimit'), String(ed.sizeLimit), parsed.error));
    else if (parsed.quantity.nano < 0n) errs.push(forbidden(fieldPath.child(path, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
  }
  return errs;
}

function validateDownwardAPIVolume(vol: Volume, path: string): FieldIssue[] {
  const errs = validateMode(vol.downwardAPI?.defaultMode, fieldPath.child(path, 'defaultMode'));
  // Upstream reports item errors on the volume's downwardAPI path, without the item index.
  for (const item of vol.downwardAPI?.items ?? []) errs.push(...validateDownwardAPIVolumeFile(item, path));
  return errs;
}

export function validateDownwardAPIVolumeFile(file: DownwardAPIVolumeFile, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  if (!file.path) errs.push(required(fieldPath.child(path, 'path')));
  errs.push(...validateLocalNonReservedPath(file.path ?? '', fieldPath.child(path, 'path')));
  if (file.fieldRef) {
    errs.push(...validateObjectFieldSelector(file.fieldRef, VOLUME_FIELD_PATHS, fieldPath.child(path, 'fieldRef')));
    if (file.resourceFieldRef) errs.push(invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (file.resourceFieldRef) {
    errs.push(...validateResourceFieldSelector(file.resourceFieldRef, fieldPath.child(path, 'resourceFieldRef'), true));
  } else {
    errs.push(required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...validateMode(file.mode, fieldPath.child(path, 'mode')));
  return errs;
}

function validateProjected(vol: Volume, path: string): FieldIssue[] {
  const errs = validateMode(vol.projected?.defaultMode, fieldPath.child(path, 'defaultMode'));
  (vol.projected?.sources ?? []).forEach((s, i) => {
    const srcPath = fieldPath.index(fieldPath.child(path, 'sources'), i);
    let n = 0;
    if (s.secret) {
      n++;
      if (!s.secret.name) errs.push(required(fieldPath.child(srcPath, 'secret', 'name')));
    }
    if (s.configMap) {
      n++;
      if (!s.configMap.name) errs.push(required(fieldPath.child(srcPath, 'configMap', 'name')));
    }
    if (s.downwardAPI) {
      n++;
      for (const item of s.downwardAPI.items ?? []) errs.push(...validateDownwardAPIVolumeFile(item, fieldPath.child(srcPath, 'downwardAPI')));
    }
    if (s.serviceAccountToken) {
      n++;
      const exp = s.serviceAccountToken.expirationSeconds ?? 3600;
      const expPath = fieldPath.child(srcPath, 'serviceAccountToken', 'expirationSeconds');
      if (exp < 600) errs.push(invalid(expPath, exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32) errs.push(invalid(expPath, exp, 'may not specify a duration larger than 2^32 seconds'));
      if (!s.serviceAccountToken.path) errs.push(required(fieldPath.child(path, 'path')));
    }
    if (s.clusterTrustBundle) n++;
    if (n > 1) errs.push(forbidden(srcPath, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}

function validateKeyToPath(kp: KeyToPath, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  if (!kp.key) errs.push(required(fieldPath.child(path, 'key')));
  if (!kp.path) errs.push(required(fieldPath.child(path, 'path')));
  errs.push(...validateLocalNonReservedPath(kp.path ?? '', fieldPath.child(path, 'path')));
  errs.push(...validateMode(kp.mode, fieldPath.child(path, 'mode')));
  return errs;
}

function validateMode(mode: number | undefined, path: string): FieldIssue[] {
  return mode !== undefined && (mode > 0o777 || mode < 0) ? [invalid(path, mode, FILE_MODE_ERROR)] : [];
}

/** validatePathNoBacksteps: no `..` element (one error even for `../../..`). */
export function validatePathNoBacksteps(target: string, path: string): FieldIssue[] {
  return target.split('/').includes('..') ? [invalid(path, target, "must not contain '..'")] : [];
}

/** validateLocalDescendingPath: relative and without `..`. */
export function validateLocalDescendingPath(target: string, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  if (target.startsWith('/')) errs.push(invalid(path, target, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

function validateLocalNonReservedPath(target: string, path: string): FieldIssue[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith('..') && !target.startsWith('../')) errs.push(invalid(path, target, "must not start with '..'"));
  return errs;
}
