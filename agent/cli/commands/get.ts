// `nodelet get pods|events|manifests|node`: kubectl get against the local agent.
import { Command, Option } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { canonicalJson } from '../../core/hash.js';
import { formatClientError } from '../../api/client.js';
import type { NodeletEvent } from '../../events/event-store.js';
import { printPods } from '../printers/pods.js';
import { printEvents } from '../printers/events.js';
import { parseSelector, selectorMatches, type LabelSelector } from '../label-selector.js';
import { resolvePod } from '../resolve-pod.js';
import { byNamespaceAndName, CliError, commandContext, DEFAULT_NAMESPACE, INTERRUPTED_EXIT_CODE, noResourcesMessage, notFoundError, parseTypeArg, podName, podNamespace, runAction, type ClientCommandDeps, type CommandContext } from './context.js';
import { printManifests, printNodes, reportingLine } from './get-tables.js';
import { parseOutputFormat, renderObjects, withKind, type OutputFormat } from './output.js';
import { getControllerRevisions, getDaemonSets } from './daemonsets.js';
import { formatLabels } from '../../daemonset/status.js';

interface GetOptions {
  readonly output?: string;
  readonly namespace?: string;
  readonly allNamespaces?: boolean;
  readonly selector?: string;
  readonly watch?: boolean;
  readonly headers: boolean;
  readonly showLabels?: boolean;
}

type Resource = 'pods' | 'events' | 'manifests' | 'node' | 'daemonsets' | 'controllerrevisions';

const RESOURCE_ALIASES: Readonly<Record<string, Resource>> = {
  pods: 'pods',
  pod: 'pods',
  po: 'pods',
  events: 'events',
  event: 'events',
  ev: 'events',
  manifests: 'manifests',
  manifest: 'manifests',
  nodes: 'node',
  node: 'node',
  no: 'node',
  daemonsets: 'daemonsets',
  daemonset: 'daemonsets',
  ds: 'daemonsets',
  'daemonsets.apps': 'daemonsets',
  controllerrevisions: 'controllerrevisions',
  controllerrevision: 'controllerrevisions',
  'controllerrevisions.apps': 'controllerrevisions',
};

/** `pods`, or kubectl's `pod/web` form that carries a name. */
export function parseResourceArg(arg: string): { resource: Resource; name?: string } {
  return parseTypeArg(arg, RESOURCE_ALIASES);
}

interface PodQuery {
  /** undefined: all namespaces */
  readonly namespace: string | undefined;
  readonly selector: LabelSelector;
  /** Exact pod names after resolution; empty: every pod that matches. */
  readonly names: readonly string[];
}

function selectPods(pods: readonly Pod[], q: PodQuery): Pod[] {
  return pods
    .filter((p) => q.namespace === undefined || podNamespace(p) === q.namespace)
    .filter((p) => selectorMatches(q.selector, p.metadata?.labels))
    .filter((p) => q.names.length === 0 || q.names.includes(podName(p)))
    .sort(byNamespaceAndName);
}

function renderPods(pods: readonly Pod[], format: OutputFormat, q: PodQuery, ctx: CommandContext, headers: boolean, single: boolean): string {
  if (format === 'name') return pods.map((p) => `pod/${podName(p)}\n`).join('');
  if (format === 'json' || format === 'yaml') return renderObjects(pods.map((p) => withKind(p, 'v1', 'Pod')), format, single);
  return printPods([...pods], { wide: format === 'wide', now: ctx.clock.now(), showNamespace: q.namespace === undefined, noHeaders: !headers });
}

async function getPods(ctx: CommandContext, names: readonly string[], opts: GetOptions, format: OutputFormat): Promise<number> {
  const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? DEFAULT_NAMESPACE);
  if (namespace === undefined && names.length > 0) throw new CliError('error: a resource cannot be retrieved by name across all namespaces');
  const parsed = parseSelector(opts.selector ?? '');
  if (!parsed.ok) throw new CliError(`error: ${parsed.error}`);
  const all = await ctx.client.listPods();
  const resolved: string[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const found = resolvePod(all, namespace ?? DEFAULT_NAMESPACE, name);
    if (found.ok) resolved.push(podName(found.pod));
    else if (found.reason === 'NotFound') missing.push(name);
    else throw new CliError(`error: ${found.message}`);
  }
  const query: PodQuery = { namespace, selector: parsed.selector, names: resolved };
  const pods = names.length > 0 && resolved.length === 0 ? [] : selectPods(all, query);
  if (pods.length > 0) ctx.out(renderPods(pods, format, query, ctx, opts.headers, names.length === 1));
  for (const name of missing) ctx.err(`${formatClientError(notFoundError('pods', name))}\n`);
  if (missing.length > 0) return 1;
  if (pods.length === 0 && names.length === 0 && !opts.watch) ctx.err(noResourcesMessage(namespace));
  if (opts.watch) return watchPods(ctx, query, format, pods, opts.headers && pods.length === 0);
  return 0;
}

/**
 * `-w`: poll the agent and print each pod whose object changed, and each pod that went away,
 * as kubectl prints watch events: one row (or object) per change, no new header. Ends on SIGINT.
 */
