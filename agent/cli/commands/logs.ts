// `nodelet logs NAME [-c C] [-f] [-p] [--tail N] [--since D] [--timestamps]`: kubectl logs
// against the local agent. Output is copied byte for byte.
import type { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { chooseContainer } from '../resolve-pod.js';
import { CliError, commandContext, copyInto, INTERRUPTED_EXIT_CODE, DEFAULT_NAMESPACE, findPodByName, parseIntFlag, podName, podNamespace, runAction, stripPodType, type ClientCommandDeps } from './context.js';

interface LogsOptions {
  readonly namespace: string;
  readonly container?: string;
  readonly follow?: boolean;
  readonly previous?: boolean;
  readonly tail: string;
  readonly since?: string;
  readonly timestamps?: boolean;
}

/** --tail: -1 (all lines) or a count. */
export function parseTail(value: string): number | undefined {
  const n = parseIntFlag(value, '--tail');
  return n < 0 ? undefined : n;
}

/** --since: a Go duration, rounded to whole seconds as kubectl sends it. */
export function parseSince(value: string): number {
  // parseDuration reads a bare number as seconds; Go's time.ParseDuration, which kubectl uses, does not.
  const bare = /^\d+(\.\d+)?$/.test(value.trim());
  const ms = bare ? undefined : parseDuration(value);
  if (ms === undefined) {
    throw new CliError(`error: invalid argument "${value}" for "--since" flag: time: ${bare ? 'missing unit in' : 'invalid'} duration "${value}"`);
  }
  return Math.max(1, Math.round(ms / 1000));
}

export function registerLogsCommand(program: Command, deps: ClientCommandDeps = {}): void {
  program
    .command('logs')
    .description("print a container's logs, as kubectl logs does")
    .argument('<name>', 'pod name (the node suffix may be left out), or pod/NAME')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .option('-c, --container <name>', 'container (default: the default-container annotation, else the first)')
    .option('-f, --follow', 'keep streaming new lines')
    .option('-p, --previous', "print the previous instance's logs (after a restart)")
    .option('--tail <lines>', 'lines from the end to print; -1: all', '-1')
    .option('--since <duration>', 'only lines newer than this (5s, 2m, 3h)')
    .option('--timestamps', 'prefix each line with its RFC3339 timestamp')
    .action(async (nameArg: string, opts: LogsOptions, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const name = stripPodType(nameArg);
        const tailLines = parseTail(opts.tail);
        const sinceSeconds = opts.since === undefined ? undefined : parseSince(opts.since);
        const pod = await findPodByName(ctx, opts.namespace, name);
        const choice = chooseContainer(pod, opts.container);
        if (!choice.ok) throw new CliError(`error: ${choice.message}`);
        if (choice.notice !== undefined) ctx.err(`${choice.notice}\n`);
        const stop = new AbortController();
        const off = ctx.io.onInterrupt(() => stop.abort());
        try {
          const stream = await ctx.client.logs(
            podNamespace(pod),
            podName(pod),
            { container: choice.container, follow: opts.follow === true, previous: opts.previous === true, timestamps: opts.timestamps === true, tailLines, sinceSeconds },
            stop.signal,
          );
          await copyInto(stream, ctx.io.stdout).catch((err: unknown) => {
            if (!stop.signal.aborted) throw err;
          });
        } catch (err) {
          if (!stop.signal.aborted) throw err;
        } finally {
          off();
        }
        return stop.signal.aborted ? INTERRUPTED_EXIT_CODE : 0;
      });
    });
}
