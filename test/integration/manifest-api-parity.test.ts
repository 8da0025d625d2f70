// nodelet's manifest messages against the real kube-apiserver (test/helpers/kube-cluster.ts, the
// release scripts/kubernetes-openapi was fetched from): each document goes to
// `kubectl create --dry-run=server`, and nodelet must say what the API server says.
//   - a type error: nodelet's message is the API server's decode error, word for word;
//   - a field gated off by default: the API server drops it silently, nodelet warns and drops it;
//   - the API server's `Warning:` lines: nodelet gives each of them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifestFile } from '../../agent/manifest/parse-file.js';
import { buildKubeBinaries, startKubeCluster, type KubeCluster } from '../helpers/kube-cluster.js';

const run = promisify(execFile);
// A cold build of the Go binaries takes minutes on 2 cores (cached after).
const BUILD_TIMEOUT_MS = 60 * 60_000;

let cluster: KubeCluster;

beforeAll(async () => {
  await buildKubeBinaries();
  cluster = await startKubeCluster();
  // Admission needs the namespace's default ServiceAccount (no controller-manager runs).
  await cluster.kubectl(['create', 'serviceaccount', 'default']);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.stop();
}, 120_000);

interface ServerAnswer {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

async function dryRun(document: unknown): Promise<ServerAnswer> {
  const child = run(cluster.binaries.kubectl, ['--kubeconfig', cluster.adminKubeconfig, 'create', '--dry-run=server', '-o', 'json', '-f', '-']);
  child.child.stdin?.end(JSON.stringify(document));
  try {
    const { stdout, stderr } = await child;
    return { ok: true, stdout, stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'parity', ...metadata },
  spec: { containers: [{ name: 'c', image: 'busybox:1.37' }], ...spec },
});

/** The value at a kubectl-style path (`spec.containers[0].image`), or undefined. */
function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const step of path.replaceAll('[', '.').replaceAll(']', '').split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

const nodelet = (document: unknown): ReturnType<typeof parseManifestFile> => parseManifestFile(JSON.stringify(document), 'parity.json');

describe('type errors: the API server decode error, word for word', () => {
  it.each([
    ['a number for a string', pod({ containers: [{ name: 'c', image: 5 }] })],
    ['a string for an int32', pod({ containers: [{ name: 'c', image: 'b', ports: [{ containerPort: '80' }] }] })],
    ['a string for a bool', pod({ hostNetwork: 'yes' })],
    ['a number in a list of strings', pod({ containers: [{ name: 'c', image: 'b', args: ['a', 1] }] })],
    ['a fraction for an int64', pod({ terminationGracePeriodSeconds: 1.5 })],
    ['an object for a string', pod({ containers: [{ name: 'c', image: { a: 1 } }] })],
    ['a list for a struct', pod({ securityContext: [] })],
    ['a bool for an IntOrString, in an embedded struct', pod({ containers: [{ name: 'c', image: 'b', livenessProbe: { httpGet: { port: true } } }] })],
    ['a string for a probe int32', pod({ containers: [{ name: 'c', image: 'b', livenessProbe: { periodSeconds: 'x', exec: { command: ['a'] } } }] })],
    ['a string for a volume source struct (embedded VolumeSource)', pod({ volumes: [{ name: 'v', hostPath: 'x' }] })],
    ['a number for a hostPath path', pod({ volumes: [{ name: 'v', hostPath: { path: 5 } }] })],
  ])('%s', async (_name, document) => {
    const server = await dryRun(document);
    expect(server.ok).toBe(false);
    const serverMessage = /cannot be handled as a Pod: (.*)$/m.exec(server.stderr)?.[1];
    expect(serverMessage).toMatch(/^json: cannot unmarshal /);
    expect({ server: serverMessage, nodelet: nodelet(document).errors.map((e) => e.message) }).toEqual({ server: serverMessage, nodelet: expect.arrayContaining([serverMessage]) });
  });
});

describe('fields gated off by default in this release: dropped by the API server, warned about by nodelet', () => {
  const gated = pod({
    evictionResponders: [{ name: 'a.example.com', priority: 1 }],
    os: { name: 'linux' },
    containers: [
      {
        name: 'c',
        image: 'busybox:1.37',
        lifecycle: { stopSignal: 'SIGUSR1' },
        livenessProbe: { grpc: { port: 1, mode: 'TLS' } },
        readinessProbe: { httpGet: { port: 1, protocol: 'HTTP2' } },
        volumeMounts: [{ name: 'e', mountPath: '/e', bindMountOptions: ['noexec'] }],
      },
    ],
    volumes: [{ name: 'e', emptyDir: { mode: 493 } }, { name: 'd', downwardAPI: { defaultUser: 5, items: [{ path: 'a', fieldRef: { fieldPath: 'metadata.name' }, user: 5 }] } }],
  });
  const fields = [
    'spec.evictionResponders',
    'spec.containers[0].lifecycle.stopSignal',
    'spec.containers[0].livenessProbe.grpc.mode',
    'spec.containers[0].readinessProbe.httpGet.protocol',
    'spec.containers[0].volumeMounts[0].bindMountOptions',
    'spec.volumes[0].emptyDir.mode',
    'spec.volumes[1].downwardAPI.defaultUser',
    'spec.volumes[1].downwardAPI.items[0].user',
  ];

  it('the API server drops each of them without a word', async () => {
    const server = await dryRun(gated);
    expect(server.ok).toBe(true);
    const created: unknown = JSON.parse(server.stdout);
    for (const field of fields) expect(valueAt(created, field)).toBeUndefined();
    expect(server.stderr).not.toContain('Warning');
  });

  it('nodelet warns about each, accepts the pod and drops them', () => {
    const result = nodelet(gated);
    expect(result.errors).toEqual([]);
    const warned = result.warnings.filter((w) => w.message.includes('behind the feature gate')).map((w) => w.field);
    expect(warned.sort()).toEqual([...fields].sort());
    for (const field of fields) expect(valueAt(result.objects[0]?.object, field)).toBeUndefined();
  });
});

describe("the API server's warnings, given by nodelet too", () => {
  it.each([
    [
      'deprecated annotations and fields',
      pod(
        {
          nodeSelector: { 'beta.kubernetes.io/os': 'linux' },
          hostAliases: [{ ip: '1.2.3.4', hostnames: ['a'] }, { ip: '1.2.3.4', hostnames: ['b'] }],
          containers: [
            {
              name: 'c',
              image: 'b',
              env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }],
              ports: [{ containerPort: 80 }, { containerPort: 80 }, { containerPort: 81, hostIP: '1.2.3.4' }],
              resources: { limits: { memory: '1.5' } },
            },
          ],
        },
        {
          annotations: {
            'container.apparmor.security.beta.kubernetes.io/c': 'runtime/default',
            'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default',
            'container.seccomp.security.alpha.kubernetes.io/c': 'runtime/default',
            'scheduler.alpha.kubernetes.io/critical-pod': '',
          },
        },
      ),
    ],
    [
      'a DaemonSet template',
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'parity' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: {
            metadata: { labels: { a: 'b' }, annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined', 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' } },
            spec: { containers: [{ name: 'c', image: 'b' }], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'beta.kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }] } } } },
          },
        },
      },
    ],
  ])('%s', async (_name, document) => {
    const server = await dryRun(document);
    expect(server.ok).toBe(true);
    const serverWarnings = [...server.stderr.matchAll(/^Warning: (.*)$/gm)].map((m) => m[1]);
    expect(serverWarnings.length).toBeGreaterThan(1);
    const ours = nodelet(document).warnings.map((w) => w.message);
    for (const warning of serverWarnings) expect(ours).toContain(warning);
  });
});
