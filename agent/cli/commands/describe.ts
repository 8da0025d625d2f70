// `nodelet describe pod|daemonset|node [NAME]`: kubectl describe against the local agent, events included.
import type { Command } from 'commander';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { formatClientError } from '../../api/client.js';
import type { NodeletEvent } from '../../events/event-store.js';
import { describeDaemonSet } from '../printers/describe-daemonset.js';
import { describeNode } from '../printers/describe-node.js';
import { describePod } from '../printers/describe-pod.js';
import { parseSelector, selectorMatches, type LabelSelector } from '../label-selector.js';
import { byNamespaceAndName, CliError, commandContext, DEFAULT_NAMESPACE, noResourcesMessage, notFoundError, parseTypeArg, pickPod, podName, podNamespace, runAction, type ClientCommandDeps, type CommandContext } from './context.js';

interface DescribeOptions {
  readonly namespace: string;
  readonly allNamespaces?: boolean;
  readonly selector?: string;
}

type DescribeResource = 'pods' | 'daemonsets' | 'nodes';

const RESOURCES: Readonly<Record<string, DescribeResource>> = {
  pods: 'pods',
  pod: 'pods',
  po: 'pods',
  daemonsets: 'daemonsets',
  daemonset: 'daemonsets',
  ds: 'daemonsets',
  'daemonsets.apps': 'daemonsets',
  'daemonset.apps': 'daemonsets',
  nodes: 'nodes',
  node: 'nodes',
  no: 'nodes',
};

/** What the command line asked for: the resource, the names, and whether kubectl's prefix lookup applies. */
interface Request {
  readonly resource: DescribeResource;
  readonly names: readonly string[];
  /**
   * `describe TYPE NAME` (exactly two arguments, not `TYPE/NAME`): when NAME names nothing,
   * kubectl describes every object of the type whose name starts with it (DescribeMatchingResources).
   */
  readonly prefixLookup: boolean;
}

function parseRequest(resourceArg: string, names: readonly string[]): Request {
  const { resource, name: inline } = parseTypeArg(resourceArg, RESOURCES);
  return { resource, names: inline === undefined ? names : [inline, ...names], prefixLookup: inline === undefined && names.length === 1 };
}

function eventsOfPod(pod: Pod, events: readonly NodeletEvent[]): NodeletEvent[] {
  return events.filter((e) => e.involvedObject.kind === 'Pod' && e.involvedObject.namespace === podNamespace(pod) && e.involvedObject.name === podName(pod));
}

/** The DaemonSet's events (searchEvents: kind, namespace, name and, when both are known, uid). */
function eventsOfDaemonSet(ds: DaemonSet, events: readonly NodeletEvent[]): NodeletEvent[] {
  const uid = ds.metadata?.uid;
  return events.filter(
    (e) =>
      e.involvedObject.kind === 'DaemonSet' &&
      e.involvedObject.namespace === (ds.metadata?.namespace ?? '') &&
      e.involvedObject.name === (ds.metadata?.name ?? '') &&
      (uid === undefined || e.involvedObject.uid === undefined || e.involvedObject.uid === uid),
  );
}

/** The node's events: a Node is cluster-scoped, its events are found by kind and name. */
function eventsOfNode(node: Node, events: readonly NodeletEvent[]): NodeletEvent[] {
  return events.filter((e) => e.involvedObject.kind === 'Node' && e.involvedObject.name === (node.metadata?.name ?? ''));
}

function noResources(opts: DescribeOptions): string {
  return noResourcesMessage(opts.allNamespaces === true ? undefined : opts.namespace);
}

function selectorOf(opts: DescribeOptions): LabelSelector {
  const parsed = parseSelector(opts.selector ?? '');
  if (!parsed.ok) throw new CliError(`error: ${parsed.error}`);
  return parsed.selector;
}

function objectName(o: { readonly metadata?: { readonly name?: string } }): string {
  return o.metadata?.name ?? '';
}

