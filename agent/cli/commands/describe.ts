// `nodelet describe pod NAME`: kubectl describe against the local agent, events included.
import type { Command } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeletEvent } from '../../events/event-store.js';
import { describePod } from '../printers/describe-pod.js';
import { parseSelector, selectorMatches } from '../label-selector.js';
import { CliError, commandContext, DEFAULT_NAMESPACE, findPodByName, podName, podNamespace, runAction, type ClientCommandDeps } from './context.js';

interface DescribeOptions {
  readonly namespace: string;
  readonly allNamespaces?: boolean;
  readonly selector?: string;
}

const POD_RESOURCES = new Set(['pods', 'pod', 'po']);

function eventsOf(pod: Pod, events: readonly NodeletEvent[]): NodeletEvent[] {
  return events.filter((e) => e.involvedObject.kind === 'Pod' && e.involvedObject.namespace === podNamespace(pod) && e.involvedObject.name === podName(pod));
}

export function registerDescribeCommand(program: Command, deps: ClientCommandDeps = {}): void {
  program
    .command('describe')
    .description('show details of pods, with their events, as kubectl describe does')
    .argument('<resource>', 'pods (po); or pod/NAME')
    .argument('[names...]', 'pod names (the node suffix may be left out); none: every pod of the namespace')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .option('-A, --all-namespaces', 'describe pods of all namespaces')
    .option('-l, --selector <selector>', 'label selector')
    .action(async (resourceArg: string, names: string[], opts: DescribeOptions, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const [type = '', inline] = resourceArg.split('/', 2);
        if (!POD_RESOURCES.has(type.toLowerCase())) throw new CliError(`error: the server doesn't have a resource type "${type}"`);
        const wanted = inline === undefined ? names : [inline, ...names];
        let pods: Pod[];
        if (wanted.length > 0) {
          pods = [];
          for (const name of wanted) pods.push(await findPodByName(ctx, opts.namespace, name));
        } else {
          const parsed = parseSelector(opts.selector ?? '');
          if (!parsed.ok) throw new CliError(`error: ${parsed.error}`);
          pods = (await ctx.client.listPods())
            .filter((p) => opts.allNamespaces === true || podNamespace(p) === opts.namespace)
            .filter((p) => selectorMatches(parsed.selector, p.metadata?.labels))
            .sort((a, b) => podNamespace(a).localeCompare(podNamespace(b)) || podName(a).localeCompare(podName(b)));
          if (pods.length === 0) {
            ctx.err(opts.allNamespaces === true ? 'No resources found\n' : `No resources found in ${opts.namespace} namespace.\n`);
            return 0;
          }
        }
        const events = await ctx.client.listEvents();
        const now = ctx.clock.now();
        // kubectl separates several descriptions with two blank lines.
        ctx.out(pods.map((pod) => describePod(pod, eventsOf(pod, events), now)).join('\n\n'));
        return 0;
      });
    });
}
