// `nodelet delete pod NAME`: the agent stops the pod's containers; while its manifest stays in
// the directory the agent starts it again, as kubelet recreates a static pod.
import type { Command } from 'commander';
import { CliError, commandContext, DEFAULT_NAMESPACE, parseTypeArg, pickPod, podName, podNamespace, runAction, type ClientCommandDeps } from './context.js';

interface DeleteOptions {
  readonly namespace: string;
  readonly output?: string;
}

const POD_RESOURCES = { pods: 'pods', pod: 'pods', po: 'pods' } as const;

export function registerDeleteCommand(program: Command, deps: ClientCommandDeps = {}): void {
  program
    .command('delete')
    .description('delete pods (the agent recreates a pod whose manifest is still present)')
    .argument('<resource>', 'pods (po); or pod/NAME')
    .argument('[names...]', 'pod names (the node suffix may be left out)')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .option('-o, --output <format>', 'name: print pod/NAME only')
    .action(async (resourceArg: string, names: string[], opts: DeleteOptions, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const { name: inline } = parseTypeArg(resourceArg, POD_RESOURCES);
        const wanted = inline === undefined ? names : [inline, ...names];
        if (wanted.length === 0) throw new CliError('error: resource(s) were provided, but no name was specified');
        if (opts.output !== undefined && opts.output !== 'name') {
          throw new CliError(`error: unable to match a printer suitable for the output format "${opts.output}", allowed formats are: name`);
        }
        // One listing resolves every name.
        const pods = await ctx.client.listPods();
        for (const name of wanted) {
          const pod = pickPod(pods, opts.namespace, name);
          await ctx.client.deletePod(podNamespace(pod), podName(pod));
          ctx.out(opts.output === 'name' ? `pod/${podName(pod)}\n` : `pod "${podName(pod)}" deleted from ${podNamespace(pod)} namespace\n`);
        }
        return 0;
      });
    });
}
