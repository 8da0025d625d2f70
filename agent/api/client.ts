// The CLI's side of the local API: HTTP over the unix socket. Failing to connect becomes one
// line that says what to do; API errors keep their Status so the CLI prints them as kubectl does.
import type { CsiNode } from '../plugins/registration.js';
import { request, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { DaemonSetRevision } from '../daemonset/revisions.js';
import type { DaemonSetEditRequest } from '../daemonset/controller.js';
import type { FileStatus } from '../core/types.js';
import { NodeletError, errorMessage } from '../core/errors.js';
import type { NodeletEvent } from '../events/event-store.js';
import type { ExecOptions, LogOptions } from './backend.js';
import { failureStatus, isKubeStatus, type KubeStatus } from './kube-status.js';
import { EXEC_PROTOCOL } from './routes.js';
import { decodeExitPayload, encodeFrame, encodeResizeFrame, FRAME, FrameDecoder } from './stream-frames.js';

/** The agent could not be reached at all (no socket, no permission, nobody listening). */
export class AgentUnreachableError extends NodeletError {
  readonly socketPath: string;
  constructor(socketPath: string, reason: string, options?: { cause?: unknown }) {
    super('NLT_API_UNAVAILABLE', `cannot reach the agent at ${socketPath}: ${reason}`, options);
    this.name = 'AgentUnreachableError';
    this.socketPath = socketPath;
  }
}

/** The agent answered with an error Status. */
export class ApiStatusError extends Error {
  readonly status: KubeStatus;
  constructor(status: KubeStatus) {
    super(status.message);
    this.name = 'ApiStatusError';
    this.status = status;
  }
}

/** Why connecting failed, in words a user can act on. Pure. */
export function unreachableReason(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file (is nodelet running?)';
    case 'EACCES':
    case 'EPERM':
      return "permission denied (run as root or a member of the socket's group)";
    case 'ECONNREFUSED':
      return 'connection refused (is nodelet running?)';
    case 'ENOTSOCK':
      return 'not a socket';
    default:
      return errorMessage(err);
  }
}

/** The one line the CLI prints for an error from the client. */
export function formatClientError(err: unknown): string {
  if (err instanceof AgentUnreachableError) return `nodelet: ${err.message}`;
  if (err instanceof ApiStatusError) return `Error from server (${err.status.reason}): ${err.status.message}`;
  return `error: ${errorMessage(err)}`;
}

export interface VersionInfo {
  readonly major: string;
  readonly minor: string;
  readonly gitVersion: string;
  readonly platform: string;
}

interface ListBody<T> {
  readonly items: T[];
}

/** A running exec: output streams, input methods, and the exit code at the end. */
export interface ExecConnection {
  readonly stdout: Readable;
  readonly stderr: Readable;
  writeStdin(chunk: Buffer): void;
  endStdin(): void;
  resize(cols: number, rows: number): void;
  /**
   * The exit code; stdout and stderr hold their last bytes and are ended when it resolves (a
   * consumer still has to drain them). Rejects if the connection drops before the exit frame.
   */
  readonly exitCode: Promise<number>;
  close(): void;
}

