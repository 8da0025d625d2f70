// `nodelet logs NAME [-c C | --all-containers] [-f] [-p] [--tail N] [--since D | --since-time T]
// [--limit-bytes N] [--timestamps] [--prefix]`: kubectl logs against the local agent. Output is
// copied byte for byte (whole lines when several streams share the terminal, as kubectl's
// ConsumeRequest buffers them). A reader that goes away (`nodelet logs x | head -1`) ends the
// command quietly, as a Go kubectl dies of SIGPIPE: no stack trace.
import type { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseRfc3339 } from '../../core/time-format.js';
import type { LogOptions } from '../../api/backend.js';
import { chooseContainer } from '../resolve-pod.js';
import {
  CliError,
  commandContext,
  copyInto,
  INTERRUPTED_EXIT_CODE,
  DEFAULT_NAMESPACE,
  findPodByName,
  parseIntFlag,
  podName,
  podNamespace,
  runAction,
  stripPodType,
  type ClientCommandDeps,
  type CommandContext,
} from './context.js';

interface LogsOptions {
  readonly namespace: string;
  readonly container?: string;
  readonly follow?: boolean;
  readonly previous?: boolean;
  readonly tail: string;
  readonly since?: string;
  readonly sinceTime?: string;
  readonly limitBytes: string;
  readonly timestamps?: boolean;
  readonly allContainers?: boolean;
  readonly prefix?: boolean;
  readonly maxLogRequests: string;
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

/** --since-time: RFC3339, refused with the words of Go's time.Parse layout (kubectl util.ParseRFC3339). */
export function parseSinceTime(value: string): string {
  if (parseRfc3339(value) === undefined) throw new CliError(`error: parsing time "${value}" as "2006-01-02T15:04:05Z07:00": cannot parse "${value}" as RFC3339`);
  return value;
}

/**
 * The containers --all-containers prints, in kubectl's order (LogsForObject: init containers,
 * then containers, then ephemeral containers).
 */
export function allContainerNames(pod: Pod): string[] {
  const spec = pod.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])].map((c) => c.name);
}

/**
 * Passes whole lines only, each with `prefix` in front (kubectl's `[pod/NAME/CONTAINER] `), so
 * that streams sharing one terminal never mix within a line. A last line without a newline is
 * passed at the end.
 */
export function lineWriter(prefix: string): Transform {
  let pending: Buffer = Buffer.alloc(0);
  const head = Buffer.from(prefix);
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      const end = data.lastIndexOf(0x0a);
      if (end < 0) {
        pending = data;
        return done();
      }
      pending = data.subarray(end + 1);
      done(null, withPrefix(head, data.subarray(0, end + 1)));
    },
    flush(done: TransformCallback) {
      done(null, pending.length > 0 ? withPrefix(head, pending) : undefined);
    },
  });
}

function withPrefix(head: Buffer, lines: Buffer): Buffer {
  if (head.length === 0) return lines;
  const parts: Buffer[] = [];
  let start = 0;
  while (start < lines.length) {
    const nl = lines.indexOf(0x0a, start);
    const stop = nl < 0 ? lines.length : nl + 1;
    parts.push(head, lines.subarray(start, stop));
    start = stop;
  }
  return Buffer.concat(parts);
}

/** kubectl's `you are attempting to follow ...` limit (--max-log-requests, default 5). */
function checkFollowConcurrency(streams: number, max: number): void {
  if (streams > max) {
    throw new CliError(`error: you are attempting to follow ${streams} log streams, but maximum allowed concurrency is ${max}, use --max-log-requests to increase the limit`);
  }
}

/**
 * Marks the terminal closed when writing to it fails with EPIPE (the reader left), and calls
 * `onClose`. The listener stays: an error event without one would end the process with a trace.
 */
function watchBrokenPipe(stdout: NodeJS.WritableStream, onClose: () => void): { readonly closed: () => boolean } {
  let closed = false;
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    closed = true;
    onClose();
  });
  return { closed: () => closed };
}

