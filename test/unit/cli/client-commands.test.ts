// The client commands end to end: commander parseAsync → ApiClient → a real API server on a temp
// unix socket → FakeApiBackend (a fake of nodelet's ApiBackend port, not of Docker).
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../agent/api/server.js';
import { registerClientCommands, type CliIo } from '../../../agent/cli/commands/index.js';
import { systemClock, type Clock } from '../../../agent/core/clock.js';
import type { NodeletEvent } from '../../../agent/events/event-store.js';
import { FakeApiBackend, fakePod } from '../../helpers/fake-api-backend.js';

const NOW = Date.parse('2026-01-01T00:05:00Z');
const clock: Clock = { ...systemClock, now: () => NOW };

let dir: string;
let socketPath: string;
let backend: FakeApiBackend;
let server: ApiServer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nodelet-cli-'));
  socketPath = join(dir, 'nodelet.sock');
  backend = new FakeApiBackend();
  backend.pods = [
    fakePod('web', { labels: { app: 'web', tier: 'front' } }),
    fakePod('webhook', { labels: { app: 'hook' } }),
    fakePod('multi', { containers: ['main', 'sidecar'], initContainers: ['setup'] }),
    fakePod('annotated', { containers: ['main', 'logger'], annotations: { 'kubectl.kubernetes.io/default-container': 'logger' } }),
    fakePod('term', { tty: true }),
    fakePod('agent', { namespace: 'system', labels: { app: 'agent' } }),
  ];
  server = await startApiServer({ socketPath, backend, version: '0.1.0' });
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly out: string;
  readonly err: string;
  readonly code: number;
}

interface RunOptions {
  readonly stdin?: CliIo['stdin'];
  readonly interrupts?: EventEmitter;
  readonly resizes?: EventEmitter;
  readonly terminalSize?: { cols: number; rows: number };
  /** Called with the output so far each time something is written. */
  readonly onOutput?: (out: string) => void;
}

function sink(onWrite: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      onWrite(chunk.toString('utf8'));
      done();
    },
  });
}

async function run(args: readonly string[], opts: RunOptions = {}): Promise<Run> {
  let out = '';
  let err = '';
  const interrupts = opts.interrupts ?? new EventEmitter();
  const resizes = opts.resizes ?? new EventEmitter();
  const program = new Command('nodelet')
    .exitOverride()
    .configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) })
    .addOption(new Option('--api-socket <path>').env('NODELET_API_SOCKET').default(socketPath));
  registerClientCommands(program, {
    clock,
    watchIntervalMs: 10,
    io: {
      stdout: sink((t) => {
        out += t;
        opts.onOutput?.(out);
      }),
      stderr: sink((t) => (err += t)),
      stdin: opts.stdin ?? new PassThrough(),
      terminalSize: () => opts.terminalSize,
      onResize: (l) => {
        resizes.on('resize', l);
        return () => resizes.off('resize', l);
      },
      onInterrupt: (l) => {
        interrupts.on('SIGINT', l);
        return () => interrupts.off('SIGINT', l);
      },
    },
  });
  const previous = process.exitCode;
  try {
    await program.parseAsync([...args], { from: 'user' });
    return { out, err, code: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = previous;
  }
}

