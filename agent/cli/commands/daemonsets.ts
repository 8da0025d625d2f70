// DaemonSet and node commands, as kubectl words them: `label node`, `taint node`,
// `rollout status|history|undo|restart ds/NAME`, `set image ds/NAME C=IMAGE`, and the
// `get ds` / `get controllerrevisions` tables. Changes go through the agent's API: the agent
// owns the node state and the manifest files (it rewrites the file; its watcher applies it).
import { Command, Option } from 'commander';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import { ApiStatusError } from '../../api/client.js';
import { parseDuration } from '../../core/duration.js';
import { daemonSetCells, formatLabels } from '../../daemonset/status.js';
import { rolloutStatus } from '../../daemonset/rollout-messages.js';
import { rolloutHistory } from '../printers/rollout.js';
import { nodeNotFoundError, splitLabelCommandArgs, splitTaintCommandArgs } from '../../node/node-model.js';
import { timestampSince } from '../printers/duration.js';
import { printTable } from '../printers/table.js';
import { CliError, commandContext, DEFAULT_NAMESPACE, noResourcesMessage, notFoundError, parseIntFlag, runAction, type ClientCommandDeps, type CommandContext } from './context.js';
import { renderObjects, withKind, type OutputFormat } from './output.js';

const DS_TYPES = new Set(['ds', 'daemonset', 'daemonsets', 'daemonset.apps', 'daemonsets.apps']);
const NODE_TYPES = new Set(['node', 'nodes', 'no']);

/** `ds/NAME` or `ds NAME` → the DaemonSet name; other kinds are refused as kubectl refuses them. */
export function parseDaemonSetRef(args: readonly string[], verb: string): string {
  const [first = '', second] = args;
  const [type = '', inline] = first.split('/', 2);
  if (!DS_TYPES.has(type.toLowerCase())) {
    throw new CliError(type === '' ? `error: required resource not specified` : `error: ${verb} is not supported for resource type "${type}" here; use ds/NAME`);
  }
  const name = inline ?? second;
  if (!name) throw new CliError('error: required resource not specified');
  return name;
}

/** A 400 from the agent is a refusal of the request as kubectl itself would refuse it. */
function refusal(err: unknown): never {
  if (err instanceof ApiStatusError && err.status.code === 400) {
    const msg = err.status.message;
    throw new CliError(msg.startsWith('The ') ? msg.trimEnd() : `error: ${msg}`);
  }
  throw err;
}

/** Node commands name this node as `node`, `node NAME` or `node/NAME`. */
async function checkNodeResources(ctx: CommandContext, resources: readonly string[]): Promise<void> {
  const nodeName = (await ctx.client.node()).metadata?.name ?? '';
  const names: string[] = [];
  for (let i = 0; i < resources.length; i++) {
    const [type = '', inline] = (resources[i] ?? '').split('/', 2);
    if (!NODE_TYPES.has(type.toLowerCase())) throw new CliError(`error: the server doesn't have a resource type "${type}"`);
    if (inline !== undefined) names.push(inline);
    else while (i + 1 < resources.length && !(resources[i + 1] ?? '').includes('/') && !NODE_TYPES.has((resources[i + 1] ?? '').toLowerCase())) names.push(resources[++i] ?? '');
  }
  const other = names.find((n) => n !== nodeName);
  if (other !== undefined) throw new CliError(nodeNotFoundError(other));
}

export function registerNodeCommands(program: Command, deps: ClientCommandDeps = {}): void {
  program
    .command('label')
    .description('update the labels of this node: label node [NAME] KEY=VAL ... KEY- [--overwrite]')
    .argument('<args...>', 'node [NAME] then KEY=VALUE to set, KEY- to remove')
    .option('--overwrite', 'allow changing labels that already have a value', false)
    .action(async (args: string[], opts: { overwrite: boolean }, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const split = splitLabelCommandArgs(args);
        if (!split.ok) throw new CliError(`error: ${split.error}`);
        await checkNodeResources(ctx, split.value.resources);
        const out = await ctx.client.labelNode(split.value.labels, opts.overwrite).catch(refusal);
        for (const n of out.notices) ctx.out(`${n}\n`);
        ctx.out(`${out.message}\n`);
        return 0;
      });
    });
  program
    .command('taint')
    .description('update the taints of this node: taint node [NAME] KEY[=VALUE]:EFFECT ... KEY[:EFFECT]- [--overwrite]')
    .argument('<args...>', 'node [NAME] then taints to add, or to remove with a trailing -')
    .option('--overwrite', 'allow changing taints that already exist', false)
    .action(async (args: string[], opts: { overwrite: boolean }, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const split = splitTaintCommandArgs(args);
        if (!split.ok) throw new CliError(`error: ${split.error}`);
        await checkNodeResources(ctx, split.value.resources);
        const out = await ctx.client.taintNode(split.value.taints, opts.overwrite).catch(refusal);
        ctx.out(`${out.message}\n`);
        return 0;
      });
    });
}

