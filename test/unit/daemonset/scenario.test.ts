// The pure DaemonSet pieces driven together over a simulated node, as the agent will drive
// them: eligibility -> revisions -> rollout plan -> (fake kubelet) -> status -> kubectl output,
// and `rollout undo` through the manifest rewriter.
import yaml from 'js-yaml';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import { describe, expect, it } from 'vitest';
import { nodeShouldRunDaemonPod } from '../../../agent/daemonset/eligibility.js';
import { daemonPodIdentity } from '../../../agent/daemonset/expand.js';
import { rewriteDaemonSetManifest } from '../../../agent/daemonset/manifest-rewrite.js';
import { computeRevisions, type DaemonSetRevision, observeGeneration, type GenerationState } from '../../../agent/daemonset/revisions.js';
import { planRollout, type DaemonPodState } from '../../../agent/daemonset/rollout.js';
import { planUndo, rolloutStatus } from '../../../agent/daemonset/rollout-messages.js';
import { rolloutHistory } from '../../../agent/cli/printers/rollout.js';
import { computeDaemonSetStatus } from '../../../agent/daemonset/status.js';
import { KUBERNETES_YAML_SCHEMA } from '../../../agent/manifest/decode.js';
import { defaultDaemonSet } from '../../../agent/manifest/defaults.js';
import { applyLabelArgs, type NodeIdentity, parseLabelArgs } from '../../../agent/node/node-model.js';
import { FLUENTD_V1, FLUENTD_V2, SSD_DRIVER, node, seedText } from './fixtures.js';

const DS_UID = 'ds-uid';

class Sim {
  now = Date.parse('2024-05-01T10:00:00Z');
  pods: DaemonPodState[] = [];
  history: readonly DaemonSetRevision[] = [];
  gen?: GenerationState;
  current?: DaemonSetRevision;
  log: string[] = [];
  /** Images that never become ready (crash loop / missing image). */
  broken = new Set<string>();

  constructor(public ds: DaemonSet, public nodeIdentity: NodeIdentity = node()) {}

  apply(manifest: DaemonSet): void {
    this.ds = defaultDaemonSet(manifest);
  }

  /** One controller pass, then one kubelet tick. */
  tick(): void {
    this.gen = observeGeneration(this.gen, this.ds);
    const live = new Set(this.pods.flatMap((p) => (p.hash ? [p.hash] : [])));
    const revs = computeRevisions(this.ds, this.history, live, { now: this.now, templateGeneration: this.gen.templateGeneration });
    this.history = revs.history;
    this.current = revs.current;
    const eligibility = nodeShouldRunDaemonPod(this.nodeIdentity, this.ds);
    const plan = planRollout({
      ds: this.ds,
      dsUid: DS_UID,
      nodeName: this.nodeIdentity.name,
      current: { revision: revs.current.revision, hash: revs.current.hash },
      eligibility,
      pods: this.pods,
      now: this.now,
    });
    // kubelet: terminating pods finish, fresh pods become ready.
    this.pods = this.pods
      .filter((p) => !p.terminating)
      .map((p) => (p.ready || this.broken.has(p.hash ?? '') ? p : { ...p, ready: true, readySince: this.now }));
    for (const a of plan.actions) {
      if (a.kind === 'createPod') {
        const name = daemonPodIdentity(this.ds.metadata?.name ?? '', DS_UID, this.nodeIdentity.name, a.hash, a.ordinal).name;
        this.pods.push({ uid: a.uid, name, hash: a.hash, createdAt: this.now, phase: 'Running', ready: false, terminating: false });
        this.log.push(`create r${a.revision}`);
      } else if (a.kind === 'deletePod') {
        this.pods = this.pods.map((p) => (p.uid === a.uid ? { ...p, terminating: true } : p));
        const rev = this.history.find((h) => h.hash === this.pods.find((p) => p.uid === a.uid)?.hash)?.revision;
        this.log.push(`delete r${rev ?? '?'} ${a.reason}`);
      }
    }
    this.now += 1000;
  }

  status(): string {
    const eligibility = nodeShouldRunDaemonPod(this.nodeIdentity, this.ds);
    const status = computeDaemonSetStatus({
      ds: this.ds,
      eligibility,
      pods: this.pods,
      currentHash: this.current?.hash ?? '',
      now: this.now,
      observedGeneration: this.gen?.generation ?? 0,
    });
    const r = rolloutStatus({ ...this.ds, metadata: { ...this.ds.metadata, generation: this.gen?.generation ?? 0 }, status });
    return r.ok ? r.value.message : r.error;
  }

  run(ticks: number): void {
    for (let i = 0; i < ticks; i++) this.tick();
  }
}

function decodeDs(text: string): DaemonSet {
  return yaml.load(text, { schema: KUBERNETES_YAML_SCHEMA }) as DaemonSet;
}