async function watchPods(ctx: CommandContext, query: PodQuery, format: OutputFormat, initial: readonly Pod[], needsHeader: boolean): Promise<number> {
  const key = (p: Pod): string => `${podNamespace(p)}/${podName(p)}`;
  let known = new Map(initial.map((p) => [key(p), { pod: p, print: canonicalJson(p) }]));
  let headerPending = needsHeader && format !== 'name' && format !== 'json' && format !== 'yaml';
  const stop = new AbortController();
  const off = ctx.io.onInterrupt(() => stop.abort());
  const emit = (pod: Pod): void => {
    if (format === 'json' || format === 'yaml') {
      const object = renderObjects([withKind(pod, 'v1', 'Pod')], format, true);
      ctx.out(format === 'json' ? object : `---\n${object}`);
      return;
    }
    ctx.out(renderPods([pod], format, query, ctx, headerPending, true));
    headerPending = false;
  };
  try {
    for (;;) {
      try {
        await ctx.clock.sleep(ctx.watchIntervalMs, stop.signal);
      } catch {
        return INTERRUPTED_EXIT_CODE;
      }
      const pods = selectPods(await ctx.client.listPods(), query);
      const next = new Map(pods.map((p) => [key(p), { pod: p, print: canonicalJson(p) }]));
      for (const [k, entry] of next) if (known.get(k)?.print !== entry.print) emit(entry.pod);
      for (const [k, entry] of known) if (!next.has(k)) emit(entry.pod);
      known = next;
    }
  } finally {
    off();
  }
}

async function getEvents(ctx: CommandContext, opts: GetOptions, format: OutputFormat): Promise<number> {
  const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? DEFAULT_NAMESPACE);
  const events: NodeletEvent[] = await ctx.client.listEvents(namespace);
  if (format === 'json' || format === 'yaml') {
    ctx.out(renderObjects(events as unknown as Record<string, unknown>[], format, false));
    return 0;
  }
  if (events.length === 0) {
    ctx.err(noResourcesMessage(namespace));
    return 0;
  }
  ctx.out(printEvents(events, { now: ctx.clock.now(), showNamespace: namespace === undefined }));
  return 0;
}

async function getNode(ctx: CommandContext, names: readonly string[], opts: GetOptions, format: OutputFormat): Promise<number> {
  const node = await ctx.client.node();
  const name = node.metadata?.name ?? '';
  const other = names.find((n) => n !== name);
  if (other !== undefined) throw notFoundError('nodes', other);
  if (format === 'name') ctx.out(`node/${name}\n`);
  else if (format === 'json' || format === 'yaml') ctx.out(renderObjects([withKind(node, 'v1', 'Node')], format, names.length === 1));
  else {
    let table = printNodes([node], { wide: format === 'wide', now: ctx.clock.now(), noHeaders: !opts.headers });
    if (opts.showLabels) table = withLabelsColumn(table, formatLabels(node.metadata?.labels), opts.headers);
    ctx.out(table);
    if (opts.headers) ctx.err(`${reportingLine(node, ctx.clock.now())}\n`);
  }
  return 0;
}

/** --show-labels on the one-node table: a LABELS column at the end. */
function withLabelsColumn(table: string, labels: string, headers: boolean): string {
  const lines = table.split('\n').filter((l) => l !== '');
  const width = Math.max(...lines.map((l) => l.length)) + 3;
  return lines.map((l, i) => `${l.padEnd(width)}${headers && i === 0 ? 'LABELS' : labels}\n`).join('');
}

async function getManifests(ctx: CommandContext, opts: GetOptions, format: OutputFormat): Promise<number> {
  const files = await ctx.client.manifests();
  if (format === 'json' || format === 'yaml') {
    ctx.out(renderObjects(files as unknown as Record<string, unknown>[], format, false));
    return 0;
  }
  if (files.length === 0) {
    ctx.err(noResourcesMessage(undefined));
    return 0;
  }
  ctx.out(printManifests(files, { noHeaders: !opts.headers }));
  return 0;
}

const FORMATS: Readonly<Record<Resource, readonly OutputFormat[]>> = {
  pods: ['', 'wide', 'json', 'yaml', 'name'],
  events: ['', 'json', 'yaml'],
  node: ['', 'wide', 'json', 'yaml', 'name'],
  manifests: ['', 'json', 'yaml'],
  daemonsets: ['', 'wide', 'json', 'yaml', 'name'],
  controllerrevisions: ['', 'json', 'yaml', 'name'],
};

export function registerGetCommand(program: Command, deps: ClientCommandDeps = {}): void {
  program
    .command('get')
    .description('display pods, events, manifest files or the node, as kubectl get does')
    .argument('<resource>', 'pods (po), events (ev), manifests, node (no), daemonsets (ds), controllerrevisions; or pod/NAME')
    .argument('[names...]', 'pod names (the node suffix may be left out)')
    .option('-o, --output <format>', 'output format: wide, yaml, json or name')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-l, --selector <selector>', "label selector, e.g. -l 'app=web,tier!=cache'")
    .option('-w, --watch', 'after listing, print changes until interrupted')
    .addOption(new Option('--no-headers', 'do not print the header row'))
    .option('--show-labels', 'show the labels as the last column (node, daemonsets)')
    .action(async (resourceArg: string, names: string[], opts: GetOptions, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const { resource, name } = parseResourceArg(resourceArg);
        const allNames = name === undefined ? names : [name, ...names];
        const format = parseOutputFormat(opts.output, FORMATS[resource]);
        switch (resource) {
          case 'pods':
            return getPods(ctx, allNames, opts, format);
          case 'events':
            return getEvents(ctx, opts, format);
          case 'node':
            return getNode(ctx, allNames, opts, format);
          case 'manifests':
            return getManifests(ctx, opts, format);
          case 'daemonsets':
          case 'controllerrevisions': {
            const list = { namespace: opts.allNamespaces ? undefined : (opts.namespace ?? DEFAULT_NAMESPACE), names: allNames, headers: opts.headers, showLabels: opts.showLabels === true };
            return resource === 'daemonsets' ? getDaemonSets(ctx, list, format) : getControllerRevisions(ctx, list, format);
          }
        }
      });
    });
}
