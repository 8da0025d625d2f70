// subPath symlink escape (CVE-2017-1002101), end to end against the real dockerd: a container
// that can write to an emptyDir turns a directory in it into a symlink to the host's `/` (or
// to a host directory); its sibling, which mounts that directory with `subPath`, must never
// see the host at its next start, and ends in CreateContainerConfigError with kubelet's
// message. subPaths whose symlinks stay inside the volume, subPathExpr, hostPath and
// downwardAPI subPaths keep working.
import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, realpath, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { TEST_IMAGES } from '../helpers/docker-engine.js';
import { waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { containersOf, useTestAgents } from '../helpers/pod-fixtures.js';
import { NodeHostFs } from '../../agent/host/host-fs.js';
import { emptyDirPath, podDir } from '../../agent/translate/volumes.js';
import { SUBPATH_DIR } from '../../agent/translate/subpath.js';
import { readMountPoints } from '../../agent/host/mounts.js';

const agent = useTestAgents({ file: { crashLoopBackOff: { initial: '1s', max: '4s' } } });
const BUSYBOX = TEST_IMAGES.busybox;

function podOf(a: TestAgent, name: string): Pod | undefined {
  return a.running.agent.pods().find((p) => p.metadata?.name === `${name}-${a.config.nodeName}`);
}

function waitingOf(pod: Pod | undefined, container: string): { reason?: string; message?: string } | undefined {
  return pod?.status?.containerStatuses?.find((s) => s.name === container)?.state?.waiting;
}

/** A host directory outside every volume, with a file no container may ever see. */
async function hostSecret(): Promise<{ dir: string; marker: string; cleanup: () => Promise<void> }> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'nodelet-secret-')));
  await writeFile(join(dir, 'marker'), 'host secret\n');
  return { dir, marker: join(dir, 'marker'), cleanup: () => new NodeHostFs().removeTree(dir) };
}

/** Every Docker container of `container`: the /mnt bind must come from the pod's volume-subpaths, never the volume path. */
async function mntSources(a: TestAgent, pod: string, container: string, mountPath: string): Promise<string[]> {
  const list = await containersOf(a, pod, container);
  const inspected = await Promise.all(list.map((c) => a.docker.getContainer(c.Id).inspect()));
  return inspected.map((i) => i.Mounts.find((m) => m.Destination === mountPath)?.Source ?? '(none)');
}