describe('nodelet get pods', () => {
  it('prints the kubectl table of the default namespace', async () => {
    const r = await run(['get', 'pods']);
    expect(r).toEqual({
      out: [
        'NAME              READY   STATUS    RESTARTS   AGE',
        'annotated-node1   2/2     Running   0          5m',
        'multi-node1       2/2     Running   0          5m',
        'term-node1        1/1     Running   0          5m',
        'web-node1         1/1     Running   0          5m',
        'webhook-node1     1/1     Running   0          5m',
        '',
      ].join('\n'),
      err: '',
      code: 0,
    });
  });

  it('resolves names without the node suffix, and by unique prefix', async () => {
    expect((await run(['get', 'pod', 'web'])).out).toContain('web-node1 ');
    expect((await run(['get', 'po', 'mul'])).out).toContain('multi-node1');
    expect((await run(['get', 'pod/term', '-o', 'name'])).out).toBe('pod/term-node1\n');
  });

  it('says a pod is not found as kubectl does, with exit status 1', async () => {
    expect(await run(['get', 'pod', 'nope'])).toEqual({ out: '', err: 'Error from server (NotFound): pods "nope" not found\n', code: 1 });
    const ambiguous = await run(['get', 'pod', 'w']);
    expect(ambiguous.err).toBe('error: pod name "w" is ambiguous in namespace "default": web-node1, webhook-node1\n');
    expect(ambiguous.code).toBe(1);
  });

  it('filters by namespace and label selector, and lists all namespaces with -A', async () => {
    expect((await run(['get', 'pods', '-n', 'system', '-o', 'name'])).out).toBe('pod/agent-node1\n');
    expect((await run(['get', 'pods', '-l', 'app in (web,hook),tier!=back', '-o', 'name'])).out).toBe('pod/web-node1\npod/webhook-node1\n');
    expect((await run(['get', 'pods', '-l', '!tier,app', '-o', 'name'])).out).toBe('pod/webhook-node1\n');
    const all = await run(['get', 'pods', '-A']);
    expect(all.out.split('\n')[0]).toMatch(/^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE$/);
    expect(all.out).toMatch(/\nsystem +agent-node1 +1\/1 +Running/);
  });

  it('reports an empty result and a bad selector', async () => {
    expect(await run(['get', 'pods', '-n', 'empty'])).toEqual({ out: '', err: 'No resources found in empty namespace.\n', code: 0 });
    expect((await run(['get', 'pods', '-A', '-l', 'app=none'])).err).toBe('No resources found\n');
    const bad = await run(['get', 'pods', '-l', 'app=a b']);
    expect(bad.err).toBe("error: found 'b', expected: ',' or 'end of string'\n");
    expect(bad.code).toBe(1);
  });

  it('prints json and yaml like kubectl: one object, or a List', async () => {
    const one = JSON.parse((await run(['get', 'pod', 'web', '-o', 'json'])).out) as { kind: string; metadata: { name: string } };
    expect(one.kind).toBe('Pod');
    expect(one.metadata.name).toBe('web-node1');
    const list = JSON.parse((await run(['get', 'pods', '-n', 'system', '-o', 'json'])).out) as { kind: string; items: unknown[] };
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(1);
    const yaml = (await run(['get', 'pods', '-n', 'system', '-o', 'yaml'])).out;
    expect(yaml.startsWith('apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n')).toBe(true);
    expect(yaml).toMatch(/\nkind: List\nmetadata:\n {2}resourceVersion: (""|'')\n$/);
    expect((await run(['get', 'pods', '-o', 'wide', '-n', 'system'])).out.split('\n')[0]).toMatch(/IP +NODE +NOMINATED NODE +READINESS GATES$/);
    expect((await run(['get', 'pods', '-o', 'table'])).err).toBe(
      'error: unable to match a printer suitable for the output format "table", allowed formats are: json,name,wide,yaml\n',
    );
  });

  it('-w prints the table, then a row per change, until interrupted', async () => {
    const interrupts = new EventEmitter();
    let step = 0;
    const result = run(['get', 'pods', '-n', 'system', '-w'], {
      interrupts,
      onOutput: (out) => {
        const lines = out.split('\n').filter((l) => l !== '');
        if (step === 0 && lines.length === 2) {
          step = 1;
          // A restart, then a new pod, then the first one going away.
          const agent = backend.pods.find((p) => p.metadata?.name === 'agent-node1');
          const status = agent?.status?.containerStatuses?.[0];
          if (status) status.restartCount = 1;
          backend.pods = [...backend.pods];
        } else if (step === 1 && lines.length === 3) {
          step = 2;
          backend.pods = [...backend.pods, fakePod('extra', { namespace: 'system' })];
        } else if (step === 2 && lines.length === 4) {
          step = 3;
          backend.pods = backend.pods.filter((p) => p.metadata?.name !== 'agent-node1');
        } else if (step === 3 && lines.length === 5) {
          step = 4;
          interrupts.emit('SIGINT');
        }
      },
    });
    const r = await result;
    const lines = r.out.split('\n').filter((l) => l !== '');
    expect(lines[0]).toMatch(/^NAME +READY +STATUS +RESTARTS +AGE$/);
    expect(lines[1]).toMatch(/^agent-node1 +1\/1 +Running +0 +5m$/);
    expect(lines[2]).toMatch(/^agent-node1 +1\/1 +Running +1 +5m$/);
    expect(lines[3]).toMatch(/^extra-node1 +1\/1 +Running +0 +5m$/);
    expect(lines[4]).toMatch(/^agent-node1 +1\/1 +Running +1 +5m$/);
    // Ctrl-C: the status a shell reports for SIGINT, as for kubectl.
    expect(r.code).toBe(130);
  });
});

