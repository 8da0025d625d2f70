// from-inspect against JSON captured from a real dockerd 20.10 (API 1.41); see
// test/fixtures/docker-inspect/README.md for how each fixture was made.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromInspect, groupPods, listCacheKey, observedState, parseDockerTime, type InspectJson, type ListEntryJson } from '../../../agent/runtime/docker/from-inspect.js';
import { fromDockerEvent } from '../../../agent/runtime/docker/events.js';

const FIXTURES = new URL('../../fixtures/docker-inspect/', import.meta.url);

function fixture(name: string): InspectJson {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as InspectJson;
}

function withState(base: InspectJson, state: Partial<InspectJson['State']>): InspectJson {
  return { ...base, State: { ...base.State, ...state } };
}

const UID = '11111111-2222-3333-4444-555555555555';
const SANDBOX_ID = '458f83193674d66fec954ce8d8987ef45e129fcd8cfa43ce2469518fa216c8a8';
const ZERO = '0001-01-01T00:00:00Z';

describe('fromInspect: captured containers', () => {
  const cases: Array<{ file: string; expected: Record<string, unknown>; absent?: string[] }> = [
    {
      file: 'sandbox-running',
      expected: {
        id: SANDBOX_ID,
        name: 'POD',
        role: 'sandbox',
        podUid: UID,
        podName: 'web-node-a',
        podNamespace: 'default',
        sandboxId: '',
        state: 'running',
        specHash: '38f494c3',
        restartCount: 0,
        image: 'registry.k8s.io/pause:3.10',
        imageId: 'sha256:d751bc2cf554d34fe380ae314e4f0017fcc79a71e78f3723cedb8d1e7f001ded',
        createdAt: Date.parse('2026-11-22T05:09:15.759Z'),
        startedAt: Date.parse('2026-11-22T05:09:15.988Z'),
      },
      absent: ['exitCode', 'oomKilled', 'finishedAt', 'error'],
    },
    {
      file: 'app-running',
      expected: { name: 'app', role: 'app', state: 'running', restartCount: 2, sandboxId: SANDBOX_ID, image: 'busybox:1.37' },
      absent: ['exitCode', 'finishedAt'],
    },
    {
      file: 'app-exited-3',
      expected: {
        state: 'exited',
        exitCode: 3,
        oomKilled: false,
        restartCount: 1,
        startedAt: Date.parse('2026-11-22T05:09:16.209Z'),
        finishedAt: Date.parse('2026-11-22T05:09:16.210Z'),
      },
      absent: ['error'],
    },
    { file: 'init-exited-0', expected: { name: 'init', role: 'init', state: 'exited', exitCode: 0, oomKilled: false } },
    { file: 'sidecar-created', expected: { name: 'side', role: 'sidecar', state: 'created' }, absent: ['startedAt', 'finishedAt', 'exitCode', 'error'] },
    {
      file: 'app-start-failed',
      expected: {
        name: 'bad',
        state: 'exited',
        exitCode: 127,
        error:
          'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/no/such/binary": stat /no/such/binary: no such file or directory: unknown',
      },
      absent: ['startedAt', 'finishedAt'],
    },
    { file: 'app-oom-killed', expected: { name: 'oom', state: 'exited', exitCode: 137, oomKilled: true } },
    { file: 'app-paused', expected: { name: 'paused', state: 'running' }, absent: ['exitCode'] },
  ];

  for (const { file, expected, absent = [] } of cases) {
    it(file, () => {
      const observed = fromInspect(fixture(file));
      expect(observed).toBeDefined();
      expect(observed).toMatchObject(expected);
      for (const key of absent) expect(observed).not.toHaveProperty(key);
      expect(observed?.labels['io.nodelet.managed']).toBe('true');
    });
  }

  it('keeps the PID of a running container only (stats find its cgroups through /proc/<pid>)', () => {
    const base = fixture('app-running');
    expect(fromInspect({ ...base, State: { ...base.State, Running: true, Pid: 4242 } })?.pid).toBe(4242);
    expect(fromInspect({ ...base, State: { ...base.State, Running: false, Status: 'exited', FinishedAt: '2026-01-01T00:00:00Z', Pid: 0 } })?.pid).toBeUndefined();
  });

  it('skips a container without nodelet labels', () => {
    expect(fromInspect(fixture('not-ours'))).toBeUndefined();
  });

  it('skips a container whose labels are incomplete or carry an unknown role', () => {
    const base = fixture('app-running');
    const labels = { ...base.Config.Labels };
    delete labels['io.kubernetes.pod.uid'];
    expect(fromInspect({ ...base, Config: { ...base.Config, Labels: labels } })).toBeUndefined();
    expect(fromInspect({ ...base, Config: { ...base.Config, Labels: { ...base.Config.Labels, 'io.nodelet.container.role': 'daemon' } } })).toBeUndefined();
    expect(fromInspect({ ...base, Config: { ...base.Config, Labels: null } })).toBeUndefined();
  });
});

