// KubeletStreams over the agent: exec, attach and port-forward as the kubelet serves them to the
// API server (SPDY/3.1, agent/streaming), with Docker doing the work (exec and attach hijacked,
// port-forward through the sandbox's network namespace). The checks the kubelet makes before the
// upgrade (GetExec/GetAttach/GetPortForward: the container must be running) answer with its
// plain-text errors; what fails once the streams are up goes on the error stream.
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../log/logger.js';
import type { ApiBackend } from '../api/backend.js';
import { FRAME, FrameDecoder } from '../api/stream-frames.js';
import { serveRemoteCommand, type CommandOutcome, type RemoteCommandContext } from '../streaming/remotecommand.js';
import { servePortForward } from '../streaming/portforward.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../streaming/spdy-session.js';
import type { KubeletStreams, RemoteCommandStreams, StreamContainerTarget } from './ports.js';

export interface KubeletStreamsDeps {
  readonly backend: ApiBackend;
  readonly logger?: Logger;
  /** streamingConnectionIdleTimeout (default 4h). */
  readonly idleTimeoutMs?: number;
  /** How long the client has to open its streams (default 30 s). */
  readonly streamCreationTimeoutMs?: number;
}

/** What streaming.WriteError writes for an error that is not a gRPC NotFound: 500 and the bare message. */
function writePlainError(socket: Duplex, status: number, message: string): void {
  const reason = status === 404 ? 'Not Found' : status === 400 ? 'Bad Request' : 'Internal Server Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`);
}

/** kubecontainer.GetPodFullName. */
function podFullName(namespace: string, name: string): string {
  return `${name}_${namespace}`;
}

function findPod(backend: ApiBackend, namespace: string, name: string): Pod | undefined {
  return backend.listPods().find((p) => p.metadata?.namespace === namespace && p.metadata.name === name);
}

/** Whether the runtime has the container running (the kubelet's findContainer looks among running containers only). */
function containerRunning(pod: Pod | undefined, container: string): boolean {
  const statuses = [...(pod?.status?.containerStatuses ?? []), ...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.ephemeralContainerStatuses ?? [])];
  return statuses.some((s) => s.name === container && s.state?.running !== undefined);
}

function podRunning(pod: Pod | undefined): boolean {
  return [...(pod?.status?.containerStatuses ?? []), ...(pod?.status?.initContainerStatuses ?? [])].some((s) => s.state?.running !== undefined);
}

const waitingForDrain = new WeakSet<Writable>();

/** Writes `data` to `out`, pausing `source` while `out` is full. */
function forward(data: Buffer, out: Writable | undefined, source: NodeJS.ReadableStream): void {
  if (out === undefined || out.destroyed) return;
  if (!out.write(data) && !waitingForDrain.has(out)) {
    waitingForDrain.add(out);
    source.pause();
    out.once('drain', () => {
      waitingForDrain.delete(out);
      source.resume();
    });
  }
}

/**
 * Copies a Docker hijacked stream to the client's streams (demultiplexing Docker's frames unless
 * the output is a TTY's) and the client's stdin to it; resolves when Docker's output ends.
 */
function bridge(ctx: RemoteCommandContext, stream: NodeJS.ReadWriteStream, multiplexed: boolean): Promise<void> {
  const stdin: Readable | undefined = ctx.stdin;
  if (stdin) {
    stdin.on('data', (chunk: Buffer) => {
      if (!stream.write(chunk)) {
        stdin.pause();
        stream.once('drain', () => stdin.resume());
      }
    });
    stdin.once('end', () => stream.end());
  }
  const frames = multiplexed ? new FrameDecoder() : undefined;
  stream.on('data', (chunk: Buffer | string) => {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (frames === undefined) {
      forward(data, ctx.stdout, stream);
      return;
    }
    for (const frame of frames.push(data)) {
      if (frame.type === FRAME.stdout) forward(frame.payload, ctx.stdout, stream);
      else if (frame.type === FRAME.stderr) forward(frame.payload, ctx.stderr, stream);
    }
  });
  const abort = (): void => destroy(stream);
  ctx.aborted.addEventListener('abort', abort, { once: true });
  return new Promise((resolve, reject) => {
    let done = false;
    const settle = (err?: Error): void => {
      if (done) return;
      done = true;
      ctx.aborted.removeEventListener('abort', abort);
      if (err && !ctx.aborted.aborted) reject(err);
      else resolve();
    };
    stream.once('end', () => settle());
    stream.once('close', () => settle());
    stream.once('error', (err: Error) => settle(err));
  });
}

