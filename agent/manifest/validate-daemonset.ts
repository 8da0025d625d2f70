// Semantic validation of a defaulted apps/v1 DaemonSet (pkg/apis/apps/validation:
// ValidateDaemonSet, ValidateDaemonSetSpec, ValidateRollingUpdateDaemonSet), its pod
// template included, plus the static-pod restrictions nodelet applies to the pods it makes.
import type { DaemonSet, DaemonSetUpdateStrategy } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import {
  type FieldIssue,
  GoLiteral,
  dedupeIssues,
  fieldPath,
  forbidden,
  goQuote,
  goStringMap,
  invalid,
  notSupported,
  plainIssue,
  required,
  withHint,
} from './field-issue.js';
import { NEGATIVE_ERROR, isValidPercent } from './names.js';
import { staticPodRestrictions } from './static-pod-restrictions.js';
import { labelSelectorMatches, validateAnnotations, validateLabelSelector, validateLabels, validateObjectMeta } from './validate-meta.js';
import { validatePodSpecificAnnotations } from './validate-pod-annotations.js';
import { validatePodSpec } from './validate-pod.js';

export const DAEMONSET_UPDATE_STRATEGIES = ['RollingUpdate', 'OnDelete'] as const;

type IntOrString = number | string;

/** Validates a defaulted apps/v1 DaemonSet on create. */
export function validateDaemonSet(ds: DaemonSet, opts: { readonly restrictionsChecked?: boolean } = {}): FieldIssue[] {
  const issues = validateObjectMeta(ds.metadata, 'metadata');
  const spec = ds.spec;
  if (!spec) {
    issues.push(invalid('spec.template.metadata.labels', goStringMap(undefined), '`selector` does not match template `labels`'));
    return dedupeIssues(issues);
  }
  const template = spec.template ?? {};
  const templateLabels = template.metadata?.labels;

  issues.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (labelSelectorMatches(spec.selector, templateLabels) === false) {
    const mismatch = invalid('spec.template.metadata.labels', goStringMap(templateLabels), '`selector` does not match template `labels`');
    issues.push(
      spec.selector === undefined
        ? withHint(mismatch, 'apps/v1 requires spec.selector; set spec.selector.matchLabels to the template labels')
        : mismatch,
    );
  }
  if (spec.selector && Object.keys(spec.selector.matchLabels ?? {}).length + (spec.selector.matchExpressions ?? []).length === 0) {
    issues.push(invalid('spec.selector', selectorLiteral(spec.selector), 'empty selector is invalid for daemonset'));
  }

  // ValidatePodTemplateSpec: its label and annotation errors name `spec.template.labels` (sic).
  issues.push(...validateLabels(templateLabels, 'spec.template.labels'));
  issues.push(...validateAnnotations(template.metadata?.annotations, 'spec.template.annotations'));
  const podSpec = template.spec ?? { containers: [] };
  issues.push(...validatePodSpecificAnnotations(template.metadata?.annotations, podSpec, 'spec.template.annotations'));
  issues.push(...validatePodSpec(podSpec, 'spec.template.spec', { resourceIsPod: false }));
  if ((podSpec.ephemeralContainers ?? []).length > 0) {
    issues.push(forbidden('spec.template.spec.ephemeralContainers', 'ephemeral containers not allowed in pod template'));
  }

  if (podSpec.restartPolicy !== 'Always') {
    issues.push(notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy ?? '', ['Always']));
  }
  if (podSpec.activeDeadlineSeconds !== undefined) {
    issues.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  const minReady = spec.minReadySeconds ?? 0;
  if (minReady < 0) issues.push(invalid('spec.minReadySeconds', minReady, NEGATIVE_ERROR));
  issues.push(...validateUpdateStrategy(spec.updateStrategy ?? {}, 'spec.updateStrategy'));
  if (spec.revisionHistoryLimit !== undefined && spec.revisionHistoryLimit < 0) {
    issues.push(invalid('spec.revisionHistoryLimit', spec.revisionHistoryLimit, NEGATIVE_ERROR));
  }
  // parse-file.ts checks the restrictions first, on the document as decoded.
  if (opts.restrictionsChecked !== true) issues.push(...staticPodRestrictions(podSpec, 'spec.template.spec'));
  return dedupeIssues(issues);
}

/**
 * Advice the API server does not give: a surge rollout starts the new pod next to the old
 * one, and on one host two pods cannot hold the same host port (kubernetes#106417).
 */