describe('nodelet get events | manifests | node', () => {
  const event = (name: string, namespace: string, reason: string, at: number): NodeletEvent => ({
    involvedObject: { kind: 'Pod', namespace, name },
    type: reason === 'BackOff' ? 'Warning' : 'Normal',
    reason,
    message: `${reason} message`,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
    source: 'nodelet, node1',
  });

  it('prints events of a namespace, or all of them', async () => {
    backend.events = [event('web-node1', 'default', 'Started', NOW - 30_000), event('agent-node1', 'system', 'BackOff', NOW - 10_000)];
    const r = await run(['get', 'events']);
    expect(r.out.split('\n')[0]).toMatch(/^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$/);
    expect(r.out).toMatch(/30s +Normal +Started +pod\/web-node1 +Started message/);
    expect(r.out).not.toContain('agent-node1');
    expect((await run(['get', 'ev', '-A'])).out).toMatch(/system +10s +Warning +BackOff +pod\/agent-node1/);
    expect((await run(['get', 'events', '-n', 'empty'])).err).toBe('No resources found in empty namespace.\n');
  });

  it('prints manifest files, then their errors', async () => {
    backend.files = [
      { file: '/etc/kubernetes/manifests/web.yaml', state: 'ok', objects: [{ kind: 'Pod', namespace: 'default', name: 'web' }], errors: [], warnings: [], checkedAt: NOW },
      {
        file: '/etc/kubernetes/manifests/bad.yaml',
        state: 'invalid',
        objects: [],
        errors: [{ severity: 'error', file: '/etc/kubernetes/manifests/bad.yaml', document: 0, field: 'spec.containers[0].image', message: 'spec.containers[0].image: Required value' }],
        warnings: [],
        checkedAt: NOW,
      },
    ];
    const r = await run(['get', 'manifests']);
    const [header, first, second, blank, ...rest] = r.out.split('\n');
    expect(header).toMatch(/^FILE +STATUS +OBJECTS +ERRORS$/);
    expect(first).toMatch(/^\/etc\/kubernetes\/manifests\/web\.yaml +ok +1 +0$/);
    expect(second).toMatch(/^\/etc\/kubernetes\/manifests\/bad\.yaml +invalid +0 +1$/);
    expect(blank).toBe('');
    expect(rest.join('\n')).toContain('/etc/kubernetes/manifests/bad.yaml');
    expect(rest.join('\n')).toContain('spec.containers[0].image: Required value');
  });

  it('prints the node like kubectl get node, and as yaml', async () => {
    const r = await run(['get', 'node']);
    expect(r.out).toBe('NAME    STATUS   ROLES   AGE   VERSION\nnode1   Ready    edge    5m    v0.1.0\n');
    expect((await run(['get', 'no', 'other'])).err).toBe('Error from server (NotFound): nodes "other" not found\n');
    expect((await run(['get', 'node', 'node1', '-o', 'yaml'])).out).toMatch(/^apiVersion: v1\nkind: Node\nmetadata:\n/);
    // Without a name kubectl prints a List, even of one node.
    expect((await run(['get', 'node', '-o', 'yaml'])).out).toMatch(/^apiVersion: v1\nitems:\n- apiVersion: v1\n {2}kind: Node\n/);
    expect((await run(['get', 'node', '-o', 'wide'])).out).toMatch(/192\.168\.1\.10 +<none> +Debian GNU\/Linux 12 +6\.1\.0 +docker:\/\/28\.2\.2/);
  });

  it('rejects unknown resource types as kubectl does', async () => {
    expect(await run(['get', 'deployments'])).toEqual({ out: '', err: 'error: the server doesn\'t have a resource type "deployments"\n', code: 1 });
  });
});

