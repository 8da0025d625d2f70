// ObjectMeta, labels, annotations and label selectors, as apimachinery validates them
// (api/validation/objectmeta.go, apis/meta/v1/validation/validation.go). Map keys are
// visited in sorted order so the error list is stable (Go's map order is random).
import type { LabelSelector, LabelSelectorRequirement, ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { type FieldIssue, fieldPath, forbidden, invalid, required, tooLong } from './field-issue.js';
import { NEGATIVE_ERROR, byteLength, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './names.js';

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export interface ObjectMetaOptions {
  /** Validation of the name: DNS-1123 subdomain for Pods and DaemonSets. */
  readonly nameFn?: (name: string) => string[];
}

/** ValidateObjectMeta for a namespaced object on create. */
export function validateObjectMeta(meta: ObjectMeta | undefined, path: string, opts: ObjectMetaOptions = {}): FieldIssue[] {
  const m = meta ?? {};
  const errs: FieldIssue[] = [];
  const nameFn = opts.nameFn ?? isDNS1123Subdomain;
  if (m.generateName) {
    for (const msg of nameFn(m.generateName)) errs.push(invalid(fieldPath.child(path, 'generateName'), m.generateName, msg));
  }
  const namePath = fieldPath.child(path, 'name');
  if (!m.name) errs.push(required(namePath, 'name or generateName is required'));
  else for (const msg of nameFn(m.name)) errs.push(invalid(namePath, m.name, msg));

  const nsPath = fieldPath.child(path, 'namespace');
  if (!m.namespace) errs.push(required(nsPath));
  else for (const msg of isDNS1123Label(m.namespace)) errs.push(invalid(nsPath, m.namespace, msg));

  if (m.generation !== undefined && m.generation < 0) {
    errs.push(invalid(fieldPath.child(path, 'generation'), m.generation, NEGATIVE_ERROR));
  }
  errs.push(...validateLabels(m.labels, fieldPath.child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, fieldPath.child(path, 'annotations')));
  return errs;
}

/** ValidateLabels: every error is reported on the map's own path, not on the key. */
export function validateLabels(labels: Readonly<Record<string, string>> | undefined, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  for (const key of Object.keys(labels ?? {}).sort()) {
    errs.push(...validateLabelName(key, path));
    const value = String(labels?.[key] ?? '');
    for (const msg of isValidLabelValue(value)) errs.push(invalid(path, value, msg));
  }
  return errs;
}

export function validateLabelName(name: string, path: string): FieldIssue[] {
  return isQualifiedName(name).map((msg) => invalid(path, name, msg));
}

/** ValidateAnnotations: keys are qualified names compared in lower case; total size 256 KiB. */
export function validateAnnotations(annotations: Readonly<Record<string, string>> | undefined, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  let size = 0;
  for (const key of Object.keys(annotations ?? {}).sort()) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.push(invalid(path, key, msg));
    size += byteLength(key) + byteLength(String(annotations?.[key] ?? ''));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** ValidateLabelSelector (values checked as label values, AllowInvalidLabelValueInSelector off). */
export function validateLabelSelector(selector: LabelSelector | undefined, path: string): FieldIssue[] {
  if (!selector) return [];
  const errs = validateLabels(selector.matchLabels, fieldPath.child(path, 'matchLabels'));
  (selector.matchExpressions ?? []).forEach((expr, i) => {
    errs.push(...validateLabelSelectorRequirement(expr, fieldPath.index(fieldPath.child(path, 'matchExpressions'), i)));
  });
  return errs;
}

function validateLabelSelectorRequirement(req: LabelSelectorRequirement, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(fieldPath.child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) {
        errs.push(forbidden(fieldPath.child(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
      break;
    default:
      errs.push(invalid(fieldPath.child(path, 'operator'), req.operator, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(req.key, fieldPath.child(path, 'key')));
  values.forEach((v, i) => {
    for (const msg of isValidLabelValue(v)) errs.push(invalid(fieldPath.index(fieldPath.child(path, 'values'), i), v, msg));
  });
  return errs;
}

/**
 * metav1.LabelSelectorAsSelector(...).Matches(labels). A nil selector matches nothing, an
 * empty one everything. Returns undefined when the selector cannot be converted (bad
 * operator): upstream then skips the template check.
 */
export function labelSelectorMatches(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>> | undefined,
): boolean | undefined {
  if (!selector) return false;
  if (!selectorConvertible(selector)) return undefined;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(l[req.key] ?? '')) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[req.key] ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return undefined;
    }
  }
  return true;
}

/** labels.NewRequirement rejects what LabelSelectorAsSelector cannot convert. */
function selectorConvertible(selector: LabelSelector): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (isQualifiedName(k).length > 0 || isValidLabelValue(String(v)).length > 0) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const values = req.values ?? [];
    if (isQualifiedName(req.key).length > 0) return false;
    if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) return false;
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) return false;
    if (values.some((v) => isValidLabelValue(v).length > 0)) return false;
  }
  return true;
}
