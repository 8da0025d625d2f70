// An in-memory ApiBackend: a fake of nodelet's own API port (agent/api/backend.ts), NOT of
// Docker. It serves fixed pods, events, a node and manifest statuses, streams logs in Docker's
// multiplexed framing (as the real backend hands them over) and runs a few scripted "commands"
// for exec, so the API server and the CLI can be tested end to end over a real unix socket.
import { Duplex, PassThrough } from 'node:stream';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { ApiError, type ApiBackend, type ExecOptions, type ExecSession, type LogOptions } from '../../agent/api/backend.js';
import { encodeFrame, FRAME } from '../../agent/api/stream-frames.js';
import type { FileStatus } from '../../agent/core/types.js';
import type { NodeletEvent } from '../../agent/events/event-store.js';

export const NODE_NAME = 'node1';
const CREATED = '2026-01-01T00:00:00Z';

export function fakePod(name: string, opts: { namespace?: string; containers?: string[]; initContainers?: string[]; labels?: Record<string, string>; annotations?: Record<string, string>; tty?: boolean } = {}): Pod {
  const containers = opts.containers ?? ['app'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-${NODE_NAME}`,
      namespace: opts.namespace ?? 'default',
      uid: `uid-${name}`,
      labels: opts.labels ?? {},
      annotations: opts.annotations ?? {},
      creationTimestamp: CREATED,
    },
    spec: {
      nodeName: NODE_NAME,
      containers: containers.map((c) => ({ name: c, image: 'busybox:1.37', ...(opts.tty ? { tty: true, stdin: true } : {}) })),
      ...(opts.initContainers ? { initContainers: opts.initContainers.map((c) => ({ name: c, image: 'busybox:1.37' })) } : {}),
    },
    status: {
      phase: 'Running',
      podIP: '10.0.0.2',
      startTime: CREATED,
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: containers.map((c) => ({
        name: c,
        ready: true,
        restartCount: 0,
        image: 'busybox:1.37',
        imageID: 'sha256:abc',
        started: true,
        state: { running: { startedAt: CREATED } },
      })),
    },
  };
}

export interface ExecRecord {
  readonly namespace: string;
  readonly pod: string;
  readonly opts: ExecOptions;
  readonly resizes: { cols: number; rows: number }[];
  stdin: string;
  stdinEnded: boolean;
}

export class FakeApiBackend implements ApiBackend {
  pods: Pod[] = [];
  events: NodeletEvent[] = [];
  files: FileStatus[] = [];
  isReady = true;
  health: { ok: boolean; reason?: string } = { ok: true };
  readonly deleted: string[] = [];
  readonly logRequests: { namespace: string; pod: string; opts: LogOptions }[] = [];
  readonly execs: ExecRecord[] = [];
  /** Log text per `namespace/pod/container`; `previous:` prefix for the previous instance. */
  readonly logText = new Map<string, string>();
  readonly #followers = new Map<string, Set<PassThrough>>();
  readonly aborted: string[] = [];

  nodeName(): string {
    return NODE_NAME;
  }

  listPods(): Pod[] {
    return this.pods;
  }

  listEvents(): NodeletEvent[] {
    return this.events;
  }

  node(): Node {
    return {
      metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME, 'node-role.kubernetes.io/edge': '' }, creationTimestamp: CREATED },
      status: {
        conditions: [{ type: 'Ready', status: this.isReady ? 'True' : 'False', reason: 'NodeletReady' }],
        addresses: [{ type: 'InternalIP', address: '192.168.1.10' }],
        nodeInfo: {
          kubeletVersion: 'v0.1.0',
          osImage: 'Debian GNU/Linux 12',
          kernelVersion: '6.1.0',
          containerRuntimeVersion: 'docker://28.2.2',
          architecture: 'amd64',
          operatingSystem: 'linux',
          bootID: '',
          machineID: '',
          systemUUID: '',
          kubeProxyVersion: '',
        },
      },
    };
  }

  manifests(): FileStatus[] {
    return this.files;
  }

  #podSpec(namespace: string, pod: string): Pod | undefined {
    return this.pods.find((p) => p.metadata?.namespace === namespace && p.metadata?.name === pod);
  }

  #tty(namespace: string, pod: string, container: string): boolean {
    return this.#podSpec(namespace, pod)?.spec?.containers.find((c) => c.name === container)?.tty === true;
  }

  /** Adds lines to a container's log; open follows receive them at once. */
  appendLog(namespace: string, pod: string, container: string, text: string): void {
    const key = `${namespace}/${pod}/${container}`;
    this.logText.set(key, (this.logText.get(key) ?? '') + text);
    const tty = this.#tty(namespace, pod, container);
    for (const follower of this.#followers.get(key) ?? []) follower.write(tty ? Buffer.from(text) : encodeFrame(FRAME.stdout, Buffer.from(text)));
  }

  followerCount(namespace: string, pod: string, container: string): number {
    return this.#followers.get(`${namespace}/${pod}/${container}`)?.size ?? 0;
  }

  logs(namespace: string, pod: string, opts: LogOptions, signal: AbortSignal): Promise<NodeJS.ReadableStream> {
    this.logRequests.push({ namespace, pod, opts });
    const key = `${namespace}/${pod}/${opts.container}`;
    const text = this.logText.get(opts.previous ? `previous:${key}` : key);
    if (text === undefined && opts.previous) {
      return Promise.reject(new ApiError(400, `previous terminated container "${opts.container}" in pod "${pod}" not found`));
    }
    let lines = (text ?? '').split(/(?<=\n)/).filter((l) => l !== '');
    if (opts.tailLines !== undefined) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
    const tty = this.#tty(namespace, pod, opts.container);
    const stream = new PassThrough();
    // Lines go out as separate frames, some split across chunks, as Docker's stream does.
    for (const [i, line] of lines.entries()) {
      const stdErr = line.startsWith('ERR ');
      const frame = tty ? Buffer.from(line) : encodeFrame(stdErr ? FRAME.stderr : FRAME.stdout, Buffer.from(line));
      if (i % 2 === 1 && frame.length > 3) {
        stream.write(frame.subarray(0, 3));
        stream.write(frame.subarray(3));
      } else stream.write(frame);
    }
    if (!opts.follow) {
      stream.end();
      return Promise.resolve(stream);
    }
    const set = this.#followers.get(key) ?? new Set<PassThrough>();
    this.#followers.set(key, set);
    set.add(stream);
    signal.addEventListener('abort', () => {
      set.delete(stream);
      this.aborted.push(key);
      stream.end();
    });
    return Promise.resolve(stream);
  }

  exec(namespace: string, pod: string, opts: ExecOptions): Promise<ExecSession> {
    const [program, ...args] = opts.command;
    if (program === 'missing-binary') {
      return Promise.reject(new ApiError(500, 'OCI runtime exec failed: exec failed: unable to start container process: exec: "missing-binary": executable file not found in $PATH: unknown'));
    }
    const record: ExecRecord = { namespace, pod, opts, resizes: [], stdin: '', stdinEnded: false };
    this.execs.push(record);
    let exitCode = 0;
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const out = (type: number, text: string): Buffer => (opts.tty ? Buffer.from(text) : encodeFrame(type, Buffer.from(text)));
    const stream: Duplex = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, callback) => {
        record.stdin += chunk.toString('utf8');
        if (program === 'cat') stream.push(out(FRAME.stdout, chunk.toString('utf8')));
        callback();
      },
      final: (callback) => {
        record.stdinEnded = true;
        if (program === 'cat' || program === 'winsize') {
          if (program === 'winsize') stream.push(out(FRAME.stdout, JSON.stringify(record.resizes)));
          stream.push(null);
        }
        callback();
      },
    });
    stream.on('end', () => finished());
    // Scripted programs: echo ARGS; fail CODE MESSAGE (stderr); cat (stdin → stdout until EOF);
    // winsize (prints the resizes it saw when stdin ends).
    setImmediate(() => {
      if (program === 'echo') {
        stream.push(out(FRAME.stdout, `${args.join(' ')}\n`));
        stream.push(null);
      } else if (program === 'fail') {
        exitCode = Number(args[0] ?? 1);
        stream.push(out(FRAME.stderr, `${args.slice(1).join(' ')}\n`));
        stream.push(null);
      } else if (program !== 'cat' && program !== 'winsize') {
        exitCode = 127;
        stream.push(out(FRAME.stderr, `sh: ${program ?? ''}: not found\n`));
        stream.push(null);
      }
    });
    return Promise.resolve({
      stream,
      resize: (cols: number, rows: number) => {
        record.resizes.push({ cols, rows });
        return Promise.resolve();
      },
      exitCode: async () => {
        await done;
        return exitCode;
      },
    });
  }

  deletePod(namespace: string, pod: string): Promise<void> {
    this.deleted.push(`${namespace}/${pod}`);
    return Promise.resolve();
  }

  ready(): boolean {
    return this.isReady;
  }

  healthy(): { ok: boolean; reason?: string } {
    return this.health;
  }
}
