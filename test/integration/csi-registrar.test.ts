// Issue 14 item 5, plugin registration, against the real dockerd: a CSI node-driver-registrar
// runs as a DaemonSet beside a small CSI driver of the test's own (a @grpc/grpc-js server on
// the host serving Identity and Node.NodeGetInfo on <rootDir>/plugins/<driver>/csi.sock).
//
// The registrar: kubernetes-csi/node-driver-registrar's Go module is not served by the module
// proxy this project reaches (403 for every version), so test/go/csi-registrar is a stand-in
// with the same upstream APIs (k8s.io/kubelet pluginregistration/v1, the CSI spec Go bindings)
// and the registrar's behaviour (kubelet-node-contract.md 4.4): GetPluginInfo from the driver,
// Registration served on /registration/<driver>-reg.sock, exit 1 when told registration failed,
// socket removed on SIGTERM. Built static with the machine's Go (test/go/build.sh), imported
// as an image with `docker import`.
//
// Shown: nodelet calls GetInfo and NodeGetInfo and reports success with
// NotifyRegistrationStatus; the driver shows in `describe node` and the node's nodeid
// annotation; the registrar is never restarted, while one whose driver gives no node ID is
// told why, exits and is restarted by nodelet; removing the DaemonSet deregisters the driver.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerFromEnv, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { cli, daemonPods } from '../helpers/daemonset-harness.js';
import { startCsiPlugin, type GrpcTestServer } from '../helpers/grpc-plugins.js';
import { useTestAgents } from '../helpers/pod-fixtures.js';

const run = promisify(execFile);
const BUILD = fileURLToPath(new URL('../go/build.sh', import.meta.url));
const agent = useTestAgents();
let image = '';
const servers: GrpcTestServer[] = [];