/** The API server's list order: by namespace, then name, as the storage keys sort. */
function byStorageKey(a: { readonly metadata?: { readonly namespace?: string; readonly name?: string } }, b: typeof a): number {
  const key = (o: typeof a): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/**
 * Describes the named objects of one type as kubectl does: every one found, separated by two
 * blank lines, then one NotFound error per missing name (exit status 1). A single
 * `TYPE NAME` that names nothing falls back to the objects whose name starts with NAME, each
 * followed by one blank line (DescribeMatchingResources); none: the NotFound error.
 */
function describeByName<T extends { readonly metadata?: { readonly name?: string } }>(
  ctx: CommandContext,
  all: readonly T[],
  req: Request,
  kind: string,
  describe: (o: T) => string,
): number {
  const found: T[] = [];
  const missing: string[] = [];
  for (const name of req.names) {
    const hit = all.find((o) => objectName(o) === name);
    if (hit) found.push(hit);
    else missing.push(name);
  }
  if (req.prefixLookup && missing.length === 1) {
    const prefix = missing[0] ?? '';
    const matching = all.filter((o) => objectName(o).startsWith(prefix));
    if (matching.length > 0) {
      ctx.out(matching.map((o) => `${describe(o)}\n`).join(''));
      return 0;
    }
  }
  if (found.length > 0) ctx.out(found.map(describe).join('\n\n'));
  for (const name of missing) ctx.err(`${formatClientError(notFoundError(kind, name))}\n`);
  return missing.length > 0 ? 1 : 0;
}

/** kubectl's builder refuses names together with a selector, and names across all namespaces. */
function checkNames(req: Request, opts: DescribeOptions, namespaced: boolean): void {
  if (req.names.length === 0) return;
  if (opts.selector !== undefined && opts.selector !== '') throw new CliError('error: name cannot be provided when a selector is specified');
  if (namespaced && opts.allNamespaces === true) throw new CliError('error: a resource cannot be retrieved by name across all namespaces');
}

async function describePods(ctx: CommandContext, req: Request, opts: DescribeOptions): Promise<number> {
  let pods: Pod[];
  if (req.names.length > 0) {
    const all = await ctx.client.listPods();
    pods = req.names.map((name) => pickPod(all, opts.namespace, name));
  } else {
    const selector = selectorOf(opts);
    pods = (await ctx.client.listPods())
      .filter((p) => opts.allNamespaces === true || podNamespace(p) === opts.namespace)
      .filter((p) => selectorMatches(selector, p.metadata?.labels))
      .sort(byNamespaceAndName);
    if (pods.length === 0) {
      ctx.err(noResources(opts));
      return 0;
    }
  }
  const events = await ctx.client.listEvents();
  const now = ctx.clock.now();
  // kubectl separates several descriptions with two blank lines.
  ctx.out(pods.map((pod) => describePod(pod, eventsOfPod(pod, events), now)).join('\n\n'));
  return 0;
}

async function describeDaemonSets(ctx: CommandContext, req: Request, opts: DescribeOptions): Promise<number> {
  checkNames(req, opts, true);
  const selector = selectorOf(opts);
  const namespace = opts.allNamespaces === true && req.names.length === 0 ? undefined : opts.namespace;
  const all = (await ctx.client.listDaemonSets(namespace)).sort(byStorageKey);
  const [pods, events] = await Promise.all([ctx.client.listPods(), ctx.client.listEvents()]);
  const now = ctx.clock.now();
  const describe = (ds: DaemonSet): string => describeDaemonSet(ds, pods, eventsOfDaemonSet(ds, events), now);
  if (req.names.length > 0) return describeByName(ctx, all, req, 'daemonsets.apps', describe);
  const selected = all.filter((ds) => selectorMatches(selector, ds.metadata?.labels));
  if (selected.length === 0) ctx.err(noResources(opts));
  else ctx.out(selected.map(describe).join('\n\n'));
  return 0;
}

async function describeNodes(ctx: CommandContext, req: Request, opts: DescribeOptions): Promise<number> {
  checkNames(req, opts, false);
  const selector = selectorOf(opts);
  // An agent without plugin registration has no CSINode route: the section is left out.
  const [node, pods, events, csiNode] = await Promise.all([ctx.client.node(), ctx.client.listPods(), ctx.client.listEvents(), ctx.client.csiNode().catch(() => undefined)]);
  const now = ctx.clock.now();
  const describe = (n: Node): string => describeNode(n, pods, eventsOfNode(n, events), now, {}, csiNode?.spec.drivers ?? []);
  if (req.names.length > 0) return describeByName(ctx, [node], req, 'nodes', describe);
  if (!selectorMatches(selector, node.metadata?.labels)) ctx.err(noResources(opts));
  else ctx.out(describe(node));
  return 0;
}

export function registerDescribeCommand(program: Command, deps: ClientCommandDeps = {}): void {
  program
    .command('describe')
    .description('show details of pods, DaemonSets or the node, with their events, as kubectl describe does')
    .argument('<resource>', 'pods (po), daemonsets (ds), nodes (no); or TYPE/NAME: pod/NAME, ds/NAME, daemonset/NAME, node/NAME')
    .argument('[names...]', 'names (a pod name may leave out the node suffix; the node name may be left out); none: every object of the namespace')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .option('-A, --all-namespaces', 'describe pods or DaemonSets of all namespaces')
    .option('-l, --selector <selector>', 'label selector')
    .action(async (resourceArg: string, names: string[], opts: DescribeOptions, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const req = parseRequest(resourceArg, names);
        switch (req.resource) {
          case 'pods':
            return describePods(ctx, req, opts);
          case 'daemonsets':
            return describeDaemonSets(ctx, req, opts);
          case 'nodes':
            return describeNodes(ctx, req, opts);
        }
      });
    });
}
