// `nodelet exec [-i] [-t] NAME [-c C] -- CMD...`: kubectl exec against the local agent. With -it
// the terminal goes raw (Ctrl-C reaches the remote process) and follows window resizes; it is
// restored however the session ends. The remote command's exit code becomes nodelet's.
import type { Command } from 'commander';
import { chooseContainer } from '../resolve-pod.js';
import { CliError, commandContext, copyInto, DEFAULT_NAMESPACE, findPodByName, podName, podNamespace, runAction, stripPodType, type ClientCommandDeps, type CliIo } from './context.js';

interface ExecCommandOptions {
  readonly namespace: string;
  readonly container?: string;
  readonly stdin?: boolean;
  readonly tty?: boolean;
  readonly quiet?: boolean;
}

/** kubectl's StreamOptions.SetupTTY: a TTY only with stdin, and only when stdin is a terminal. */
export function effectiveTty(opts: { stdin: boolean; tty: boolean }, stdinIsTerminal: boolean): { tty: boolean; warning?: string } {
  if (!opts.stdin || !opts.tty) return { tty: false };
  if (!stdinIsTerminal) return { tty: false, warning: 'Unable to use a TTY - input is not a terminal or the right kind of file' };
  return { tty: true };
}

/** Puts the terminal in raw mode; returns the function that restores it. */
function rawMode(io: CliIo): () => void {
  if (io.stdin.setRawMode === undefined) return () => undefined;
  io.stdin.setRawMode(true);
  return () => io.stdin.setRawMode?.(false);
}

export function registerExecCommand(program: Command, deps: ClientCommandDeps = {}): void {
  program
    .command('exec')
    .description('run a command in a container, as kubectl exec does')
    .argument('<name>', 'pod name (the node suffix may be left out), or pod/NAME')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .option('-c, --container <name>', 'container (default: the default-container annotation, else the first)')
    .option('-i, --stdin', 'pass stdin to the container')
    .option('-t, --tty', 'stdin is a TTY')
    .option('-q, --quiet', 'only print output from the remote session')
    .action(async (nameArg: string, commandArgs: string[], opts: ExecCommandOptions, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        if (commandArgs.length === 0) throw new CliError('error: you must specify at least one command for the container');
        const name = stripPodType(nameArg);
        const pod = await findPodByName(ctx, opts.namespace, name);
        const choice = chooseContainer(pod, opts.container);
        if (!choice.ok) throw new CliError(`error: ${choice.message}`);
        if (choice.notice !== undefined && opts.quiet !== true) ctx.err(`${choice.notice}\n`);
        const stdin = opts.stdin === true;
        const { tty, warning } = effectiveTty({ stdin, tty: opts.tty === true }, ctx.io.stdin.isTTY === true);
        if (warning !== undefined && opts.quiet !== true) ctx.err(`${warning}\n`);

        const conn = await ctx.client.exec(podNamespace(pod), podName(pod), { container: choice.container, command: commandArgs, stdin, tty });
        const cleanups: (() => void)[] = [];
        try {
          if (tty) {
            cleanups.push(rawMode(ctx.io));
            const sendSize = (): void => {
              const size = ctx.io.terminalSize();
              if (size !== undefined) conn.resize(size.cols, size.rows);
            };
            sendSize();
            cleanups.push(ctx.io.onResize(sendSize));
          }
          if (stdin) {
            const onData = (chunk: Buffer | string): void => conn.writeStdin(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
            const onEnd = (): void => conn.endStdin();
            ctx.io.stdin.on('data', onData);
            ctx.io.stdin.once('end', onEnd);
            ctx.io.stdin.resume();
            cleanups.push(() => {
              ctx.io.stdin.off('data', onData);
              ctx.io.stdin.off('end', onEnd);
              ctx.io.stdin.pause();
            });
          }
          const [code] = await Promise.all([conn.exitCode, copyInto(conn.stdout, ctx.io.stdout), copyInto(conn.stderr, ctx.io.stderr)]);
          if (code !== 0 && opts.quiet !== true) ctx.err(`command terminated with exit code ${code}\n`);
          return code;
        } finally {
          for (const cleanup of cleanups.reverse()) cleanup();
          conn.close();
        }
      });
    });
}