function podPath(namespace: string, name: string, sub?: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}${sub === undefined ? '' : `/${sub}`}`;
}

function dsPath(namespace: string, name: string): string {
  return `/apis/nodelet.io/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets/${encodeURIComponent(name)}`;
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The Status in an error response, or one made from the code when the body is not a Status. */
async function errorFrom(res: IncomingMessage): Promise<ApiStatusError> {
  const code = res.statusCode ?? 500;
  const text = await readBody(res).catch(() => '');
  try {
    const body: unknown = JSON.parse(text);
    if (isKubeStatus(body)) return new ApiStatusError(body);
  } catch {
    // not JSON: fall through
  }
  return new ApiStatusError(failureStatus(code, text.trim() || `the server responded with HTTP ${code}`));
}

export interface ApiClientOptions {
  /**
   * The agent's read-only socket: reads (GET) go there when the admin socket refuses this user
   * (EACCES), as for a member of apiReadOnlySocketGroup only. Writes and exec never do.
   */
  readonly readOnlySocket?: string;
}

/** A connect error that means "not allowed to use this socket". */
function isPermissionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM';
}

export class ApiClient {
  readonly socketPath: string;
  readonly readOnlySocket: string | undefined;
  /** Set once the admin socket refused us: reads go straight to the read-only socket. */
  #readsOnReadOnly = false;

  constructor(socketPath: string, opts: ApiClientOptions = {}) {
    this.socketPath = socketPath;
    this.readOnlySocket = opts.readOnlySocket;
  }

  #send(socketPath: string, method: string, path: string, extra: Partial<RequestOptions>, signal: AbortSignal | undefined, body: string | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath, method, path, ...extra, ...(signal === undefined ? {} : { signal }) });
      req.once('response', resolve);
      req.once('error', reject);
      req.end(body);
    });
  }

  async #request(method: string, path: string, extra: Partial<RequestOptions> = {}, signal?: AbortSignal, body?: string): Promise<IncomingMessage> {
    const readOnly = method === 'GET' ? this.readOnlySocket : undefined;
    if (readOnly !== undefined && this.#readsOnReadOnly) {
      return this.#send(readOnly, method, path, extra, signal, body).catch((err: unknown) => Promise.reject(this.#connectError(err, readOnly)));
    }
    try {
      return await this.#send(this.socketPath, method, path, extra, signal, body);
    } catch (err) {
      if (readOnly === undefined || !isPermissionError(err)) throw this.#connectError(err);
      try {
        const res = await this.#send(readOnly, method, path, extra, signal, body);
        this.#readsOnReadOnly = true;
        return res;
      } catch (second) {
        // Say why neither socket would do: the admin one refused, the read-only one is missing or refused too.
        if ((second as NodeJS.ErrnoException).code === 'ABORT_ERR') throw second;
        throw new AgentUnreachableError(this.socketPath, `${unreachableReason(err)}; the read-only socket ${readOnly}: ${unreachableReason(second)}`, { cause: err });
      }
    }
  }

  async #post<T>(path: string, body: unknown): Promise<T> {
    const text = JSON.stringify(body);
    const res = await this.#request('POST', path, { headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } }, undefined, text);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    return JSON.parse(await readBody(res)) as T;
  }

  #connectError(err: unknown, socketPath = this.socketPath): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ABORT_ERR') return err as Error;
    // unreachableReason words the codes a user can act on and falls back to the error's message.
    return new AgentUnreachableError(socketPath, unreachableReason(err), { cause: err });
  }

  async #json<T>(method: string, path: string): Promise<T> {
    const res = await this.#request(method, path, { headers: { Accept: 'application/json' } });
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    return JSON.parse(await readBody(res)) as T;
  }

  async listPods(namespace?: string): Promise<Pod[]> {
    const path = namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
    return (await this.#json<ListBody<Pod>>('GET', path)).items;
  }

  getPod(namespace: string, name: string): Promise<Pod> {
    return this.#json<Pod>('GET', podPath(namespace, name));
  }

  /** Returns the pod as it was when deleted. */
  deletePod(namespace: string, name: string): Promise<Pod> {
    return this.#json<Pod>('DELETE', podPath(namespace, name));
  }

  async listEvents(namespace?: string): Promise<NodeletEvent[]> {
    const path = namespace === undefined ? '/api/v1/events' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
    return (await this.#json<ListBody<NodeletEvent>>('GET', path)).items;
  }

  node(): Promise<Node> {
    return this.#json<Node>('GET', '/api/v1/node');
  }

  /** The node's CSINode: the CSI drivers registered through plugins_registry. */
  csiNode(): Promise<CsiNode> {
    return this.#json<CsiNode>('GET', '/api/v1/node/csinode');
  }

  async manifests(): Promise<FileStatus[]> {
    return (await this.#json<ListBody<FileStatus>>('GET', '/api/v1/manifests')).items;
  }

  async listDaemonSets(namespace?: string): Promise<DaemonSet[]> {
    const path = namespace === undefined ? '/apis/apps/v1/daemonsets' : `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets`;
    return (await this.#json<ListBody<DaemonSet>>('GET', path)).items;
  }

  getDaemonSet(namespace: string, name: string): Promise<DaemonSet> {
    return this.#json<DaemonSet>('GET', `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets/${encodeURIComponent(name)}`);
  }

  async listControllerRevisions(namespace?: string): Promise<ControllerRevision[]> {
    const path = namespace === undefined ? '/apis/apps/v1/controllerrevisions' : `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/controllerrevisions`;
    return (await this.#json<ListBody<ControllerRevision>>('GET', path)).items;
  }

  /** The DaemonSet's stored revisions with their templates (rollout history). */
  async daemonSetRevisions(namespace: string, name: string): Promise<DaemonSetRevision[]> {
    return (await this.#json<ListBody<DaemonSetRevision>>('GET', `${dsPath(namespace, name)}/revisions`)).items;
  }

  /** rollout undo|restart, set image: the agent rewrites the manifest; returns kubectl's message. */
  async editDaemonSet(namespace: string, name: string, request: DaemonSetEditRequest, changeCause?: string): Promise<string> {
    return (await this.#post<{ message: string }>(`${dsPath(namespace, name)}/edit`, { request, ...(changeCause === undefined ? {} : { changeCause }) })).message;
  }

  labelNode(specs: readonly string[], overwrite: boolean): Promise<{ message: string; notices: string[] }> {
    return this.#post('/api/v1/node/labels', { specs, overwrite });
  }

  taintNode(specs: readonly string[], overwrite: boolean): Promise<{ message: string }> {
    return this.#post('/api/v1/node/taints', { specs, overwrite });
  }

  version(): Promise<VersionInfo> {
    return this.#json<VersionInfo>('GET', '/version');
  }

  /** The log stream, once the agent has accepted the request; a follow ends when `signal` aborts. */
  async logs(namespace: string, name: string, opts: Partial<LogOptions>, signal?: AbortSignal): Promise<Readable> {
    const query = new URLSearchParams();
    if (opts.container !== undefined) query.set('container', opts.container);
    if (opts.follow) query.set('follow', 'true');
    if (opts.previous) query.set('previous', 'true');
    if (opts.timestamps) query.set('timestamps', 'true');
    if (opts.tailLines !== undefined) query.set('tailLines', String(opts.tailLines));
    if (opts.sinceSeconds !== undefined) query.set('sinceSeconds', String(opts.sinceSeconds));
    if (opts.sinceTime !== undefined) query.set('sinceTime', opts.sinceTime);
    if (opts.limitBytes !== undefined) query.set('limitBytes', String(opts.limitBytes));
    const res = await this.#request('GET', `${podPath(namespace, name, 'log')}?${query.toString()}`, {}, signal);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    return res;
  }

  /** Starts an exec; resolves once the agent switched protocols. */
  exec(namespace: string, name: string, opts: Partial<ExecOptions> & { command: readonly string[] }): Promise<ExecConnection> {
    const query = new URLSearchParams();
    if (opts.container !== undefined) query.set('container', opts.container);
    for (const arg of opts.command) query.append('command', arg);
    if (opts.stdin) query.set('stdin', 'true');
    if (opts.tty) query.set('tty', 'true');
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        method: 'POST',
        path: `${podPath(namespace, name, 'exec')}?${query.toString()}`,
        headers: { Connection: 'Upgrade', Upgrade: EXEC_PROTOCOL },
      });
      req.once('error', (err) => reject(this.#connectError(err)));
      req.once('response', (res: IncomingMessage) => {
        void errorFrom(res).then(reject);
      });
      req.once('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => resolve(execConnection(socket, head)));
      req.end();
    });
  }
}

function execConnection(socket: Socket, head: Buffer): ExecConnection {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const decoder = new FrameDecoder();
  let exitCode: number | undefined;
  let serverError: string | undefined;
  let settle: { resolve(code: number): void; reject(err: Error): void } | undefined;
  const exit = new Promise<number>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Callers that only want the output must not crash on an unobserved rejection.
  exit.catch(() => undefined);

  const onData = (chunk: Buffer): void => {
    for (const frame of decoder.push(chunk)) {
      if (frame.type === FRAME.stdout) stdout.write(frame.payload);
      else if (frame.type === FRAME.stderr) stderr.write(frame.payload);
      else if (frame.type === FRAME.error) serverError = frame.payload.toString('utf8');
      else if (frame.type === FRAME.exit) exitCode = decodeExitPayload(frame.payload);
    }
  };
  if (head.length > 0) onData(head);
  socket.on('data', onData);
  socket.on('error', () => undefined); // reported through `close` below
  socket.once('close', () => {
    if (serverError !== undefined && exitCode !== undefined) stderr.write(`error: ${serverError}\n`);
    stdout.end();
    stderr.end();
    if (exitCode !== undefined) settle?.resolve(exitCode);
    else settle?.reject(new Error(serverError ?? 'the agent closed the exec connection before the command finished'));
  });

  return {
    stdout,
    stderr,
    writeStdin: (chunk) => {
      if (!socket.destroyed) socket.write(encodeFrame(FRAME.stdin, chunk));
    },
    endStdin: () => {
      if (!socket.destroyed) socket.write(encodeFrame(FRAME.stdinEnd));
    },
    resize: (cols, rows) => {
      if (!socket.destroyed) socket.write(encodeResizeFrame(cols, rows));
    },
    exitCode: exit,
    close: () => socket.destroy(),
  };
}
