// Tables `get node` and `get manifests` print. The node table is kubectl's printNode; the
// manifest table is nodelet's own view of its manifest directory. Pure.
import type { Node } from 'kubernetes-types/core/v1.js';
import type { FileStatus } from '../../core/types.js';
import { formatErrors, formatWarnings } from '../../manifest/format-diagnostics.js';
import { nodeRoles as labelRoles } from '../../node/node-model.js';
import { parseTimestamp, shortHumanDuration, timestampSince } from '../printers/duration.js';
import { printTable } from '../printers/table.js';

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and the `kubernetes.io/role` value. */
export function nodeRoles(node: Node): string[] {
  return labelRoles(node.metadata?.labels ?? {});
}

export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const status = ready === undefined ? ['Unknown'] : [ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (node.spec?.unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

function address(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

export function printNodes(nodes: readonly Node[], opts: { wide: boolean; now: number; noHeaders: boolean }): string {
  const headers = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'];
  if (opts.wide) headers.push('INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME');
  const rows = nodes.map((node) => {
    const info = node.status?.nodeInfo;
    const roles = nodeRoles(node);
    const row = [node.metadata?.name ?? '', nodeStatus(node), roles.length > 0 ? roles.join(',') : '<none>', timestampSince(node.metadata?.creationTimestamp, opts.now), info?.kubeletVersion ?? ''];
    if (opts.wide) {
      row.push(address(node, 'InternalIP'), address(node, 'ExternalIP'), info?.osImage || '<unknown>', info?.kernelVersion || '<unknown>', info?.containerRuntimeVersion || '<unknown>');
    }
    return row;
  });
  return printTable(opts.noHeaders ? [] : headers, rows);
}

/** FILE STATUS OBJECTS ERRORS, then each file's errors, note and warnings as the agent logs them. */
export function printManifests(files: readonly FileStatus[], opts: { noHeaders: boolean }): string {
  const rows = files.map((f) => [f.file, f.state, String(f.objects.length), String(f.errors.length)]);
  let text = printTable(opts.noHeaders ? [] : ['FILE', 'STATUS', 'OBJECTS', 'ERRORS'], rows);
  const details = files
    .flatMap((f) => {
      const result = { file: f.file, objects: [], errors: f.errors, warnings: f.warnings };
      // What happens to a refused or invalid file's objects (kept, restored, none in force).
      const note = f.note === undefined ? '' : `${f.file}: ${f.note}`;
      return [formatErrors(result), note, formatWarnings(result)];
    })
    .filter((block) => block !== '');
  if (details.length > 0) text += `\n${details.join('\n')}\n`;
  return text;
}

const REPORTING = 'nodelet.io/reporting-';

/**
 * One line on reporting to an API server, from the node's `nodelet.io/reporting-*` annotations
 * (mirror/reporting-state.ts): `get node` prints it after the table, on stderr, so that stdout
 * stays kubectl's table.
 */
export function reportingLine(node: Node, now: number): string {
  const a = node.metadata?.annotations ?? {};
  if (a[`${REPORTING}enabled`] !== 'true') return 'API server reporting: off (no kubeconfig configured)';
  const ago = (key: string): string => {
    const at = parseTimestamp(a[`${REPORTING}${key}`]);
    return at === undefined ? 'never' : `${shortHumanDuration(Math.max(0, now - at))} ago`;
  };
  const parts = [`API server reporting to ${a[`${REPORTING}server`] ?? '<unknown>'}: last success ${ago('last-success')}`];
  const backoffUntil = parseTimestamp(a[`${REPORTING}backoff-until`]);
  if (backoffUntil !== undefined && backoffUntil > now) parts.push(`backing off for ${shortHumanDuration(backoffUntil - now)}`);
  const lastError = a[`${REPORTING}last-error`];
  if (lastError) parts.push(`last error ${ago('last-error-at')}: ${lastError}`);
  return parts.join('; ');
}