describe('subPath symlink escape (CVE-2017-1002101)', () => {
  it('a victim restarted after its sibling swapped the subPath for a symlink (to / and to a host dir) never sees the host: CreateContainerConfigError', async () => {
    const a = await agent();
    const secret = await hostSecret();
    try {
      // The victims look for the host file at both places the two links would show it.
      const victim = (name: string) => `
  - name: victim-${name}
    image: ${BUSYBOX}
    command: ["sh", "-c", "if [ -e /mnt${secret.marker} ] || [ -e /mnt/marker ]; then echo ESCAPED-${name} >> /report/log; fi; echo started >> /report/started-${name}; sleep 1; exit 1"]
    volumeMounts:
    - { name: data, mountPath: /mnt, subPath: ${name} }
    - { name: report, mountPath: /report }`;
      await a.write(
        'escape.yaml',
        `apiVersion: v1
kind: Pod
metadata: { name: escape }
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  volumes:
  - { name: data, emptyDir: {} }
  - { name: report, emptyDir: {} }
  containers:
  - name: attacker
    image: ${BUSYBOX}
    command: ["sh", "-c", "until [ -e /report/started-root ] && [ -e /report/started-host ]; do sleep 0.1; done; rm -rf /data/root /data/host; ln -s / /data/root; ln -s ${secret.dir} /data/host; touch /report/swapped; exec sleep 3600"]
    volumeMounts:
    - { name: data, mountPath: /data }
    - { name: report, mountPath: /report }${victim('root')}${victim('host')}
`,
      );
      const uid = await waitUntil(async () => podOf(a, 'escape')?.metadata?.uid, 'the escape pod');
      const report = emptyDirPath(a.stateDir, uid, 'report');
      const escaped = async () => (await readFile(join(report, 'log'), 'utf8').catch(() => '')).trim();
      const message = (c: string) => `failed to prepare subPath for volumeMount "data" of container "${c}"`;

      const outcome = await waitUntil(
        async () => {
          if ((await escaped()) !== '') return 'escaped';
          const pod = podOf(a, 'escape');
          const done = ['victim-root', 'victim-host'].every((c) => {
            const w = waitingOf(pod, c);
            return w?.reason === 'CreateContainerConfigError' && w.message === message(c);
          });
          return done ? 'refused' : undefined;
        },
        'both victims in CreateContainerConfigError',
        30_000,
        50,
      ).catch((e: unknown) => {
        console.log(JSON.stringify(podOf(a, 'escape')?.status, null, 1));
        console.log(a.logs.filter((l) => l.level !== 20 && l.level !== 10).map((l) => JSON.stringify(l)).join('\n'));
        throw e;
      });
      expect(await escaped()).toBe('');
      expect(outcome).toBe('refused');
      // The swap happened after each victim's first, good start.
      expect(await readFile(join(report, 'swapped'), 'utf8').catch(() => 'missing')).toBe('');
      for (const c of ['root', 'host']) expect((await readFile(join(report, `started-${c}`), 'utf8')).trim().split('\n').length).toBeGreaterThanOrEqual(1);

      // Docker only ever got the bind target under the pod directory, never the volume path.
      const subpaths = join(podDir(a.stateDir, uid), SUBPATH_DIR);
      for (const c of ['victim-root', 'victim-host']) {
        const sources = await mntSources(a, 'escape', c, '/mnt');
        expect(sources.length).toBeGreaterThan(0);
        for (const s of sources) expect(s.startsWith(`${subpaths}/data/${c}/`)).toBe(true);
      }
      // And the failed re-check left nothing bound there.
      expect((await readMountPoints()).filter((m) => m.startsWith(`${subpaths}/data/`))).toEqual([]);
      expect(a.logs.some((l) => l.msg === 'subPath preparation failed' && String(l.err).includes('not within volume path'))).toBe(true);
    } finally {
      await secret.cleanup();
    }
  });

  it('keeps working: in-volume symlinks, subPathExpr, a hostPath subPath and a downwardAPI file subPath; escaping links in subPathExpr and hostPath are refused', async () => {
    const a = await agent();
    const secret = await hostSecret();
    const hostDir = await realpath(await mkdtemp(join(tmpdir(), 'nodelet-hostpath-')));
    try {
      await mkdir(join(hostDir, 'inner'));
      await writeFile(join(hostDir, 'inner', 'f'), 'from-hostpath\n');
      await symlink('/', join(hostDir, 'esc'));
      await a.write(
        'ok.yaml',
        `apiVersion: v1
kind: Pod
metadata: { name: subpaths, labels: { tier: web } }
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  volumes:
  - { name: data, emptyDir: {} }
  - { name: host, hostPath: { path: ${hostDir}, type: Directory } }
  - name: info
    downwardAPI: { items: [{ path: labels, fieldRef: { fieldPath: metadata.labels } }] }
  initContainers:
  - name: setup
    image: ${BUSYBOX}
    command: ["sh", "-c", "mkdir -p /data/real && echo via-link > /data/real/f && ln -s real /data/link && ln -s / /data/esc"]
    volumeMounts: [{ name: data, mountPath: /data }]
  containers:
  - name: reader
    image: ${BUSYBOX}
    env: [{ name: SUB, value: link }]
    command: ["sh", "-c", "cat /link/f /expr/f /host/f /labels > /data/out.tmp; mv /data/out.tmp /data/out; exec sleep 3600"]
    volumeMounts:
    - { name: data, mountPath: /data }
    - { name: data, mountPath: /link, subPath: link }
    - { name: data, mountPath: /expr, subPathExpr: $(SUB) }
    - { name: host, mountPath: /host, subPath: inner }
    - { name: info, mountPath: /labels, subPath: labels }
  - name: expr-escape
    image: ${BUSYBOX}
    env: [{ name: SUB, value: esc }]
    command: ["sh", "-c", "ls /mnt; exec sleep 3600"]
    volumeMounts: [{ name: data, mountPath: /mnt, subPathExpr: $(SUB) }]
  - name: host-escape
    image: ${BUSYBOX}
    command: ["sh", "-c", "ls /mnt; exec sleep 3600"]
    volumeMounts: [{ name: host, mountPath: /mnt, subPath: esc }]
`,
      );
      const uid = await waitUntil(async () => podOf(a, 'subpaths')?.metadata?.uid, 'the subpaths pod');
      const out = await waitUntil(async () => readFile(join(emptyDirPath(a.stateDir, uid, 'data'), 'out'), 'utf8').catch(() => undefined), 'the reader output', 60_000);
      expect(out).toBe('via-link\nvia-link\nfrom-hostpath\ntier="web"');
      const refused = await waitUntil(
        async () => {
          const pod = podOf(a, 'subpaths');
          const e = waitingOf(pod, 'expr-escape');
          const h = waitingOf(pod, 'host-escape');
          return e?.reason === 'CreateContainerConfigError' && h?.reason === 'CreateContainerConfigError' ? { e, h } : undefined;
        },
        'both escapes refused',
        20_000,
        50,
      ).catch((e: unknown) => {
        console.log(JSON.stringify(podOf(a, 'subpaths')?.status, null, 1));
        console.log(a.logs.filter((l) => l.level !== 20 && l.level !== 10).map((l) => JSON.stringify(l)).join('\n'));
        throw e;
      });
      expect(refused.e.message).toBe('failed to prepare subPath for volumeMount "data" of container "expr-escape"');
      expect(refused.h.message).toBe('failed to prepare subPath for volumeMount "host" of container "host-escape"');
      expect(await containersOf(a, 'subpaths', 'expr-escape')).toEqual([]);
      expect(await containersOf(a, 'subpaths', 'host-escape')).toEqual([]);

      // Removing the pod unmounts its subPath binds and never touches the hostPath's data.
      const subpaths = join(podDir(a.stateDir, uid), SUBPATH_DIR);
      expect((await readMountPoints()).filter((m) => m.startsWith(subpaths)).length).toBe(4);
      await a.remove('ok.yaml');
      await waitUntil(async () => ((await readMountPoints()).some((m) => m.startsWith(subpaths)) ? undefined : true), 'subPath binds unmounted', 60_000);
      await waitUntil(async () => (await stat(podDir(a.stateDir, uid)).catch(() => 'gone')) === 'gone', 'pod dir removed', 60_000);
      expect(await readFile(join(hostDir, 'inner', 'f'), 'utf8')).toBe('from-hostpath\n');
    } finally {
      await new NodeHostFs().removeTree(hostDir);
      await secret.cleanup();
    }
  });
});