describe('fluentd-elasticsearch: v1, rolling update to v2, rollout undo', () => {
  it('replaces the pod (stop old, then start new) and rolls back to revision 3', () => {
    const v1Text = seedText(FLUENTD_V1);
    const sim = new Sim(defaultDaemonSet(decodeDs(v1Text)));
    sim.tick();
    expect(sim.status()).toBe('Waiting for daemon set "fluentd-elasticsearch" rollout to finish: 0 of 1 updated pods are available...');
    sim.run(2);
    expect(sim.status()).toBe('daemon set "fluentd-elasticsearch" successfully rolled out');

    const v2Text = seedText(FLUENTD_V2);
    sim.apply(decodeDs(v2Text));
    sim.tick();
    expect(sim.status()).toBe('Waiting for daemon set "fluentd-elasticsearch" rollout to finish: 0 out of 1 new pods have been updated...');
    sim.run(4);
    expect(sim.status()).toBe('daemon set "fluentd-elasticsearch" successfully rolled out');
    expect(sim.log).toEqual(['create r1', 'delete r1 RollingUpdate', 'create r2']);
    expect(sim.history.map((h) => h.revision)).toEqual([1, 2]);

    // kubectl rollout undo daemonset fluentd-elasticsearch: rewrite the file, the agent reads it again.
    const undo = planUndo(sim.ds, sim.history, 0);
    if (undo.kind !== 'rollback') throw new Error(undo.kind);
    expect(undo.message).toBe('daemonset.apps/fluentd-elasticsearch rolled back');
    const rewritten = rewriteDaemonSetManifest(v2Text, { namespace: 'kube-system', name: 'fluentd-elasticsearch' }, [{ kind: 'replaceTemplate', template: undo.revision.template }]);
    if (!rewritten.ok) throw new Error(rewritten.error);
    // The stored (defaulted) template goes back into the file without the defaults spelled out.
    const body = (text: string): string => text.slice(text.indexOf('apiVersion:'));
    expect(body(rewritten.text)).toBe(body(v1Text));
    sim.apply(decodeDs(rewritten.text));
    sim.run(5);
    expect(sim.status()).toBe('daemon set "fluentd-elasticsearch" successfully rolled out');
    expect(sim.log.slice(3)).toEqual(['delete r2 RollingUpdate', 'create r3']);
    expect(sim.history.map((h) => h.revision)).toEqual([2, 3]);
    expect(sim.current?.hash).toBe(undo.revision.hash);
    const history = rolloutHistory('fluentd-elasticsearch', sim.history);
    expect(history.ok && history.value).toBe('daemonset.apps/fluentd-elasticsearch\nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n');
    // Undo again: back to revision 2's template, which becomes revision 4.
    const again = planUndo(sim.ds, sim.history, 0);
    expect(again.kind === 'rollback' && again.revision.revision).toBe(2);
    expect(planUndo(sim.ds, sim.history, 3)).toEqual({ kind: 'skipped', message: 'daemonset.apps/fluentd-elasticsearch skipped rollback (current template already matches revision 3)' });
  });

  it('with maxSurge the new pod runs beside the old one until it is ready', () => {
    const surge = (text: string): DaemonSet => {
      const ds = decodeDs(text);
      return { ...ds, spec: { ...(ds.spec as NonNullable<DaemonSet['spec']>), updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } };
    };
    const sim = new Sim(defaultDaemonSet(surge(seedText(FLUENTD_V1))));
    sim.run(3);
    sim.apply(surge(seedText(FLUENTD_V2)));
    sim.tick();
    expect(sim.pods.map((p) => p.terminating)).toEqual([false, false]);
    sim.run(4);
    expect(sim.log).toEqual(['create r1', 'create r2', 'delete r1 Replaced']);
    expect(sim.status()).toBe('daemon set "fluentd-elasticsearch" successfully rolled out');
  });

  it('a broken new template stalls the rollout; fixing it resumes', () => {
    const sim = new Sim(defaultDaemonSet(decodeDs(seedText(FLUENTD_V1))));
    sim.run(3);
    const bad = decodeDs(seedText(FLUENTD_V2).replace('fluentd:v2.5.2', 'fluentd:does-not-exist'));
    sim.apply(bad);
    sim.tick();
    sim.broken.add(sim.current?.hash ?? '');
    sim.run(10);
    expect(sim.status()).toBe('Waiting for daemon set "fluentd-elasticsearch" rollout to finish: 0 of 1 updated pods are available...');
    sim.apply(decodeDs(seedText(FLUENTD_V2)));
    sim.run(5);
    expect(sim.status()).toBe('daemon set "fluentd-elasticsearch" successfully rolled out');
    expect(sim.log).toEqual(['create r1', 'delete r1 RollingUpdate', 'create r2', 'delete r2 RollingUpdate', 'create r3']);
  });

  it('OnDelete replaces nothing until the pod is deleted', () => {
    const onDelete = (text: string): DaemonSet => {
      const ds = decodeDs(text);
      return { ...ds, spec: { ...(ds.spec as NonNullable<DaemonSet['spec']>), updateStrategy: { type: 'OnDelete' } } };
    };
    const sim = new Sim(defaultDaemonSet(onDelete(seedText(FLUENTD_V1))));
    sim.run(3);
    sim.apply(onDelete(seedText(FLUENTD_V2)));
    sim.run(5);
    expect(sim.log).toEqual(['create r1']);
    // nodelet delete pod <name>
    sim.pods = sim.pods.map((p) => ({ ...p, terminating: true }));
    sim.run(3);
    expect(sim.log).toEqual(['create r1', 'create r2']);
  });
});

describe('ssd-driver: node labels start and stop the pod', () => {
  it('nodelet label node ssd=true starts it, ssd- stops it', () => {
    const sim = new Sim(defaultDaemonSet(decodeDs(seedText(SSD_DRIVER))));
    sim.run(2);
    expect(sim.pods).toEqual([]);
    const label = (spec: string): void => {
      const args = parseLabelArgs([spec]);
      if (!args.ok) throw new Error(args.error);
      const out = applyLabelArgs(sim.nodeIdentity, args.value, { overwrite: false });
      if (!out.ok) throw new Error(out.error);
      sim.nodeIdentity = out.value.node;
    };
    label('ssd=true');
    sim.run(2);
    expect(sim.pods).toHaveLength(1);
    label('ssd-');
    sim.run(2);
    expect(sim.pods).toEqual([]);
    expect(sim.log).toEqual(['create r1', 'delete r1 NotEligible']);
  });
});