function destroy(stream: NodeJS.ReadWriteStream): void {
  const destroyable = stream as NodeJS.ReadWriteStream & { destroy?: () => void };
  if (destroyable.destroy !== undefined) destroyable.destroy();
  else stream.end();
}

export function createKubeletStreams(deps: KubeletStreamsDeps): KubeletStreams {
  const { backend } = deps;
  const base = {
    idleTimeoutMs: deps.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    ...(deps.streamCreationTimeoutMs === undefined ? {} : { streamCreationTimeoutMs: deps.streamCreationTimeoutMs }),
  };
  const logFor = (fields: Record<string, unknown>) => (level: 'info' | 'warn', msg: string, more?: Record<string, unknown>): void => {
    deps.logger?.[level]({ ...fields, ...more }, msg);
  };

  const remoteCommand = (
    kind: 'exec' | 'attach',
    target: StreamContainerTarget & RemoteCommandStreams,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    notFound: string,
    run: (ctx: RemoteCommandContext) => Promise<CommandOutcome>,
  ): void => {
    socket.on('error', () => undefined); // the client vanishing mid-session is not our error
    const fields = { stream: kind, namespace: target.namespace, pod: target.pod, container: target.container };
    const pod = findPod(backend, target.namespace, target.pod);
    if (!containerRunning(pod, target.container)) {
      writePlainError(socket, 500, notFound);
      return;
    }
    deps.logger?.info({ ...fields, tty: target.tty, stdin: target.stdin }, `${kind} session started`);
    const started = Date.now();
    void serveRemoteCommand(req.rawHeaders, socket, head, { stdin: target.stdin, stdout: target.stdout, stderr: target.stderr && !target.tty, tty: target.tty }, run, { ...base, kind, log: logFor(fields) })
      .catch((err: unknown) => deps.logger?.error({ ...fields, err }, `${kind} session failed`))
      .finally(() => {
        if (!socket.destroyed) socket.destroy();
        deps.logger?.info({ ...fields, durationMs: Date.now() - started }, `${kind} session ended`);
      });
  };

  return {
    exec(target, req, socket, head) {
      remoteCommand('exec', target, req, socket, head, `container not found (${JSON.stringify(target.container)})`, async (ctx) => {
        const size = ctx.size();
        const session = await backend.exec(target.namespace, target.pod, {
          container: target.container,
          command: target.command,
          stdin: target.stdin,
          tty: target.tty,
          ...(size ? { consoleSize: { cols: size.width, rows: size.height } } : {}),
        });
        ctx.onResize((size) => void session.resize(size.width, size.height));
        await bridge(ctx, session.stream, !target.tty);
        if (ctx.aborted.aborted) return { kind: 'success' };
        const code = await session.exitCode();
        if (code === 0) return { kind: 'success' };
        // cri-dockerd's ExecInContainer error for a non-zero exit.
        return { kind: 'exit', code, message: `command '${target.command.join(' ')}' exited with ${code}` };
      });
    },

    attach(target, req, socket, head) {
      const attach = backend.attach?.bind(backend);
      remoteCommand('attach', target, req, socket, head, `container ${target.container} not found in pod ${podFullName(target.namespace, target.pod)}`, async (ctx) => {
        if (attach === undefined) return { kind: 'error', message: 'attach is not supported by this runtime' };
        const session = await attach(target.namespace, target.pod, { container: target.container, stdin: target.stdin });
        ctx.onResize((size) => void session.resize(size.width, size.height));
        await bridge(ctx, session.stream, session.multiplexed);
        return { kind: 'success' };
      });
    },

    portForward(target, req, socket, head) {
      socket.on('error', () => undefined);
      const fields = { stream: 'portforward', namespace: target.namespace, pod: target.pod };
      if (!podRunning(findPod(backend, target.namespace, target.pod))) {
        writePlainError(socket, 500, `pod not found (${JSON.stringify(podFullName(target.namespace, target.pod))})`);
        return;
      }
      const portForward = backend.portForward?.bind(backend);
      deps.logger?.info(fields, 'port-forward session started');
      void servePortForward(
        req.rawHeaders,
        socket,
        head,
        async (port, data) => {
          if (portForward === undefined) throw new Error('port-forward is not supported by this runtime');
          await portForward(target.namespace, target.pod, port, data);
        },
        { ...base, pod: target.pod, uid: target.uid ?? '', log: logFor(fields) },
      )
        .catch((err: unknown) => deps.logger?.error({ ...fields, err }, 'port-forward session failed'))
        .finally(() => {
          if (!socket.destroyed) socket.destroy();
          deps.logger?.info(fields, 'port-forward session ended');
        });
    },
  };
}