export function daemonSetWarnings(ds: DaemonSet): FieldIssue[] {
  const rolling = ds.spec?.updateStrategy?.rollingUpdate;
  const podSpec = ds.spec?.template?.spec;
  if (ds.spec?.updateStrategy?.type !== 'RollingUpdate' || intOrPercentValue(rolling?.maxSurge) === 0) return [];
  const usesHostPorts =
    podSpec?.hostNetwork === true ||
    [...(podSpec?.containers ?? []), ...(podSpec?.initContainers ?? [])].some((c) => (c.ports ?? []).some((p) => (p.hostPort ?? 0) > 0));
  if (!usesHostPorts) return [];
  return [
    plainIssue(
      'spec.updateStrategy.rollingUpdate.maxSurge',
      'spec.updateStrategy.rollingUpdate.maxSurge: surge with host ports or hostNetwork: the new pod cannot bind the ports while the old one runs',
      'use maxSurge: 0 and maxUnavailable: 1',
    ),
  ];
}

function validateUpdateStrategy(strategy: DaemonSetUpdateStrategy, path: string): FieldIssue[] {
  switch (strategy.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate':
      if (!strategy.rollingUpdate) return [required(fieldPath.child(path, 'rollingUpdate'))];
      return validateRollingUpdate(strategy.rollingUpdate.maxUnavailable, strategy.rollingUpdate.maxSurge, fieldPath.child(path, 'rollingUpdate'));
    default: {
      // Go prints the whole internal struct with %#v.
      const ru = strategy.rollingUpdate ? '(...)' : '(nil)';
      const literal = new GoLiteral(`apps.DaemonSetUpdateStrategy{Type:${goQuote(strategy.type ?? '')}, RollingUpdate:(*apps.RollingUpdateDaemonSet)${ru}}`);
      return [notSupported(path, literal, DAEMONSET_UPDATE_STRATEGIES)];
    }
  }
}

function validateRollingUpdate(maxUnavailable: IntOrString | undefined, maxSurge: IntOrString | undefined, path: string): FieldIssue[] {
  const unavailablePath = fieldPath.child(path, 'maxUnavailable');
  const surgePath = fieldPath.child(path, 'maxSurge');
  const errs = [...validatePositiveIntOrPercent(maxUnavailable, unavailablePath), ...validatePositiveIntOrPercent(maxSurge, surgePath)];
  errs.push(...notMoreThan100Percent(maxUnavailable, unavailablePath), ...notMoreThan100Percent(maxSurge, surgePath));
  const hasUnavailable = intOrPercentValue(maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(maxSurge) !== 0;
  if (hasUnavailable && hasSurge) errs.push(invalid(surgePath, intOrStringLiteral(maxSurge), 'may not be set when maxUnavailable is non-zero'));
  else if (!hasUnavailable && !hasSurge) errs.push(required(unavailablePath, 'cannot be 0 when maxSurge is 0'));
  return errs;
}

/** IntOrString prints through its String(): the number, or the string unquoted. */
function intOrStringLiteral(v: IntOrString | undefined): GoLiteral {
  return new GoLiteral(String(v ?? 0));
}

function validatePositiveIntOrPercent(v: IntOrString | undefined, path: string): FieldIssue[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(path, intOrStringLiteral(v), m));
  const n = v ?? 0;
  if (!Number.isInteger(n)) return [invalid(path, intOrStringLiteral(n), "must be an integer or percentage (e.g '5%%')")];
  return n < 0 ? [invalid(path, n, NEGATIVE_ERROR)] : [];
}

function percentValue(v: IntOrString | undefined): number | undefined {
  return typeof v === 'string' && isValidPercent(v).length === 0 ? Number(v.slice(0, -1)) : undefined;
}

function notMoreThan100Percent(v: IntOrString | undefined, path: string): FieldIssue[] {
  const pct = percentValue(v);
  return pct !== undefined && pct > 100 ? [invalid(path, intOrStringLiteral(v), 'must not be greater than 100%')] : [];
}

/** getIntOrPercentValue: a valid percent's number, an int, or a numeric string (IntValue), else 0. */
function intOrPercentValue(v: IntOrString | undefined): number {
  const pct = percentValue(v);
  if (pct !== undefined) return pct;
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string' && /^[+-]?[0-9]+$/.test(v)) return Number(v);
  return 0;
}

/** The gogo-protobuf String() of *metav1.LabelSelector, which Go uses to print the bad value. */
function selectorLiteral(selector: LabelSelector): GoLiteral {
  const labels = Object.keys(selector.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${selector.matchLabels?.[k] ?? ''},`)
    .join('');
  const exprs = (selector.matchExpressions ?? [])
    .map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`)
    .join('');
  return new GoLiteral(`&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`);
}