export function registerRolloutCommands(program: Command, deps: ClientCommandDeps = {}): void {
  const rollout = program.command('rollout').description('manage the rollout of a DaemonSet (ds/NAME)');
  rollout
    .command('status')
    .description('show the status of the rollout, watching it until it is done')
    .argument('<resource...>', 'ds/NAME')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .addOption(new Option('-w, --watch [bool]', 'watch the status until the rollout is done (--watch=false: print once)').default(true).argParser((v: string) => v !== 'false'))
    .option('--timeout <duration>', 'stop watching after this long (0: never)', '0s')
    .action(async (resource: string[], opts: { namespace: string; watch: boolean; timeout: string }, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const name = parseDaemonSetRef(resource, 'rollout status');
        const timeoutMs = parseDuration(opts.timeout);
        if (timeoutMs === undefined) throw new CliError(`error: invalid argument "${opts.timeout}" for "--timeout" flag`);
        const deadline = timeoutMs > 0 ? ctx.clock.monotonic() + timeoutMs : Infinity;
        let last: string | undefined;
        for (;;) {
          const ds = await ctx.client.getDaemonSet(opts.namespace, name);
          const status = rolloutStatus(ds);
          if (!status.ok) throw new CliError(`error: ${status.error}`);
          if (status.value.message !== last) ctx.out(`${status.value.message}\n`);
          last = status.value.message;
          if (status.value.done || !opts.watch) return 0;
          if (ctx.clock.monotonic() >= deadline) throw new CliError('error: timed out waiting for the condition');
          await ctx.clock.sleep(Math.min(ctx.watchIntervalMs, Math.max(0, deadline - ctx.clock.monotonic())));
        }
      });
    });
  rollout
    .command('history')
    .description('list the revisions of the DaemonSet, or show one with --revision')
    .argument('<resource...>', 'ds/NAME')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .option('--revision <n>', 'show the pod template of this revision', '0')
    .action(async (resource: string[], opts: { namespace: string; revision: string }, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const name = parseDaemonSetRef(resource, 'rollout history');
        const revision = parseIntFlag(opts.revision, '--revision');
        const revs = await ctx.client.daemonSetRevisions(opts.namespace, name);
        const out = rolloutHistory(name, revs, revision);
        if (!out.ok) throw new CliError(`error: ${out.error}`);
        ctx.out(out.value);
        return 0;
      });
    });
  rollout
    .command('undo')
    .description('roll the DaemonSet back to the previous revision or --to-revision N (rewrites the manifest)')
    .argument('<resource...>', 'ds/NAME')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .option('--to-revision <n>', 'the revision to roll back to (0: the previous one)', '0')
    .action(async (resource: string[], opts: { namespace: string; toRevision: string }, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const name = parseDaemonSetRef(resource, 'rollout undo');
        const toRevision = parseIntFlag(opts.toRevision, '--to-revision');
        const message = await ctx.client.editDaemonSet(opts.namespace, name, { action: 'undo', toRevision }).catch(refusal);
        ctx.out(`${message}\n`);
        return 0;
      });
    });
  rollout
    .command('restart')
    .description('restart the DaemonSet pods with a rolling update (rewrites the manifest)')
    .argument('<resource...>', 'ds/NAME')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .action(async (resource: string[], opts: { namespace: string }, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const name = parseDaemonSetRef(resource, 'rollout restart');
        const cause = `nodelet rollout restart ${resource.join(' ')}`;
        const message = await ctx.client.editDaemonSet(opts.namespace, name, { action: 'restart' }, cause).catch(refusal);
        ctx.out(`${message}\n`);
        return 0;
      });
    });
}

export function registerSetCommand(program: Command, deps: ClientCommandDeps = {}): void {
  const set = program.command('set').description('change a DaemonSet in its manifest');
  set
    .command('image')
    .description('set container images: set image ds/NAME CONTAINER=IMAGE ... (rewrites the manifest, keeps comments)')
    .argument('<args...>', 'ds/NAME then CONTAINER=IMAGE pairs (* = every container)')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .action(async (args: string[], opts: { namespace: string }, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const resources = args.filter((a) => !a.includes('='));
        const pairs = args.filter((a) => a.includes('='));
        const name = parseDaemonSetRef(resources, 'set image');
        if (pairs.length === 0) throw new CliError('error: at least one image update is required');
        const images = pairs.map((p) => {
          const at = p.indexOf('=');
          const container = p.slice(0, at);
          const image = p.slice(at + 1);
          if (!container || !image) throw new CliError(`error: invalid image update: ${p}`);
          return { container, image };
        });
        const cause = `nodelet set image ${args.join(' ')}`;
        const message = await ctx.client.editDaemonSet(opts.namespace, name, { action: 'setImage', images }, cause).catch(refusal);
        ctx.out(`${message}\n`);
        return 0;
      });
    });
}

// --- get ds / get controllerrevisions -------------------------------------------------------