beforeAll(async () => {
  const started = Date.now();
  const { stdout } = await run('bash', [BUILD, 'csi-registrar', '.', 'csi-registrar'], { maxBuffer: 1 << 20 });
  const binary = stdout.trim();
  console.log(`csi-registrar: ${binary} ready in ${Date.now() - started} ms`);
  // One image per binary (its name carries the hash of go.mod/go.sum).
  image = `nodelet-test/csi-node-driver-registrar:${basename(binary).replace(/^csi-registrar-/, '')}`;
  const docker = dockerFromEnv();
  const present = await docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (!present) {
    const work = await mkdtemp(join(tmpdir(), 'nodelet-registrar-image-'));
    try {
      await mkdir(join(work, 'rootfs', 'registration'), { recursive: true });
      await mkdir(join(work, 'rootfs', 'csi'), { recursive: true });
      await copyFile(binary, join(work, 'rootfs', 'csi-node-driver-registrar'));
      await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', join(work, 'rootfs'), '-cf', join(work, 'rootfs.tar'), '.']);
      await run('docker', ['import', '--change', 'ENTRYPOINT ["/csi-node-driver-registrar"]', '--message', 'nodelet test image (CSI registrar stand-in)', join(work, 'rootfs.tar'), image]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
});

afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The registrar DaemonSet of `driver`, with the hostPath mounts a CSI driver's manifest has. */
function registrarDaemonSet(name: string, driver: string, rootDir: string): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: node-driver-registrar
        image: ${image}
        imagePullPolicy: Never
        args:
        - --csi-address=/csi/csi.sock
        - --kubelet-registration-path=${rootDir}/plugins/${driver}/csi.sock
        - --plugin-registration-path=/registration
        volumeMounts:
        - { name: plugin-dir, mountPath: /csi }
        - { name: registration-dir, mountPath: /registration }
        - { name: pods-dir, mountPath: /pods, mountPropagation: HostToContainer, readOnly: true }
      volumes:
      - name: plugin-dir
        hostPath: { path: ${rootDir}/plugins/${driver}, type: DirectoryOrCreate }
      - name: registration-dir
        hostPath: { path: ${rootDir}/plugins_registry, type: Directory }
      - name: pods-dir
        hostPath: { path: ${rootDir}/pods, type: Directory }
`;
}

function registrarStatus(a: TestAgent, ds: string): { restartCount: number; running: boolean; pod?: Pod } {
  const pod = daemonPods(a, ds)[0];
  const s = pod?.status?.containerStatuses?.find((c) => c.name === 'node-driver-registrar');
  return { restartCount: s?.restartCount ?? 0, running: s?.state?.running !== undefined, pod };
}

/** `nodelet logs <pod> -c node-driver-registrar [--previous]` of the DaemonSet's pod. */
async function containerLogs(a: TestAgent, ds: string, previous = false): Promise<string> {
  const pod = daemonPods(a, ds)[0]?.metadata?.name;
  if (pod === undefined) return '';
  const { out, err } = await cli(a, ['logs', pod, '-c', 'node-driver-registrar', ...(previous ? ['--previous'] : [])]);
  return out + err;
}

async function startDriver(rootDir: string, driver: string, nodeId: string): Promise<void> {
  await mkdir(join(rootDir, 'plugins', driver), { recursive: true });
  servers.push(await startCsiPlugin(join(rootDir, 'plugins', driver, 'csi.sock'), { name: driver, nodeId, maxVolumesPerNode: 16, topology: { 'topology.nodelet.test/node': nodeId || 'none' } }));
}

describe('CSI node-driver-registrar as a DaemonSet', () => {
  it('registers the driver (GetInfo, NodeGetInfo, NotifyRegistrationStatus), never restarts the registrar, and deregisters on removal', async () => {
    const a = await agent({ file: { crashLoopBackOff: { initial: '1s', max: '2s' } } });
    const rootDir = a.config.rootDir;
    const good = 'good.csi.nodelet.test';
    const bad = 'bad.csi.nodelet.test';
    await startDriver(rootDir, good, `node-${a.config.nodeName}`);
    await startDriver(rootDir, bad, ''); // NodeGetInfo without a node ID: registration fails
    await a.write('good.yaml', registrarDaemonSet('good-registrar', good, rootDir));
    await a.write('bad.yaml', registrarDaemonSet('bad-registrar', bad, rootDir));

    const registered = await a.logLine((l) => l.msg === 'plugin registered' && l.name === good);
    expect(registered).toMatchObject({ type: 'CSIPlugin', socket: join(rootDir, 'plugins_registry', `${good}-reg.sock`), endpoint: join(rootDir, 'plugins', good, 'csi.sock'), versions: ['1.0.0'] });
    await waitUntil(async () => (await containerLogs(a, 'good-registrar')).includes('plugin_registered:true'), 'the registrar told of its registration');
    const goodLogs = await containerLogs(a, 'good-registrar');
    expect(goodLogs).toContain('Received GetInfo call');

    // describe node: the CSI driver row and kubelet's nodeid annotation.
    const describe = (await cli(a, ['describe', 'node'])).out;
    expect(describe).toMatch(new RegExp(`CSI Drivers:\\n\\s+Name\\s+Node ID\\s+Allocatable Count\\s+Topology Keys\\n.*\\n\\s+${good.replace(/\./g, '\\.')}\\s+node-${a.config.nodeName}\\s+16\\s+\\[topology\\.nodelet\\.test/node\\]`));
    expect(describe).toContain(`csi.volume.kubernetes.io/nodeid: {"${good}":"node-${a.config.nodeName}"}`);

    // The failing registrar is told why, exits 1 and is restarted (twice, a few seconds);
    // meanwhile the good one keeps running with no restart.
    const failed = await a.logLine((l) => l.msg === 'plugin registration failed' && l.name === bad);
    expect(failed.err).toContain('RegisterPlugin error -- plugin registration failed with err: error adding CSI driver node info: driverNodeID must not be empty');
    await waitUntil(async () => registrarStatus(a, 'bad-registrar').restartCount >= 3, 'the failing registrar restarted three times', 90_000);
    expect(await containerLogs(a, 'bad-registrar', true)).toContain('Registration process failed with error');
    expect(registrarStatus(a, 'good-registrar')).toMatchObject({ restartCount: 0, running: true });
    expect(a.logs.filter((l) => l.msg === 'plugin registered' && l.name === good)).toHaveLength(1);
    expect((await cli(a, ['describe', 'node'])).out).not.toContain(bad);

    // Removing the DaemonSet: SIGTERM, the registrar removes its socket, nodelet deregisters.
    await a.remove('good.yaml');
    await a.logLine((l) => l.msg === 'plugin deregistered' && l.name === good);
    const after = (await cli(a, ['describe', 'node'])).out;
    expect(after).not.toContain('CSI Drivers:');
    expect(after).not.toContain('csi.volume.kubernetes.io/nodeid');
  });
});