describe('nodelet describe pod', () => {
  it("describes the pod with its own events", async () => {
    backend.events = [
      { involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-node1' }, type: 'Normal', reason: 'Pulled', message: 'image present', count: 1, firstTimestamp: NOW - 60_000, lastTimestamp: NOW - 60_000, source: 'nodelet, node1' },
      { involvedObject: { kind: 'Pod', namespace: 'default', name: 'webhook-node1' }, type: 'Normal', reason: 'Other', message: 'not mine', count: 1, firstTimestamp: NOW, lastTimestamp: NOW, source: 'nodelet, node1' },
    ];
    const r = await run(['describe', 'pod', 'web']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Name: +web-node1\nNamespace: +default\n/);
    expect(r.out).toContain('image present');
    expect(r.out).not.toContain('not mine');
    expect((await run(['describe', 'pod', 'nope'])).err).toBe('Error from server (NotFound): pods "nope" not found\n');
  });
});

describe('nodelet logs', () => {
  it('prints the logs of the only container', async () => {
    backend.appendLog('default', 'web-node1', 'app', 'hello\nworld\n');
    expect(await run(['logs', 'web'])).toEqual({ out: 'hello\nworld\n', err: '', code: 0 });
    expect(backend.logRequests[0]?.opts).toEqual({ container: 'app', follow: false, previous: false, timestamps: false });
  });

  it('defaults the container as kubectl does, saying so', async () => {
    backend.appendLog('default', 'multi-node1', 'main', 'from main\n');
    expect(await run(['logs', 'multi'])).toEqual({ out: 'from main\n', err: 'Defaulted container "main" out of: main, sidecar, setup (init)\n', code: 0 });
    backend.appendLog('default', 'annotated-node1', 'logger', 'from logger\n');
    expect(await run(['logs', 'annotated'])).toEqual({ out: 'from logger\n', err: '', code: 0 });
  });

  it('reports an unknown container as the API server does', async () => {
    expect(await run(['logs', 'web', '-c', 'nope'])).toEqual({ out: '', err: 'Error from server (BadRequest): container nope is not valid for pod web-node1\n', code: 1 });
  });

  it('passes --tail, --since, --timestamps and --previous', async () => {
    backend.appendLog('default', 'web-node1', 'app', '1\n2\n3\n');
    expect((await run(['logs', 'web', '--tail', '2', '--since', '1m30s', '--timestamps'])).out).toBe('2\n3\n');
    expect(backend.logRequests.at(-1)?.opts).toEqual({ container: 'app', follow: false, previous: false, timestamps: true, tailLines: 2, sinceSeconds: 90 });
    expect((await run(['logs', 'web', '-p'])).err).toBe('Error from server (BadRequest): previous terminated container "app" in pod "web-node1" not found\n');
    expect((await run(['logs', 'web', '--since', '10'])).err).toBe('error: invalid argument "10" for "--since" flag: time: missing unit in duration "10"\n');
    expect((await run(['logs', 'web', '--tail', 'x'])).code).toBe(1);
  });

  it('passes --since-time and --limit-bytes; the agent cuts the output at the limit', async () => {
    backend.appendLog('default', 'web-node1', 'app', 'hello\nworld\n');
    expect(await run(['logs', 'web', '--since-time', '2026-01-01T00:00:00.5Z', '--limit-bytes', '8'])).toEqual({ out: 'hello\nwo', err: '', code: 0 });
    expect(backend.logRequests.at(-1)?.opts).toEqual({ container: 'app', follow: false, previous: false, timestamps: false, sinceTime: '2026-01-01T00:00:00.5Z', limitBytes: 8 });
    expect((await run(['logs', 'web', '--since-time', 'yesterday'])).err).toBe('error: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as RFC3339\n');
    expect((await run(['logs', 'web', '--since-time', '2026-01-01T00:00:00Z', '--since', '1m'])).err).toBe('error: at most one of `sinceTime` or `sinceSeconds` may be specified\n');
    expect((await run(['logs', 'web', '--limit-bytes', '-1'])).err).toBe('error: --limit-bytes must be greater than 0\n');
  });

  it('--all-containers prints init, then app containers in order; --prefix names each line as kubectl does', async () => {
    backend.appendLog('default', 'multi-node1', 'setup', 'set up\n');
    backend.appendLog('default', 'multi-node1', 'main', 'main 1\nmain 2\n');
    backend.appendLog('default', 'multi-node1', 'sidecar', 'side\n');
    expect(await run(['logs', 'multi', '--all-containers'])).toEqual({ out: 'set up\nmain 1\nmain 2\nside\n', err: '', code: 0 });
    expect((await run(['logs', 'multi', '--all-containers', '--prefix'])).out).toBe(
      '[pod/multi-node1/setup] set up\n[pod/multi-node1/main] main 1\n[pod/multi-node1/main] main 2\n[pod/multi-node1/sidecar] side\n',
    );
    expect((await run(['logs', 'multi', '--all-containers', '-c', 'main'])).err).toBe('error: --all-containers=true should not be specified with container name main\n');
    expect((await run(['logs', 'multi', '--all-containers', '-f', '--max-log-requests', '2'])).err).toBe(
      'error: you are attempting to follow 3 log streams, but maximum allowed concurrency is 2, use --max-log-requests to increase the limit\n',
    );
  });

  it('--all-containers -f follows every container at once, whole lines only', async () => {
    backend.appendLog('default', 'multi-node1', 'main', 'm1\n');
    const interrupts = new EventEmitter();
    const r = await run(['logs', 'multi', '--all-containers', '-f', '--prefix'], {
      interrupts,
      onOutput: (out) => {
        if (out === '[pod/multi-node1/main] m1\n') backend.appendLog('default', 'multi-node1', 'sidecar', 's1\n');
        if (out.endsWith('[pod/multi-node1/sidecar] s1\n')) interrupts.emit('SIGINT');
      },
    });
    expect(r).toEqual({ out: '[pod/multi-node1/main] m1\n[pod/multi-node1/sidecar] s1\n', err: '', code: 130 });
  });

  it('-f follows new lines until interrupted', async () => {
    backend.appendLog('default', 'web-node1', 'app', 'first\n');
    const interrupts = new EventEmitter();
    const r = await run(['logs', '-f', 'web'], {
      interrupts,
      onOutput: (out) => {
        if (out === 'first\n') backend.appendLog('default', 'web-node1', 'app', 'second\n');
        if (out === 'first\nsecond\n') interrupts.emit('SIGINT');
      },
    });
    expect(r).toEqual({ out: 'first\nsecond\n', err: '', code: 130 });
    await until(() => backend.followerCount('default', 'web-node1', 'app') === 0);
  });
});

describe('nodelet exec', () => {
  it('runs a command and returns its exit code', async () => {
    expect(await run(['exec', 'web', '--', 'echo', 'hi', 'there'])).toEqual({ out: 'hi there\n', err: '', code: 0 });
    expect(await run(['exec', 'web', '--', 'fail', '4', 'bad things'])).toEqual({ out: '', err: 'bad things\ncommand terminated with exit code 4\n', code: 4 });
  });

  it('defaults and checks the container', async () => {
    expect((await run(['exec', 'multi', '--', 'echo'])).err).toBe('Defaulted container "main" out of: main, sidecar, setup (init)\n');
    expect(backend.execs.at(-1)?.opts.container).toBe('main');
    expect(await run(['exec', 'web', '-c', 'nope', '--', 'echo'])).toEqual({ out: '', err: 'Error from server (BadRequest): container nope is not valid for pod web-node1\n', code: 1 });
    expect((await run(['exec', 'web'])).err).toBe('error: you must specify at least one command for the container\n');
  });

  it('-i pipes stdin to the command', async () => {
    const stdin = new PassThrough();
    stdin.end('some input\n');
    expect(await run(['exec', '-i', 'web', '--', 'cat'], { stdin })).toEqual({ out: 'some input\n', err: '', code: 0 });
    expect(backend.execs.at(-1)).toMatchObject({ stdin: 'some input\n', stdinEnded: true, opts: { stdin: true, tty: false } });
  });

  it('-it without a terminal falls back to no TTY, as kubectl does', async () => {
    const stdin = new PassThrough();
    stdin.end('x');
    const r = await run(['exec', '-it', 'web', '--', 'cat'], { stdin });
    expect(r.err).toBe('Unable to use a TTY - input is not a terminal or the right kind of file\n');
    expect(backend.execs.at(-1)?.opts.tty).toBe(false);
  });

  it('-it on a terminal: raw mode for the session, size and resizes forwarded, terminal restored', async () => {
    const rawModes: boolean[] = [];
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (raw: boolean) => rawModes.push(raw) });
    const resizes = new EventEmitter();
    let size = { cols: 80, rows: 24 };
    const pending = run(['exec', '-it', 'term', '--', 'winsize'], {
      stdin,
      resizes,
      get terminalSize() {
        return size;
      },
    });
    await until(() => (backend.execs.at(-1)?.resizes.length ?? 0) === 1);
    expect(rawModes).toEqual([true]);
    size = { cols: 132, rows: 50 };
    resizes.emit('resize');
    await until(() => (backend.execs.at(-1)?.resizes.length ?? 0) === 2);
    stdin.end();
    const r = await pending;
    expect(JSON.parse(r.out)).toEqual([
      { cols: 80, rows: 24 },
      { cols: 132, rows: 50 },
    ]);
    expect(rawModes).toEqual([true, false]);
    expect(r.code).toBe(0);
  });
});