export interface GetListOptions {
  readonly namespace: string | undefined;
  readonly names: readonly string[];
  readonly headers: boolean;
  readonly showLabels?: boolean;
}

/** How `get` names and prints one apps/v1 kind. */
interface ListedKind<T> {
  /** The resource in a NotFound error: `daemonsets.apps`. */
  readonly resource: string;
  /** The `-o name` prefix: `daemonset.apps`. */
  readonly nameType: string;
  readonly kind: string;
  table(items: readonly T[]): string;
}

/** The named objects (the first missing name is a NotFound), or all of them, in `format`. */
function printListed<T extends { metadata?: { name?: string } }>(ctx: CommandContext, opts: GetListOptions, format: OutputFormat, all: readonly T[], listed: ListedKind<T>): number {
  const missing = opts.names.find((n) => !all.some((o) => o.metadata?.name === n));
  if (missing !== undefined) throw notFoundError(listed.resource, missing);
  const items = opts.names.length > 0 ? all.filter((o) => opts.names.includes(o.metadata?.name ?? '')) : all;
  if (items.length === 0) {
    ctx.err(noResourcesMessage(opts.namespace));
    return 0;
  }
  if (format === 'name') ctx.out(items.map((o) => `${listed.nameType}/${o.metadata?.name ?? ''}\n`).join(''));
  else if (format === 'json' || format === 'yaml') ctx.out(renderObjects(items.map((o) => withKind(o, 'apps/v1', listed.kind)), format, opts.names.length === 1));
  else ctx.out(listed.table(items));
  return 0;
}

export async function getDaemonSets(ctx: CommandContext, opts: GetListOptions, format: OutputFormat): Promise<number> {
  const all = (await ctx.client.listDaemonSets(opts.namespace)).sort(byNamespaceName);
  return printListed(ctx, opts, format, all, {
    resource: 'daemonsets.apps',
    nameType: 'daemonset.apps',
    kind: 'DaemonSet',
    table: (items) => printDaemonSets(items, { wide: format === 'wide', now: ctx.clock.now(), showNamespace: opts.namespace === undefined, noHeaders: !opts.headers, showLabels: opts.showLabels === true }),
  });
}

/** printDaemonSet: NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE [CONTAINERS IMAGES SELECTOR]. */
function printDaemonSets(items: readonly DaemonSet[], opts: { wide: boolean; now: number; showNamespace: boolean; noHeaders: boolean; showLabels?: boolean }): string {
  const headers = ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'];
  if (opts.wide) headers.push('CONTAINERS', 'IMAGES', 'SELECTOR');
  if (opts.showNamespace) headers.unshift('NAMESPACE');
  if (opts.showLabels) headers.push('LABELS');
  const rows = items.map((ds) => {
    const cells = daemonSetCells(ds, ds.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 }, { wide: opts.wide });
    const row = [ds.metadata?.name ?? '', ...cells.slice(0, 6), timestampSince(ds.metadata?.creationTimestamp, opts.now), ...cells.slice(6)];
    if (opts.showNamespace) row.unshift(ds.metadata?.namespace ?? '');
    if (opts.showLabels) row.push(formatLabels(ds.metadata?.labels));
    return row;
  });
  return printTable(opts.noHeaders ? [] : headers, rows);
}

export async function getControllerRevisions(ctx: CommandContext, opts: GetListOptions, format: OutputFormat): Promise<number> {
  const all = (await ctx.client.listControllerRevisions(opts.namespace)).sort((a, b) => byNamespaceName(a, b) || (a.revision ?? 0) - (b.revision ?? 0));
  return printListed(ctx, opts, format, all, {
    resource: 'controllerrevisions.apps',
    nameType: 'controllerrevision.apps',
    kind: 'ControllerRevision',
    table: (items) => printControllerRevisions(items, { now: ctx.clock.now(), showNamespace: opts.namespace === undefined, noHeaders: !opts.headers }),
  });
}

/** printControllerRevision: NAME CONTROLLER REVISION AGE. */
function printControllerRevisions(items: readonly ControllerRevision[], opts: { now: number; showNamespace: boolean; noHeaders: boolean }): string {
  const headers = ['NAME', 'CONTROLLER', 'REVISION', 'AGE'];
  if (opts.showNamespace) headers.unshift('NAMESPACE');
  const rows = items.map((r) => {
    const owner = r.metadata?.ownerReferences?.find((o) => o.controller);
    const row = [r.metadata?.name ?? '', owner ? `daemonset.apps/${owner.name}` : '<none>', String(r.revision), timestampSince(r.metadata?.creationTimestamp, opts.now)];
    if (opts.showNamespace) row.unshift(r.metadata?.namespace ?? '');
    return row;
  });
  return printTable(opts.noHeaders ? [] : headers, rows);
}

function byNamespaceName(a: { metadata?: { namespace?: string; name?: string } }, b: { metadata?: { namespace?: string; name?: string } }): number {
  return (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}
