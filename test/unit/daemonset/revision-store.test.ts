import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isNodeletError } from '../../../agent/core/errors.js';
import { DaemonSetStateStore, newDaemonSetState, parseDaemonSetState } from '../../../agent/daemonset/revision-store.js';
import { computeRevisions } from '../../../agent/daemonset/revisions.js';
import { FLUENTD_V1, FLUENTD_V2, seedDaemonSet } from './fixtures.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'nodelet-ds-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sampleState() {
  const v1 = seedDaemonSet(FLUENTD_V1);
  const v2 = seedDaemonSet(FLUENTD_V2);
  const first = computeRevisions(v1, [], new Set(), { now: T0, templateGeneration: 1 });
  const second = computeRevisions(v2, first.history, new Set(), { now: T0 + 1000, templateGeneration: 2 });
  return {
    ...newDaemonSetState(v1, T0, () => 'fixed-uid'),
    revisions: second.history,
    observedGeneration: 2,
    collisionCount: 0,
    progress: { hash: second.current.hash, since: T0, lastComplete: first.current.hash },
    failedPodBackoff: { delayMs: 2000, lastUpdate: T0 },
  };
}

describe('DaemonSetStateStore', () => {
  it('stores one file per DaemonSet and reads it back', async () => {
    const dir = stateDir();
    const store = new DaemonSetStateStore(dir);
    const state = sampleState();
    expect(state).toMatchObject({ namespace: 'kube-system', name: 'fluentd-elasticsearch', uid: 'fixed-uid', createdAt: '2024-05-01T10:00:00Z' });
    await store.save(state);
    expect(readdirSync(join(dir, 'daemonsets'))).toEqual(['kube-system_fluentd-elasticsearch.json']);
    expect(await store.load('kube-system', 'fluentd-elasticsearch')).toEqual(state);
    expect(await store.loadAll()).toEqual({ states: [state], errors: [] });
  });

  it('returns undefined for an unknown DaemonSet and removes state idempotently', async () => {
    const store = new DaemonSetStateStore(stateDir());
    expect(await store.load('default', 'nope')).toBeUndefined();
    await store.save(sampleState());
    await store.remove('kube-system', 'fluentd-elasticsearch');
    await store.remove('kube-system', 'fluentd-elasticsearch');
    expect(await store.load('kube-system', 'fluentd-elasticsearch')).toBeUndefined();
    expect(await store.loadAll()).toEqual({ states: [], errors: [] });
  });

  it('reports corrupt files', async () => {
    const dir = stateDir();
    const store = new DaemonSetStateStore(dir);
    await store.save(sampleState());
    writeFileSync(store.path('kube-system', 'fluentd-elasticsearch'), '{"version":1}');
    await expect(store.load('kube-system', 'fluentd-elasticsearch')).rejects.toSatisfy((e: unknown) => isNodeletError(e, 'NLT_STATE'));
    const all = await store.loadAll();
    expect(all.states).toEqual([]);
    expect(all.errors[0]?.message).toMatch(/namespace must be a non-empty string/);
  });

  it('rejects malformed revisions', () => {
    const json = { version: 1, ...sampleState(), revisions: [{ name: 'x' }] };
    expect(parseDaemonSetState(json)).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid revision/) });
  });
});