describe('nodelet delete pod', () => {
  it('deletes by short name and prints what kubectl prints', async () => {
    expect(await run(['delete', 'pod', 'web'])).toEqual({ out: 'pod "web-node1" deleted from default namespace\n', err: '', code: 0 });
    expect(backend.deleted).toEqual(['default/web-node1']);
    expect((await run(['delete', 'pod', 'agent', '-n', 'system', '-o', 'name'])).out).toBe('pod/agent-node1\n');
    expect(await run(['delete', 'pod', 'nope'])).toEqual({ out: '', err: 'Error from server (NotFound): pods "nope" not found\n', code: 1 });
  });
});

describe('the socket option', () => {
  it('every command says plainly when the agent cannot be reached', async () => {
    const missing = join(dir, 'missing.sock');
    const expected = `nodelet: cannot reach the agent at ${missing}: no such file (is nodelet running?)\n`;
    for (const args of [['get', 'pods'], ['get', 'events'], ['get', 'manifests'], ['get', 'node'], ['describe', 'pod', 'web'], ['logs', 'web'], ['exec', 'web', '--', 'echo'], ['delete', 'pod', 'web']]) {
      expect(await run(['--api-socket', missing, ...args])).toEqual({ out: '', err: expected, code: 1 });
    }
    // A program option: also accepted after the command (before `--`).
    expect(await run(['get', 'pods', '--api-socket', missing])).toEqual({ out: '', err: expected, code: 1 });
  });

  it('reads NODELET_API_SOCKET', async () => {
    const previous = process.env.NODELET_API_SOCKET;
    process.env.NODELET_API_SOCKET = join(dir, 'env.sock');
    try {
      expect((await run(['get', 'pods'])).err).toContain(`cannot reach the agent at ${join(dir, 'env.sock')}`);
    } finally {
      if (previous === undefined) delete process.env.NODELET_API_SOCKET;
      else process.env.NODELET_API_SOCKET = previous;
    }
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
