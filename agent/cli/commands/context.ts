// What every client command shares: the API client for the program's --api-socket, the
// terminal (replaceable in tests), the clock, and error reporting as kubectl words it.
import type { Command } from 'commander';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { ApiClient, ApiStatusError, formatClientError } from '../../api/client.js';
import { failureStatus } from '../../api/kube-status.js';
import { resolvePod } from '../resolve-pod.js';
import { readOnlySocketFor } from '../../config/config.js';

export const DEFAULT_API_SOCKET = '/run/nodelet/nodelet.sock';
export const DEFAULT_NAMESPACE = 'default';

/** The terminal the commands talk to. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  /** Columns and rows of the terminal on stdout, when it is one. */
  terminalSize(): { cols: number; rows: number } | undefined;
  /** Calls `listener` on SIGWINCH; returns the unsubscribe. */
  onResize(listener: () => void): () => void;
  /** Calls `listener` on SIGINT (Ctrl-C outside raw mode); returns the unsubscribe. */
  onInterrupt(listener: () => void): () => void;
}

export interface ClientCommandDeps {
  readonly io?: Partial<CliIo>;
  readonly clock?: Clock;
  /** How often `get -w` polls the agent (ms). */
  readonly watchIntervalMs?: number;
}

export interface CommandContext {
  readonly client: ApiClient;
  readonly io: CliIo;
  readonly clock: Clock;
  readonly watchIntervalMs: number;
  out(text: string): void;
  err(text: string): void;
}

function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    terminalSize: () => (process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : undefined),
    onResize: (listener) => {
      process.stdout.on('resize', listener);
      return () => process.stdout.off('resize', listener);
    },
    onInterrupt: (listener) => {
      process.on('SIGINT', listener);
      return () => process.off('SIGINT', listener);
    },
  };
}

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent !== null) root = root.parent;
  return root;
}

export function commandContext(command: Command, deps: ClientCommandDeps): CommandContext {
  const io: CliIo = { ...processIo(), ...deps.io };
  const globals = rootOf(command).opts<{ apiSocket?: string; apiReadOnlySocket?: string }>();
  const socket = globals.apiSocket ?? DEFAULT_API_SOCKET;
  // Reads fall back to the read-only socket when this user may not use the admin one (EACCES).
  const readOnlySocket = globals.apiReadOnlySocket ?? readOnlySocketFor(socket);
  return {
    client: new ApiClient(socket, { readOnlySocket }),
    io,
    clock: deps.clock ?? systemClock,
    watchIntervalMs: deps.watchIntervalMs ?? 1000,
    out: (text) => void io.stdout.write(text),
    err: (text) => void io.stderr.write(text),
  };
}

/** Exit status after Ctrl-C ends a follow or a watch: what the shell reports for SIGINT. */
export const INTERRUPTED_EXIT_CODE = 130;

/** A failure already worded for the user (printed as is, exit status 1). */
export class CliError extends Error {}

/**
 * Runs a command body; errors become one line on stderr and exit status 1. The body returns the
 * exit status (exec returns the remote command's).
 */
export async function runAction(ctx: CommandContext, body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (err) {
    ctx.err(`${err instanceof CliError ? err.message : formatClientError(err)}\n`);
    process.exitCode = 1;
  }
}

/** The API server's NotFound for `kind` "name" (`Error from server (NotFound): ...` once formatted). */
export function notFoundError(kind: string, name: string): ApiStatusError {
  return new ApiStatusError(failureStatus(404, `${kind} "${name}" not found`, { name, kind }));
}

/** kubectl's line for an empty listing; `namespace` undefined: all namespaces. */
export function noResourcesMessage(namespace: string | undefined): string {
  return namespace === undefined ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`;
}

/** An integer flag, refused with the words of Go's strconv.ParseInt as kubectl's flag parsing gives them. */
export function parseIntFlag(raw: string, flag: string): number {
  if (!/^-?\d+$/.test(raw)) throw new CliError(`error: invalid argument "${raw}" for "${flag}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
  return Number(raw);
}

/** TYPE or kubectl's TYPE/NAME: the resource `aliases` maps TYPE to (in any case), and the inline NAME. */
export function parseTypeArg<R>(arg: string, aliases: Readonly<Record<string, R>>): { resource: R; name?: string } {
  const [type = '', name] = arg.split('/', 2);
  const key = type.toLowerCase();
  const resource = Object.hasOwn(aliases, key) ? aliases[key] : undefined;
  if (resource === undefined) throw new CliError(`error: the server doesn't have a resource type "${type}"`);
  return name === undefined ? { resource } : { resource, name };
}

/** NAME, or kubectl's pod/NAME (also pods/, po/), as logs and exec take it. */
export function stripPodType(arg: string): string {
  return /^(pods?|po)\//.test(arg) ? arg.slice(arg.indexOf('/') + 1) : arg;
}

/** The pod a user named among `pods`, or throws the error kubectl would print. */
export function pickPod(pods: readonly Pod[], namespace: string, name: string): Pod {
  const found = resolvePod(pods, namespace, name);
  if (found.ok) return found.pod;
  if (found.reason === 'NotFound') throw notFoundError('pods', name);
  throw new CliError(`error: ${found.message}`);
}

/** Finds the pod a user named, or throws the error kubectl would print. */
export async function findPodByName(ctx: CommandContext, namespace: string, name: string): Promise<Pod> {
  return pickPod(await ctx.client.listPods(), namespace, name);
}

export function podName(pod: Pod): string {
  return pod.metadata?.name ?? '';
}

export function podNamespace(pod: Pod): string {
  return pod.metadata?.namespace ?? DEFAULT_NAMESPACE;
}

/** Pods by namespace, then name: the order `get pods` and `describe pods` print them in. */
export function byNamespaceAndName(a: Pod, b: Pod): number {
  return podNamespace(a).localeCompare(podNamespace(b)) || podName(a).localeCompare(podName(b));
}

/** Copies a stream into one of the terminal's, leaving that one open. */
export async function copyInto(source: Readable, target: NodeJS.WritableStream): Promise<void> {
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      if (target.write(chunk)) done();
      else target.once('drain', () => done());
    },
  });
  await pipeline(source, sink);
}
