// Placement fields nodelet evaluates on its one host: tolerations and node affinity
// (ValidateTolerations, validateNodeAffinity / ValidateNodeSelector).
import type { NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Toleration } from 'kubernetes-types/core/v1.js';
import { type FieldIssue, fieldPath, forbidden, invalid, notSupported, required } from './field-issue.js';
import { isDNS1123Subdomain, isValidLabelValue } from './names.js';
import { validateLabelName } from './validate-meta.js';

export const TOLERATION_OPERATORS = ['Equal', 'Exists'] as const;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export function validateTolerations(tolerations: readonly Toleration[] | undefined, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = fieldPath.index(path, i);
    const key = t.key ?? '';
    const operator = t.operator ?? '';
    const value = t.value ?? '';
    const effect = t.effect ?? '';
    if (key.length > 0) errs.push(...validateLabelName(key, fieldPath.child(p, 'key')));
    if (key.length === 0 && operator !== 'Exists') {
      errs.push(
        invalid(fieldPath.child(p, 'operator'), operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'),
      );
    }
    if (t.tolerationSeconds !== undefined && effect !== 'NoExecute') {
      errs.push(invalid(fieldPath.child(p, 'effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (operator) {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(value);
        if (msgs.length > 0) errs.push(invalid(fieldPath.child(p, 'operator'), value, msgs.join(';')));
        break;
      }
      case 'Exists':
        if (value.length > 0) errs.push(invalid(fieldPath.child(p, 'operator'), value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(fieldPath.child(p, 'operator'), operator, TOLERATION_OPERATORS));
    }
    if (effect.length > 0 && !(TAINT_EFFECTS as readonly string[]).includes(effect)) {
      errs.push(notSupported(fieldPath.child(p, 'effect'), effect, TAINT_EFFECTS));
    }
  });
  return errs;
}

export function validateNodeAffinity(na: NodeAffinity | undefined, path: string): FieldIssue[] {
  if (!na) return [];
  const errs: FieldIssue[] = [];
  if (na.requiredDuringSchedulingIgnoredDuringExecution) {
    errs.push(...validateNodeSelector(na.requiredDuringSchedulingIgnoredDuringExecution, fieldPath.child(path, 'requiredDuringSchedulingIgnoredDuringExecution'), false));
  }
  (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((term, i) => {
    const p = fieldPath.index(fieldPath.child(path, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
    if (term.weight <= 0 || term.weight > 100) errs.push(invalid(fieldPath.child(p, 'weight'), term.weight, 'must be in the range 1-100'));
    // Preferred terms may hold values that are not valid label values.
    errs.push(...validateNodeSelectorTerm(term.preference, fieldPath.child(p, 'preference'), true));
  });
  return errs;
}

function validateNodeSelector(ns: NodeSelector, path: string, allowInvalidValues: boolean): FieldIssue[] {
  const termsPath = fieldPath.child(path, 'nodeSelectorTerms');
  const terms = ns.nodeSelectorTerms ?? [];
  if (terms.length === 0) return [required(termsPath, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(t, fieldPath.index(termsPath, i), allowInvalidValues));
}

function validateNodeSelectorTerm(term: NodeSelectorTerm, path: string, allowInvalidValues: boolean): FieldIssue[] {
  const errs: FieldIssue[] = [];
  (term.matchExpressions ?? []).forEach((req, j) => {
    errs.push(...validateNodeSelectorRequirement(req, fieldPath.index(fieldPath.child(path, 'matchExpressions'), j), allowInvalidValues));
  });
  (term.matchFields ?? []).forEach((req, j) => {
    errs.push(...validateNodeFieldSelectorRequirement(req, fieldPath.index(fieldPath.child(path, 'matchFields'), j)));
  });
  return errs;
}

function validateNodeSelectorRequirement(rq: NodeSelectorRequirement, path: string, allowInvalidValues: boolean): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const values = rq.values ?? [];
  const valuesPath = fieldPath.child(path, 'values');
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(valuesPath, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(valuesPath, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(required(valuesPath, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(fieldPath.child(path, 'operator'), rq.operator, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(rq.key, fieldPath.child(path, 'key')));
  if (!allowInvalidValues) {
    values.forEach((v, i) => errs.push(...isValidLabelValue(v).map((m) => invalid(fieldPath.index(valuesPath, i), v, m))));
  }
  return errs;
}

function validateNodeFieldSelectorRequirement(req: NodeSelectorRequirement, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const values = req.values ?? [];
  if (req.operator === 'In' || req.operator === 'NotIn') {
    if (values.length !== 1) {
      errs.push(required(fieldPath.child(path, 'values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    }
  } else {
    errs.push(invalid(fieldPath.child(path, 'operator'), req.operator, 'not a valid selector operator'));
  }
  if (req.key !== 'metadata.name') errs.push(invalid(fieldPath.child(path, 'key'), req.key, 'not a valid field selector key'));
  else values.forEach((v, i) => errs.push(...isDNS1123Subdomain(v).map((m) => invalid(fieldPath.index(fieldPath.child(path, 'values'), i), v, m))));
  return errs;
}