export function registerLogsCommand(program: Command, deps: ClientCommandDeps = {}): void {
  program
    .command('logs')
    .description("print a container's logs, as kubectl logs does")
    .argument('<name>', 'pod name (the node suffix may be left out), or pod/NAME')
    .option('-n, --namespace <namespace>', 'namespace', DEFAULT_NAMESPACE)
    .option('-c, --container <name>', 'container (default: the default-container annotation, else the first)')
    .option('--all-containers', "print the logs of all the pod's containers (init, then app, then ephemeral)")
    .option('-f, --follow', 'keep streaming new lines')
    .option('-p, --previous', "print the previous instance's logs (after a restart)")
    .option('--tail <lines>', 'lines from the end to print; -1: all', '-1')
    .option('--since <duration>', 'only lines newer than this (5s, 2m, 3h)')
    .option('--since-time <time>', 'only lines from this RFC3339 time on (2024-01-02T15:04:05Z)')
    .option('--limit-bytes <bytes>', 'stop after this many bytes of each log; 0: no limit', '0')
    .option('--timestamps', 'prefix each line with its RFC3339 timestamp')
    .option('--prefix', 'prefix each line with its source, [pod/NAME/CONTAINER]')
    .option('--max-log-requests <n>', 'most log streams followed at once (with --all-containers -f)', '5')
    .action(async (nameArg: string, opts: LogsOptions, command: Command) => {
      const ctx = commandContext(command, deps);
      await runAction(ctx, async () => {
        const name = stripPodType(nameArg);
        const base = requestOptions(opts);
        if (opts.allContainers && opts.container) throw new CliError(`error: --all-containers=true should not be specified with container name ${opts.container}`);
        const pod = await findPodByName(ctx, opts.namespace, name);
        let containers: string[];
        if (opts.allContainers) {
          containers = allContainerNames(pod);
        } else {
          const choice = chooseContainer(pod, opts.container);
          if (!choice.ok) throw new CliError(`error: ${choice.message}`);
          if (choice.notice !== undefined) ctx.err(`${choice.notice}\n`);
          containers = [choice.container];
        }
        const parallel = base.follow && containers.length > 1;
        if (parallel) checkFollowConcurrency(containers.length, parseIntFlag(opts.maxLogRequests, '--max-log-requests'));
        const stop = new AbortController();
        const off = ctx.io.onInterrupt(() => stop.abort());
        const pipe = watchBrokenPipe(ctx.io.stdout, () => stop.abort());
        const one = (container: string): Promise<void> => streamOne(ctx, pod, { ...base, container }, { prefix: opts.prefix === true, shared: parallel }, stop.signal);
        try {
          if (parallel) await Promise.all(containers.map(one));
          else for (const container of containers) await one(container);
        } catch (err) {
          if (!stop.signal.aborted) throw err;
        } finally {
          off();
        }
        if (pipe.closed()) return 0;
        return stop.signal.aborted ? INTERRUPTED_EXIT_CODE : 0;
      });
    });
}

function requestOptions(opts: LogsOptions): Omit<LogOptions, 'container'> {
  if (opts.since !== undefined && opts.sinceTime !== undefined) throw new CliError('error: at most one of `sinceTime` or `sinceSeconds` may be specified');
  const limitBytes = parseIntFlag(opts.limitBytes, '--limit-bytes');
  if (limitBytes < 0) throw new CliError('error: --limit-bytes must be greater than 0');
  const tailLines = parseTail(opts.tail);
  const sinceSeconds = opts.since === undefined ? undefined : parseSince(opts.since);
  const sinceTime = opts.sinceTime === undefined ? undefined : parseSinceTime(opts.sinceTime);
  return {
    follow: opts.follow === true,
    previous: opts.previous === true,
    timestamps: opts.timestamps === true,
    ...(tailLines === undefined ? {} : { tailLines }),
    ...(sinceSeconds === undefined ? {} : { sinceSeconds }),
    ...(sinceTime === undefined ? {} : { sinceTime }),
    ...(limitBytes > 0 ? { limitBytes } : {}),
  };
}

/** One container's log onto the terminal: raw bytes alone, whole (prefixed) lines when asked or shared. */
async function streamOne(ctx: CommandContext, pod: Pod, opts: LogOptions, how: { prefix: boolean; shared: boolean }, signal: AbortSignal): Promise<void> {
  const { prefix, shared } = how;
  const stream: Readable = await ctx.client.logs(podNamespace(pod), podName(pod), opts, signal);
  const source = prefix || shared ? stream.pipe(lineWriter(prefix ? `[pod/${podName(pod)}/${opts.container}] ` : '')) : stream;
  stream.once('error', (err) => source.destroy(err));
  await copyInto(source, ctx.io.stdout);
}
