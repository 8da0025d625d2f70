// A v1 PodList document: each item is a static pod. The kubelet decodes a PodList with
// config/common.go tryDecodePodList, used by its manifest-URL source (its file source takes one
// Pod per file, and nodelet already takes several documents per file): every item is defaulted
// and validated like a single pod, and one invalid item makes the whole list an error, which the
// file source's all-or-nothing rule (desired-store.ts) gives here too. A generic `kind: List`
// stays refused, as by the kubelet's decoder (it is not a PodList). Pure: no I/O.
import type { Diagnostic } from '../core/types.js';
import { plainIssue, type FieldIssue } from './field-issue.js';

export const POD_LIST_KIND = 'PodList';

/** ListMeta and TypeMeta: what a PodList may hold besides `items`. */
const LIST_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'items']);
const LIST_META_KEYS = new Set(['resourceVersion', 'continue', 'remainingItemCount', 'selfLink']);

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A `v1` `PodList`; any other apiVersion goes through checkKind, which refuses it with a hint. */
export function isPodList(value: Record<string, unknown>): boolean {
  return value['kind'] === POD_LIST_KIND && value['apiVersion'] === 'v1';
}

export interface PodListSplit {
  /** Each item as a Pod document (apiVersion and kind filled in when the item has none), with its index. */
  readonly items: readonly { readonly index: number; readonly value: Record<string, unknown> }[];
  /** Problems of the list itself, or of an item's shape; any of them refuses the list. */
  readonly errors: readonly FieldIssue[];
  /** Fields a PodList does not have: errors in strict mode, warnings otherwise. */
  readonly unknownFields: readonly FieldIssue[];
}

const unknownField = (field: string): FieldIssue => ({ field, message: `unknown field "${field}"` });

/**
 * The items of a PodList. An item's own apiVersion/kind, when present, must say v1 Pod (the
 * typed list would silently ignore them; saying so is kinder than running something else).
 */
export function splitPodList(list: Record<string, unknown>): PodListSplit {
  const errors: FieldIssue[] = [];
  const unknownFields: FieldIssue[] = [];
  for (const key of Object.keys(list)) if (!LIST_KEYS.has(key)) unknownFields.push(unknownField(key));
  const metadata = asRecord(list['metadata']);
  if (list['metadata'] !== undefined && metadata === undefined) errors.push(plainIssue('metadata', 'metadata: Invalid value: must be an object'));
  for (const key of Object.keys(metadata ?? {})) if (!LIST_META_KEYS.has(key)) unknownFields.push(unknownField(`metadata.${key}`));

  const raw = list['items'];
  if (raw === undefined) return { items: [], errors, unknownFields };
  if (!Array.isArray(raw)) {
    errors.push(plainIssue('items', 'items: Invalid value: must be a list of Pods'));
    return { items: [], errors, unknownFields };
  }
  const items: { index: number; value: Record<string, unknown> }[] = [];
  raw.forEach((value: unknown, i) => {
    const item = asRecord(value);
    const at = `items[${i}]`;
    if (item === undefined) {
      errors.push(plainIssue(at, `${at}: Invalid value: must be a Pod object`));
      return;
    }
    const apiVersion = item['apiVersion'] ?? 'v1';
    const kind = item['kind'] ?? 'Pod';
    if (apiVersion !== 'v1' || kind !== 'Pod') {
      errors.push(plainIssue(`${at}.kind`, `${at}: Invalid value: a PodList holds v1 Pods, not ${String(apiVersion)} ${String(kind)}`, 'move other objects to their own YAML document'));
      return;
    }
    items.push({ index: i, value: { ...item, apiVersion: 'v1', kind: 'Pod' } });
  });
  return { items, errors, unknownFields };
}

/**
 * A diagnostic of item `index`, with its field path under `items[index]` (as kubectl names a
 * field of a list), in both the field and the message.
 */
export function inItem(d: Diagnostic, index: number): Diagnostic {
  const prefix = `items[${index}]`;
  const field = d.field === undefined || d.field === '' ? prefix : `${prefix}.${d.field}`;
  let message: string;
  if (d.field !== undefined && d.field !== '' && d.message.startsWith(`${d.field}:`)) message = `${prefix}.${d.message}`;
  else if (d.field !== undefined && d.field !== '' && d.message.includes(`"${d.field}"`)) message = d.message.replace(`"${d.field}"`, `"${field}"`);
  else message = `${prefix}: ${d.message}`;
  return { ...d, field, message };
}