describe('observedState: every Docker state', () => {
  const base = fixture('app-exited-3').State;
  const cases: Array<{ docker: string; state: Partial<InspectJson['State']>; expected: string }> = [
    { docker: 'created', state: { Status: 'created', Running: false, ExitCode: 0, Error: '', StartedAt: ZERO, FinishedAt: ZERO }, expected: 'created' },
    { docker: 'created after a failed start', state: { Status: 'created', Running: false, ExitCode: 127, Error: 'exec failed', StartedAt: ZERO, FinishedAt: ZERO }, expected: 'exited' },
    { docker: 'running', state: { Status: 'running', Running: true, FinishedAt: ZERO }, expected: 'running' },
    { docker: 'paused', state: { Status: 'paused', Running: true, FinishedAt: ZERO }, expected: 'running' },
    { docker: 'restarting', state: { Status: 'restarting', Running: true }, expected: 'running' },
    { docker: 'exited', state: { Status: 'exited', Running: false }, expected: 'exited' },
    { docker: 'dead after running', state: { Status: 'dead', Running: false }, expected: 'exited' },
    { docker: 'dead, never ran', state: { Status: 'dead', Running: false, ExitCode: 0, Error: '', StartedAt: ZERO, FinishedAt: ZERO }, expected: 'unknown' },
    { docker: 'removing after running', state: { Status: 'removing', Running: false }, expected: 'exited' },
    { docker: 'removing, never ran', state: { Status: 'removing', Running: false, ExitCode: 0, Error: '', StartedAt: ZERO, FinishedAt: ZERO }, expected: 'unknown' },
  ];
  for (const { docker, state, expected } of cases) {
    it(`${docker} → ${expected}`, () => {
      expect(observedState({ ...base, ...state })).toBe(expected);
    });
  }

  it('reports exit code and OOM only for ended containers', () => {
    const running = fromInspect(withState(fixture('app-exited-3'), { Status: 'running', Running: true, FinishedAt: ZERO, ExitCode: 0 }));
    expect(running?.state).toBe('running');
    expect(running).not.toHaveProperty('exitCode');
    expect(running).not.toHaveProperty('oomKilled');
  });
});

