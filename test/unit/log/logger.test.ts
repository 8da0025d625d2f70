// The root logger never writes env values, probe or hook headers or credentials, whatever
// depth they sit at in the objects we log (pods, container specs, Docker create requests).
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createLogger, redactSecrets, REDACTED } from '../../../agent/log/logger.js';

const SECRETS = ['env-s3cr3t-value', 'Bearer probe-t0ken', 'hook-h3ader-value', 'hunter2', 'tok-123', 'Basic YWRtaW46cGFzcw=='];

function pod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      initContainers: [{ name: 'init', image: 'busybox', env: [{ name: 'INIT_PASSWORD', value: 'hunter2' }] }],
      containers: [
        {
          name: 'app',
          image: 'busybox',
          env: [
            { name: 'API_KEY', value: 'env-s3cr3t-value' },
            { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          ],
          readinessProbe: { httpGet: { port: 80, httpHeaders: [{ name: 'Authorization', value: 'Bearer probe-t0ken' }] } },
          lifecycle: { preStop: { httpGet: { port: 80, httpHeaders: [{ name: 'X-Hook', value: 'hook-h3ader-value' }] } } },
        },
      ],
    },
  };
}

function dockerCreate(): Record<string, unknown> {
  return {
    name: 'k8s_app_web_default_uid_0',
    Image: 'busybox',
    Env: ['API_KEY=env-s3cr3t-value', 'PASSWORD=hunter2', 'NOVALUE'],
    Labels: { 'io.kubernetes.pod.name': 'web' },
    HostConfig: { NetworkMode: 'none' },
  };
}

function capture(level: 'trace' | 'debug' = 'trace'): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim() !== ''));
      cb();
    },
  });
  return { lines, log: createLogger({ level, stream }) };
}

async function flushed(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

const SHAPES: [string, Record<string, unknown>][] = [
  ['a whole pod', { pod: pod() }],
  ['a pod nested deep', { desired: { pod: pod(), origin: { kind: 'Pod' } } }],
  ['a pod spec', { spec: pod().spec }],
  ['one container', { container: pod().spec?.containers[0] }],
  ['a list of containers', { containers: pod().spec?.containers }],
  ['a probe', { probe: pod().spec?.containers[0]?.readinessProbe }],
  ['a lifecycle hook', { hook: pod().spec?.containers[0]?.lifecycle?.preStop }],
  ['Docker create options', { options: dockerCreate() }],
  ['Docker create options at the top', dockerCreate()],
  ['a runtime container spec', { spec: { name: 'app', env: ['API_KEY=env-s3cr3t-value'] } }],
  ['request headers', { request: { url: 'http://x/', headers: { Authorization: 'Bearer probe-t0ken', 'X-Hook': 'hook-h3ader-value' } } }],
  ['header list', { headers: [{ name: 'Authorization', value: 'Bearer probe-t0ken' }] }],
  ['credentials', { user: { password: 'hunter2', token: 'tok-123' }, auth: { authorization: 'Basic YWRtaW46cGFzcw==' } }],
  ['a kubeconfig user', { kubeconfig: { users: [{ name: 'n', user: { 'client-key-data': 'hunter2', token: 'tok-123' } }] } }],
];

describe('createLogger redaction', () => {
  it.each(SHAPES)('%s: no secret reaches the output', async (_name, obj) => {
    const { lines, log } = capture();
    log.info(obj, 'logged');
    log.trace(obj, 'logged at trace');
    log.child({ component: 'x' }).debug(obj, 'from a child');
    await flushed();
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      for (const secret of SECRETS) expect(line).not.toContain(secret);
    }
  });

  it('keeps what is not secret: names, images, valueFrom, the rest of the line', async () => {
    const { lines, log } = capture();
    log.info({ pod: pod(), options: dockerCreate() }, 'pod');
    await flushed();
    const line = JSON.parse(lines[0] ?? '{}') as { pod: Pod; options: { Env: string[]; Image: string }; msg: string; level: string };
    expect(line.msg).toBe('pod');
    expect(line.level).toBe('info');
    const app = line.pod.spec?.containers[0];
    expect(app?.image).toBe('busybox');
    expect(app?.env).toEqual([
      { name: 'API_KEY', value: REDACTED },
      { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    ]);
    expect(app?.readinessProbe?.httpGet?.httpHeaders).toEqual([{ name: 'Authorization', value: REDACTED }]);
    expect(app?.readinessProbe?.httpGet?.port).toBe(80);
    expect(line.options.Env).toEqual([`API_KEY=${REDACTED}`, `PASSWORD=${REDACTED}`, 'NOVALUE']);
    expect(line.options.Image).toBe('busybox');
  });

  it('redacts bindings of child loggers', async () => {
    const { lines, log } = capture();
    log.child({ component: 'c', token: 'tok-123' }).info({}, 'x');
    await flushed();
    expect(lines[0]).not.toContain('tok-123');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ component: 'c', token: REDACTED });
  });

  it('redacts the properties of a logged error', async () => {
    const { lines, log } = capture();
    const err = Object.assign(new Error('create failed'), { request: { Env: ['API_KEY=env-s3cr3t-value'] }, token: 'tok-123' });
    log.error({ err }, 'failed');
    await flushed();
    const line = JSON.parse(lines[0] ?? '{}') as { err: { message: string; stack: string } };
    expect(line.err.message).toBe('create failed');
    expect(line.err.stack).toContain('create failed');
    for (const secret of SECRETS) expect(lines[0]).not.toContain(secret);
  });

  it('does not change the objects it logs', async () => {
    const { log } = capture();
    const p = pod();
    const before = JSON.stringify(p);
    log.info({ pod: p }, 'x');
    await flushed();
    expect(JSON.stringify(p)).toBe(before);
  });
});

describe('redactSecrets', () => {
  it('returns unchanged subtrees as they are (no copy)', () => {
    const meta = { name: 'web', labels: { a: 'b' } };
    const input = { meta, env: [{ name: 'A', value: 'x' }] };
    const out = redactSecrets(input) as typeof input;
    expect(out).not.toBe(input);
    expect(out.meta).toBe(meta);
    expect(redactSecrets(meta)).toBe(meta);
  });

  it('survives cycles and absurd depth', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redactSecrets(a)).toEqual({ name: 'a', self: '[Circular]' });
    let deep: Record<string, unknown> = { password: 'hunter2' };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    expect(JSON.stringify(redactSecrets(deep))).not.toContain('hunter2');
  });

  it.each([
    ['env string without =', { env: ['PLAIN'] }, { env: ['PLAIN'] }],
    ['empty env value', { Env: ['A='] }, { Env: [`A=${REDACTED}`] }],
    ['value containing =', { Env: ['A=b=c'] }, { Env: [`A=${REDACTED}`] }],
    ['null and numbers untouched', { a: null, b: 1, c: 'x' }, { a: null, b: 1, c: 'x' }],
    ['secret-named key of any type', { secretName: 's', tokens: 3 }, { secretName: REDACTED, tokens: REDACTED }],
  ])('%s', (_name, input, expected) => {
    expect(redactSecrets(input)).toEqual(expected);
  });
});
