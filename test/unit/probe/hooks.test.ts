// Lifecycle handlers: kubelet's messages and grace arithmetic. The runtime's exec is faked (the
// handler only words its result); HTTP hooks go to a real local server; the real-container
// behaviour is in test/integration/hooks.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { graceAfterPreStop, runLifecycleHandler, runPreStopHook, type HookDeps, type HookTarget } from '../../../agent/lifecycle/hooks.js';
import { preStopFromLabels, preStopLabels, PRE_STOP_HANDLER_LABEL } from '../../../agent/core/termination.js';

const target: HookTarget = {
  pod: { name: 'web-node1', namespace: 'default', uid: 'u1' },
  container: { name: 'app', ports: [{ name: 'admin', containerPort: 0 }] },
  containerId: 'c1',
  podHost: '127.0.0.1',
};

function deps(exec: (cmd: readonly string[], signal?: AbortSignal) => Promise<{ exitCode: number; stdout: string; stderr: string }>): HookDeps & { calls: (readonly string[])[] } {
  const calls: (readonly string[])[] = [];
  return {
    calls,
    runtime: { exec: (_id, cmd, opts) => (calls.push(cmd), exec(cmd, opts.signal)) },
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
      }),
  };
}

let server: Server;
let port: number;
const hits: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push({ url: req.url ?? '', headers: req.headers });
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end('bye');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('grace arithmetic (killContainer)', () => {
  it.each([
    [30, 0, 30],
    [30, 999, 30],
    [30, 5_500, 25],
    [30, 29_000, 2],
    [30, 40_000, 2],
    [2, 0, 2],
  ])('grace %is, hook took %ims → docker stop -t %i', (grace, elapsed, expected) => {
    expect(graceAfterPreStop(grace, elapsed)).toBe(expected);
  });
});

describe('preStop labels (restoreSpecsFromContainerLabels)', () => {
  it('round-trips the handler and the ports it may name', () => {
    const labels = preStopLabels({ lifecycle: { preStop: { httpGet: { port: 'admin', path: '/quit' } } }, ports: [{ name: 'admin', containerPort: 9000 }] });
    expect(Object.keys(labels)).toEqual([PRE_STOP_HANDLER_LABEL, 'annotation.io.kubernetes.container.ports']);
    expect(preStopFromLabels(labels)).toEqual({ handler: { httpGet: { port: 'admin', path: '/quit' } }, ports: [{ name: 'admin', containerPort: 9000 }] });
  });

  it('no hook, no labels; a broken label is ignored', () => {
    expect(preStopLabels({})).toEqual({});
    expect(preStopFromLabels({})).toBeUndefined();
    expect(preStopFromLabels({ [PRE_STOP_HANDLER_LABEL]: '{not json' })).toBeUndefined();
  });
});

describe('runLifecycleHandler', () => {
  it('exec: exit 0 is fine', async () => {
    const d = deps(async () => ({ exitCode: 0, stdout: '', stderr: '' }));
    expect(await runLifecycleHandler({ exec: { command: ['sh', '-c', 'echo hi'] } }, target, d)).toEqual({ ok: true });
    expect(d.calls).toEqual([['sh', '-c', 'echo hi']]);
  });

  it('exec: a non-zero exit fails with kubelet message', async () => {
    const d = deps(async () => ({ exitCode: 3, stdout: 'out', stderr: 'boom' }));
    expect(await runLifecycleHandler({ exec: { command: ['sh', '-c', 'exit 3'] } }, target, d)).toEqual({
      ok: false,
      timedOut: false,
      message: 'Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "web-node1_default(u1)" failed - error: command \'sh -c exit 3\' exited with 3: boom, message: "outboom"',
    });
  });

  it('httpGet: any response is fine (kubelet does not check the status), with the lifecycle user agent', async () => {
    hits.length = 0;
    const d = deps(async () => ({ exitCode: 0, stdout: '', stderr: '' }));
    expect(await runLifecycleHandler({ httpGet: { port, path: '/fail' } }, target, d)).toEqual({ ok: true });
    expect(hits[0]?.url).toBe('/fail');
    expect(hits[0]?.headers['user-agent']).toBe('kube-lifecycle/1.30');
  });

  it('httpGet: no response fails with the Go error', async () => {
    const d = deps(async () => ({ exitCode: 0, stdout: '', stderr: '' }));
    expect(await runLifecycleHandler({ httpGet: { port: 1, path: '/quit' } }, target, d)).toEqual({
      ok: false,
      timedOut: false,
      message: 'HTTP lifecycle hook (/quit) for Container "app" in Pod "web-node1_default(u1)" failed - error: Get "http://127.0.0.1:1/quit": dial tcp 127.0.0.1:1: connect: connection refused',
    });
  });

  it('httpGet: a pod without an address cannot be reached', async () => {
    const d = deps(async () => ({ exitCode: 0, stdout: '', stderr: '' }));
    const r = await runLifecycleHandler({ httpGet: { port: 80, path: '/' } }, { ...target, podHost: undefined }, d);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/^HTTP lifecycle hook \(\/\) for Container "app" in Pod "web-node1_default\(u1\)" failed - error: failed to find networking container: /);
  });

  it('sleep: sleeps, and an abort ends it as kubelet words it', async () => {
    const d = deps(async () => ({ exitCode: 0, stdout: '', stderr: '' }));
    const started = Date.now();
    expect(await runLifecycleHandler({ sleep: { seconds: 0 } }, target, d)).toEqual({ ok: true });
    expect(Date.now() - started).toBeLessThan(500);
    const r = await runLifecycleHandler({ sleep: { seconds: 10 } }, target, d, AbortSignal.timeout(50));
    expect(r).toEqual({ ok: false, timedOut: true, message: 'Sleep lifecycle hook (10) for Container "app" in Pod "web-node1_default(u1)" failed - error: container terminated before sleep hook finished' });
  });

  it('tcpSocket is not a lifecycle handler', async () => {
    const d = deps(async () => ({ exitCode: 0, stdout: '', stderr: '' }));
    const r = await runLifecycleHandler({ tcpSocket: { port: 80 } }, target, d);
    expect(r).toEqual({ ok: false, timedOut: false, message: 'Cannot run handler: invalid handler: tcpSocket is not supported as a lifecycle handler' });
  });
});

describe('runPreStopHook', () => {
  it('subtracts the hook time from the grace period', async () => {
    let now = 0;
    const d = deps(async () => {
      now += 3_400;
      return { exitCode: 0, stdout: '', stderr: '' };
    });
    const r = await runPreStopHook({ exec: { command: ['true'] } }, target, { ...d, now: () => now }, 10);
    expect(r).toEqual({ remainingGraceSeconds: 7, result: { ok: true } });
  });

  it('ends a hook that outlives the grace period and leaves the 2 s minimum', async () => {
    const d = deps(
      (_cmd, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    );
    const started = Date.now();
    const r = await runPreStopHook({ exec: { command: ['sleep', '60'] } }, target, { ...d, now: () => Date.now() }, 1);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.remainingGraceSeconds).toBe(2);
    expect(r.result.ok).toBe(false);
    expect(!r.result.ok && r.result.timedOut).toBe(true);
  });
});
