// -o json|yaml|name as kubectl prints them: JSON indented by 4, YAML with sorted keys, a `List`
// wrapper for several objects, `kind/name` lines. Pure.
import { encodeYaml } from '../../manifest/decode.js';
import { CliError } from './context.js';

export type OutputFormat = '' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutputFormat(value: string | undefined, allowed: readonly OutputFormat[]): OutputFormat {
  const format = (value ?? '') as OutputFormat;
  if (allowed.includes(format)) return format;
  const names = allowed.filter((f) => f !== '').sort();
  throw new CliError(`error: unable to match a printer suitable for the output format "${value ?? ''}", allowed formats are: ${names.join(',')}`);
}

/** kubectl's order of top-level fields, whatever order the object arrived in. */
export function withKind<T extends object>(object: T, apiVersion: string, kind: string): Record<string, unknown> {
  const source = object as Record<string, unknown>;
  const ordered: Record<string, unknown> = { apiVersion: source.apiVersion ?? apiVersion, kind: source.kind ?? kind };
  for (const [key, value] of Object.entries(source)) if (!(key in ordered)) ordered[key] = value;
  return ordered;
}

function asList(items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** One object as is, several (or a listing) in a List. */
export function renderObjects(objects: readonly Record<string, unknown>[], format: 'json' | 'yaml', single: boolean): string {
  const value = single && objects.length === 1 ? objects[0] : asList(objects);
  return format === 'json' ? `${JSON.stringify(value, null, 4)}\n` : encodeYaml(value);
}
