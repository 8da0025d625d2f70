// What reaches Docker: env with the downward API and $(VAR) expansion (read back from inside
// the container), resources and securityContext (read back with docker inspect), and how
// edits and renames of a manifest file are applied.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { podContainers, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { containersOf, useTestAgents } from '../helpers/pod-fixtures.js';
import { LABELS } from '../../agent/core/labels.js';

const agent = useTestAgents();

async function containerOf(a: TestAgent, pod: string, name: string, state = 'running'): Promise<{ Id: string; Labels: Record<string, string> } | undefined> {
  return (await containersOf(a, pod, name)).find((c) => c.State === state);
}

describe('container configuration', () => {
  it('passes env, the downward API and $(VAR) expansion into the container', async () => {
    const a = await agent();
    const out = join(a.root, 'out');
    await a.write(
      'env.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: envpod
  namespace: team-a
  labels: { app: web, tier: front }
  annotations: { owner: ops }
spec:
  hostNetwork: true
  containers:
  - name: main
    image: busybox:1.37
    command: ["sh", "-c"]
    args: ["env > /out/env; echo '$(GREETING) $(MISSING) $$(ESCAPED)' > /out/args; exec sleep 3600"]
    env:
    - { name: NAME, value: world }
    - { name: GREETING, value: "hello $(NAME)" }
    - { name: LITERAL, value: "$$(NAME) and $(UNKNOWN)" }
    - name: POD_NAME
      valueFrom: { fieldRef: { fieldPath: metadata.name } }
    - name: POD_NAMESPACE
      valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
    - name: POD_UID
      valueFrom: { fieldRef: { fieldPath: metadata.uid } }
    - name: APP_LABEL
      valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } }
    - name: OWNER
      valueFrom: { fieldRef: { fieldPath: "metadata.annotations['owner']" } }
    - name: NODE
      valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
    - name: HOST_IP
      valueFrom: { fieldRef: { fieldPath: status.hostIP } }
    - name: MEM_LIMIT_MI
      valueFrom: { resourceFieldRef: { resource: limits.memory, divisor: 1Mi } }
    - name: CPU_REQ_M
      valueFrom: { resourceFieldRef: { resource: requests.cpu, divisor: 1m } }
    resources:
      requests: { cpu: 250m, memory: 32Mi }
      limits: { cpu: 500m, memory: 64Mi }
    volumeMounts: [{ name: out, mountPath: /out }]
  volumes:
  - name: out
    hostPath: { path: ${out}, type: DirectoryOrCreate }
`,
    );
    const envText = await waitUntil(async () => {
      const t = await readFile(join(out, 'env'), 'utf8').catch(() => '');
      return t.includes('POD_NAME=') ? t : undefined;
    }, 'env written');
    const env = Object.fromEntries(envText.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const podName = `envpod-${a.config.nodeName}`;
    expect(env.GREETING).toBe('hello world');
    expect(env.LITERAL).toBe('$(NAME) and $(UNKNOWN)');
    expect(env.POD_NAME).toBe(podName);
    expect(env.POD_NAMESPACE).toBe('team-a');
    expect(env.POD_UID).toMatch(/^[0-9a-f]{32}$/);
    expect(env.APP_LABEL).toBe('web');
    expect(env.OWNER).toBe('ops');
    expect(env.NODE).toBe(a.config.nodeName);
    expect(env.HOST_IP).toMatch(/^[0-9a-f.:]+$/);
    expect(env.MEM_LIMIT_MI).toBe('64');
    expect(env.CPU_REQ_M).toBe('250');
    expect((await readFile(join(out, 'args'), 'utf8')).trim()).toBe('hello world $(MISSING) $(ESCAPED)');
  });

  it('maps resources and securityContext to Docker', async () => {
    const a = await agent();
    await a.write(
      'sec.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: secpod }
spec:
  hostNetwork: true
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    supplementalGroups: [4000]
  containers:
  - name: main
    image: busybox:1.37
    command: ["sleep", "3600"]
    resources:
      requests: { cpu: 250m, memory: 64Mi }
      limits: { cpu: "1.5", memory: 128Mi }
    securityContext:
      runAsUser: 1001
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities: { add: [NET_ADMIN], drop: [ALL] }
      seccompProfile: { type: Unconfined }
`,
    );
    const c = await waitUntil(() => containerOf(a, 'secpod', 'main'), 'secpod running');
    const info = await a.docker.getContainer(c.Id).inspect();
    expect(info.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(info.HostConfig.CpuQuota).toBe(150_000);
    expect(info.HostConfig.CpuPeriod).toBe(100_000);
    expect(info.HostConfig.CpuShares).toBe(256);
    expect(info.Config.User).toBe('1001:3000');
    expect(info.HostConfig.GroupAdd).toContain('4000');
    expect(info.HostConfig.CapAdd).toContain('CAP_NET_ADMIN');
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.SecurityOpt).toEqual(expect.arrayContaining(['no-new-privileges', 'seccomp=unconfined']));
    expect(info.HostConfig.RestartPolicy?.Name).toBe('no');
  });

  it('an edit replaces the whole pod under a new UID (the config hash), as the kubelet does; a renamed file restarts nothing', async () => {
    const a = await agent();
    const manifest = (tag: string, env: string): string => `apiVersion: v1
kind: Pod
metadata: { name: edit }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: stays
    image: busybox:1.37
    command: ["sleep", "3600"]
  - name: changes
    image: busybox:${tag}
    imagePullPolicy: IfNotPresent
    command: ["sleep", "3600"]
    env: [{ name: V, value: "${env}" }]
`;
    await a.write('edit.yaml', manifest('1.37', 'one'));
    const stays = await waitUntil(() => containerOf(a, 'edit', 'stays'), 'stays running');
    const first = await waitUntil(() => containerOf(a, 'edit', 'changes'), 'changes running');
    await a.writeAtomic('edit.yaml', manifest('latest', 'two'));
    const second = await waitUntil(async () => {
      const c = await containerOf(a, 'edit', 'changes');
      return c && c.Id !== first.Id ? c : undefined;
    }, 'changes replaced');
    const info = await a.docker.getContainer(second.Id).inspect();
    expect(info.Config.Image).toBe('busybox:latest');
    expect(info.Config.Env).toContain('V=two');
    const staysAfter = await waitUntil(() => containerOf(a, 'edit', 'stays'), 'stays running again');
    expect(staysAfter.Id).not.toBe(stays.Id);
    expect(staysAfter.Labels[LABELS.podUid]).toBe(second.Labels[LABELS.podUid]);
    expect(second.Labels[LABELS.podUid]).not.toBe(first.Labels[LABELS.podUid]);
    // A renamed file is the same object (kind/namespace/name): nothing restarts.
    await rename(join(a.manifestDir, 'edit.yaml'), join(a.manifestDir, 'renamed.yaml'));
    await new Promise((r) => setTimeout(r, 1500));
    await a.running.agent.idle();
    expect((await containerOf(a, 'edit', 'stays'))?.Id).toBe(staysAfter.Id);
    expect((await containerOf(a, 'edit', 'changes'))?.Id).toBe(second.Id);
    const desired = a.running.agent.desiredPods().find((d) => d.name.startsWith('edit-'));
    expect(second.Labels[LABELS.podUid]).toBe(desired?.uid);
    expect(desired?.pod.metadata?.annotations?.['kubernetes.io/config.hash']).toBe(desired?.uid);
  });

  it('removing the file stops and removes the pod, its sandbox and its emptyDirs', async () => {
    const a = await agent();
    await a.write(
      'gone.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: gone }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 3
  containers:
  - name: main
    image: busybox:1.37
    command: ["sh", "-c", "trap 'exit 0' TERM; echo hi > /cache/x; while true; do sleep 0.2; done"]
    volumeMounts: [{ name: cache, mountPath: /cache }]
  volumes:
  - name: cache
    emptyDir: {}
`,
    );
    const c = await waitUntil(() => containerOf(a, 'gone', 'main'), 'gone running');
    const uid = (await a.docker.getContainer(c.Id).inspect()).Config.Labels[LABELS.podUid];
    await waitUntil(async () => (await readFile(join(a.stateDir, 'pods', String(uid), 'volumes', 'kubernetes.io~empty-dir', 'cache', 'x'), 'utf8').catch(() => '')) === 'hi\n', 'emptyDir written');
    await a.remove('gone.yaml');
    await waitUntil(async () => (await podContainers(a.docker, a.config.nodeName, `gone-${a.config.nodeName}`)).length === 0, 'pod removed');
    // The pod directory goes after the containers, in the same worker pass.
    await waitUntil(async () => !existsSync(join(a.stateDir, 'pods', String(uid))), 'pod directory removed');
    await expect(readFile(join(a.stateDir, 'pods', String(uid), 'volumes', 'kubernetes.io~empty-dir', 'cache', 'x'))).rejects.toThrow();
  });
});