describe('parseDockerTime', () => {
  const cases: Array<[string | undefined, number | undefined]> = [
    ['2026-11-22T05:09:16.566221067Z', Date.parse('2026-11-22T05:09:16.566Z')],
    ['2026-11-22T05:09:16Z', Date.parse('2026-11-22T05:09:16.000Z')],
    ['2026-11-22T05:09:16.5Z', Date.parse('2026-11-22T05:09:16.500Z')],
    ['2026-11-22T07:09:16.123456+02:00', Date.parse('2026-11-22T05:09:16.123Z')],
    [ZERO, undefined],
    ['', undefined],
    [undefined, undefined],
    ['yesterday', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${String(input)} → ${String(expected)}`, () => {
      expect(parseDockerTime(input)).toBe(expected);
    });
  }
});

describe('listCacheKey', () => {
  const list = JSON.parse(readFileSync(new URL('list-all.json', FIXTURES), 'utf8')) as ListEntryJson[];
  const entry = (status: string, state = 'running'): ListEntryJson => ({ Id: 'abc', State: state, Status: status, Labels: {} });

  it('ignores how long ago a state began', () => {
    const same = ['Up Less than a second', 'Up 1 second', 'Up 59 seconds', 'Up About a minute', 'Up 3 minutes', 'Up About an hour', 'Up 5 hours', 'Up 2 days', 'Up 3 weeks', 'Up 4 months', 'Up 2 years'];
    const keys = new Set(same.map((s) => listCacheKey(entry(s))));
    expect(keys.size).toBe(1);
    expect(listCacheKey(entry('Exited (1) 5 seconds ago', 'exited'))).toBe(listCacheKey(entry('Exited (1) About an hour ago', 'exited')));
  });

  it('changes with state, exit code and pause', () => {
    const keys = [
      listCacheKey(entry('Up 5 seconds')),
      listCacheKey(entry('Up 5 seconds (Paused)', 'paused')),
      listCacheKey(entry('Exited (0) 5 seconds ago', 'exited')),
      listCacheKey(entry('Exited (137) 5 seconds ago', 'exited')),
      listCacheKey(entry('Created', 'created')),
      listCacheKey({ ...entry('Up 5 seconds'), Id: 'def' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is stable for every captured list entry', () => {
    for (const e of list) expect(listCacheKey(e)).toBe(listCacheKey({ ...e, Status: e.Status.replace(/\d+ seconds/, '42 seconds') }));
  });
});

describe('groupPods', () => {
  const observed = ['sandbox-running', 'app-running', 'app-exited-3', 'init-exited-0', 'sidecar-created']
    .map((f) => fromInspect(fixture(f)))
    .filter((c) => c !== undefined);

  it('groups by pod UID with sandboxes apart, newest first', () => {
    const pods = groupPods([...observed].reverse());
    expect(pods).toHaveLength(1);
    const [pod] = pods;
    expect(pod).toMatchObject({ uid: UID, name: 'web-node-a', namespace: 'default' });
    expect(pod?.sandboxes.map((c) => c.id)).toEqual([SANDBOX_ID]);
    // The fixture's attempt 1 was created after attempt 2: the attempt number decides, since
    // Docker's creation times follow the wall clock and a step back would reorder them.
    expect(pod?.containers.filter((c) => c.name === 'app').map((c) => c.restartCount)).toEqual([2, 1]);
  });

  it('breaks attempt-number ties by creation time', () => {
    const apps = observed.filter((c) => c.name === 'app').map((c, i) => ({ ...c, restartCount: 1, createdAt: 1000 + i }));
    expect(groupPods(apps)[0]?.containers.map((c) => c.createdAt)).toEqual([1001, 1000]);
  });

  it('keeps pods apart and orders them by namespace, name, UID', () => {
    const [first] = observed;
    if (!first) throw new Error('no fixture');
    const other = { ...first, id: 'x', podUid: 'aaaa', podName: 'api', podNamespace: 'default' };
    const third = { ...first, id: 'y', podUid: 'bbbb', podName: 'zz', podNamespace: 'kube-system' };
    expect(groupPods([third, first, other]).map((p) => p.uid)).toEqual(['aaaa', UID, 'bbbb']);
  });

  it('returns no pods for no containers', () => {
    expect(groupPods([])).toEqual([]);
  });
});

describe('fromDockerEvent: captured /events messages', () => {
  const lines = readFileSync(new URL('events.jsonl', FIXTURES), 'utf8').split('\n').filter(Boolean);
  const messages = lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  it('maps create, start, oom and die with the pod UID and a ms timestamp', () => {
    const events = messages.map((m) => fromDockerEvent(m, 'node-a'));
    expect(events.map((e) => (e?.type === 'container' ? e.action : undefined))).toEqual(['create', 'start', 'die', 'create', 'start', 'oom', 'die']);
    for (const [i, e] of events.entries()) {
      const m = messages[i] as { Actor: { ID: string }; timeNano: number };
      expect(e).toEqual({ type: 'container', action: expect.any(String), podUid: UID, containerId: m.Actor.ID, at: Math.floor(m.timeNano / 1e6) });
    }
  });

  it('drops other nodes, foreign containers and other actions', () => {
    const [first] = messages as Array<{ Actor: { ID: string; Attributes: Record<string, string> } }>;
    if (!first) throw new Error('no fixture');
    expect(fromDockerEvent(first, 'node-b')).toBeUndefined();
    const attrs = { ...first.Actor.Attributes };
    delete attrs['io.nodelet.managed'];
    expect(fromDockerEvent({ ...first, Actor: { ...first.Actor, Attributes: attrs } }, 'node-a')).toBeUndefined();
    expect(fromDockerEvent({ ...first, Action: 'kill' }, 'node-a')).toBeUndefined();
    expect(fromDockerEvent({ ...first, Type: 'network' }, 'node-a')).toBeUndefined();
    expect(fromDockerEvent('not an object', 'node-a')).toBeUndefined();
    expect(fromDockerEvent(null, 'node-a')).toBeUndefined();
  });
});
