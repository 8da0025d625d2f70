// The QoS cgroup hierarchy with Docker's systemd cgroup driver, for real (issue 17): the
// containerized systemd machine of test/vm (systemd as PID 1, its own dockerd) with the inner
// dockerd switched to `native.cgroupdriver=systemd` through its daemon.json before the first
// boot. nodelet, installed with scripts/install.sh, runs a Guaranteed, a Burstable and a
// BestEffort pod; for each, the sandbox's and the container's /proc/<pid>/cgroup must show the
// kubelet's slice path (kubepods.slice[/kubepods-<qos>.slice]/kubepods[-<qos>]-pod<uid_>.slice/
// docker-<id>.scope), systemd must report the pod slice's limits from the pod's resources, and
// the slice must be gone once the manifest is removed. The cgroupfs driver is covered by
// test/integration/qos-cgroups.test.ts on the host engine.
//
// The machine sees the host's cgroup version (one kernel, its own cgroup namespace): the test
// logs it. This host is cgroup v1; the v2 slice properties (CPUWeight, MemoryMax) are only
// unit-tested.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../helpers/agent-harness.js';
import { TEST_IMAGES } from '../helpers/docker-engine.js';
import { hostRun, inMachine, inMachineOk, VM_CREATE_FLAGS, vmSkipReason } from '../helpers/test-vm.js';

const REPO = join(import.meta.dirname, '..', '..');
const HOST = 'qos-vm';

const skipReason = vmSkipReason();
if (skipReason) console.warn(`[qos-systemd-vm] skipped: ${skipReason}`);

/** The inner dockerd's config: the image's (no bridge, no iptables) plus the systemd cgroup driver. */
const DAEMON_JSON = {
  bridge: 'none',
  iptables: false,
  ip6tables: false,
  'ip-masq': false,
  'exec-opts': ['native.cgroupdriver=systemd'],
};

const host = hostRun;

let machine = '';
let work = '';

const inVm = (script: string, timeoutMs?: number): ReturnType<typeof inMachine> => inMachine(machine, script, timeoutMs);
const inVmOk = (script: string, timeoutMs?: number): Promise<string> => inMachineOk(machine, script, timeoutMs);

interface QosCase {
  readonly name: string;
  readonly qos: 'guaranteed' | 'burstable' | 'besteffort';
  readonly resources: string;
  /** systemctl show of the pod slice: CPUShares, CPUQuotaPerSecUSec, MemoryLimit. */
  readonly slice: { CPUShares: string; CPUQuotaPerSecUSec: string; MemoryLimit: string };
  /** The same limits in the cgroup v1 files. */
  readonly files: { 'cpu/cpu.shares': string; 'cpu/cpu.cfs_quota_us': string; 'memory/memory.limit_in_bytes'?: string };
}

const MI = 1024 * 1024;
const CASES: readonly QosCase[] = [
  {
    name: 'gua', qos: 'guaranteed',
    resources: `{ requests: { cpu: 250m, memory: 64Mi }, limits: { cpu: 250m, memory: 64Mi } }`,
    // 250m: shares 256, quota 25 ms per 100 ms period = 250 ms per second.
    slice: { CPUShares: '256', CPUQuotaPerSecUSec: '250ms', MemoryLimit: String(64 * MI) },
    files: { 'cpu/cpu.shares': '256', 'cpu/cpu.cfs_quota_us': '25000', 'memory/memory.limit_in_bytes': String(64 * MI) },
  },
  {
    name: 'bur', qos: 'burstable',
    // No cpu limit: no quota; every container has a memory limit: the pod has one.
    resources: `{ requests: { cpu: 100m, memory: 32Mi }, limits: { memory: 96Mi } }`,
    slice: { CPUShares: '102', CPUQuotaPerSecUSec: 'infinity', MemoryLimit: String(96 * MI) },
    files: { 'cpu/cpu.shares': '102', 'cpu/cpu.cfs_quota_us': '-1', 'memory/memory.limit_in_bytes': String(96 * MI) },
  },
  {
    name: 'bes', qos: 'besteffort',
    resources: '{}',
    slice: { CPUShares: '2', CPUQuotaPerSecUSec: 'infinity', MemoryLimit: 'infinity' },
    files: { 'cpu/cpu.shares': '2', 'cpu/cpu.cfs_quota_us': '-1' },
  },
];

function manifest(c: QosCase): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${c.name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${TEST_IMAGES.busybox}
    command: ["sleep", "3600"]
    resources: ${c.resources}
`;
}

/** The pod's slice: Guaranteed pods sit directly in kubepods.slice. */
function podSlice(c: QosCase, uid: string): { unit: string; path: string } {
  const prefix = c.qos === 'guaranteed' ? 'kubepods' : `kubepods-${c.qos}`;
  const unit = `${prefix}-pod${uid.replace(/-/g, '_')}.slice`;
  const path = c.qos === 'guaranteed' ? `/kubepods.slice/${unit}` : `/kubepods.slice/kubepods-${c.qos}.slice/${unit}`;
  return { unit, path };
}

interface Running {
  readonly uid: string;
  /** container name (POD for the sandbox) -> id and PID. */
  readonly containers: Map<string, { id: string; pid: number }>;
}

async function running(pod: string): Promise<Running | undefined> {
  const r = await inVm(
    `ids=$(docker ps -q --filter label=io.kubernetes.pod.name=${pod}); [ -z "$ids" ] || docker inspect -f '{{index .Config.Labels "io.kubernetes.container.name"}} {{index .Config.Labels "io.kubernetes.pod.uid"}} {{.Id}} {{.State.Pid}}' $ids`,
  );
  const containers = new Map<string, { id: string; pid: number }>();
  let uid = '';
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [name, u, id, pid] = line.split(' ');
    if (name && u && id && Number(pid) > 0) {
      containers.set(name, { id, pid: Number(pid) });
      uid = u;
    }
  }
  return containers.has('POD') && containers.has('app') ? { uid, containers } : undefined;
}

describe.skipIf(skipReason !== undefined)('QoS cgroups with the systemd cgroup driver in a systemd machine', () => {
  const pods = new Map<string, Running>();
  let cgroupVersion = 0;

  beforeAll(async () => {
    expect(existsSync(join(REPO, 'dist', 'agent', 'cli', 'bin.js')), 'dist/ is missing: run npm run build').toBe(true);
    const t0 = Date.now();
    work = await mkdtemp(join(tmpdir(), 'nodelet-qos-vm-'));
    machine = `nodelet-qos-vm-${process.pid}`;
    const image = (await host('bash', [join(REPO, 'test', 'vm', 'build-image.sh')], 30 * 60_000)).trim();
    const bundle = join(work, 'nodelet.tar.gz');
    await host('bash', [join(REPO, 'scripts', 'bundle.sh'), bundle]);
    const images = join(work, 'images.tar');
    await host('docker', ['save', '-o', images, TEST_IMAGES.busybox, TEST_IMAGES.pause]);
    const daemonJson = join(work, 'daemon.json');
    await writeFile(daemonJson, `${JSON.stringify(DAEMON_JSON, null, 2)}\n`);
    await host('docker', ['create', '--name', machine, '--hostname', HOST, '--label', `io.nodelet.test-vm.owner=${process.pid}`, ...VM_CREATE_FLAGS, image]);
    await host('docker', ['cp', '-L', process.execPath, `${machine}:/usr/local/bin/node`]);
    await host('docker', ['cp', images, `${machine}:/var/lib/nodelet-vm/images.tar`]);
    await host('docker', ['cp', bundle, `${machine}:/root/nodelet.tar.gz`]);
    // Before the first boot: the inner dockerd starts with the systemd driver.
    await host('docker', ['cp', daemonJson, `${machine}:/etc/docker/daemon.json`]);
    await host('docker', ['start', machine]);
    await waitUntil(async () => ['running', 'degraded'].includes((await inVm('systemctl is-system-running')).stdout.trim()), 'systemd booted in the machine', 120_000, 250);
    await waitUntil(async () => (await inVm(`docker image inspect ${TEST_IMAGES.busybox} ${TEST_IMAGES.pause} >/dev/null`)).code === 0, 'test images loaded', 60_000, 250);
    cgroupVersion = (await inVmOk('stat -fc %T /sys/fs/cgroup')).trim() === 'cgroup2fs' ? 2 : 1;
    await inVmOk(`mkdir -p /etc/nodelet /etc/kubernetes/manifests && printf 'podNetwork: none\\n' > /etc/nodelet/config.yaml`);
    for (const c of CASES) await inVmOk(`cat > /etc/kubernetes/manifests/${c.name}.yaml <<'EOF'\n${manifest(c)}EOF`);
    const install = await inVm('cd /root && tar -xzf nodelet.tar.gz && /root/nodelet-0.1.0/scripts/install.sh', 240_000);
    expect(install.code, install.stderr).toBe(0);
    console.info(`[qos-systemd-vm] machine booted and nodelet installed in ${Date.now() - t0} ms`);
  }, 40 * 60_000);

  afterAll(async () => {
    if (machine && process.env.NODELET_VM_KEEP !== '1') await host('docker', ['rm', '--force', '--volumes', machine]).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  }, 120_000);

  it('the inner dockerd uses the systemd cgroup driver; the machine sees the host cgroup version', async () => {
    const info = (await inVmOk(`docker info -f '{{.CgroupDriver}} {{.CgroupVersion}}'`)).trim();
    console.info(`[qos-systemd-vm] docker info: driver/version ${info}; /sys/fs/cgroup is cgroup v${cgroupVersion}`);
    expect(info).toBe(`systemd ${cgroupVersion}`);
    const journal = await inVmOk('journalctl -u nodelet -o cat --no-pager');
    expect(journal).toMatch(/"driver":"systemd".*QoS cgroup hierarchy follows the engine cgroup driver/);
  });

  it('every sandbox and container runs in its pod slice, Guaranteed directly under kubepods.slice', async () => {
    const t0 = Date.now();
    for (const c of CASES) pods.set(c.name, await waitUntil(() => running(`${c.name}-${HOST}`), `${c.name} running`, 120_000, 250));
    console.info(`[qos-systemd-vm] three pods running ${Date.now() - t0} ms after install`);
    for (const c of CASES) {
      const pod = pods.get(c.name);
      if (!pod) throw new Error(`${c.name} not running`);
      const { path } = podSlice(c, pod.uid);
      for (const [name, { id, pid }] of pod.containers) {
        const lines = (await inVmOk(`cat /proc/${pid}/cgroup`)).split('\n').filter(Boolean);
        const want = `${path}/docker-${id}.scope`;
        console.info(`[qos-systemd-vm] ${c.name}/${name}: ${lines.find((l) => /:(cpu,cpuacct|memory|):/.test(l)) ?? lines[0]}`);
        // v1: the memory hierarchy (systemd's own name=systemd line too); v2: the single 0:: line.
        const memory = lines.find((l) => (cgroupVersion === 2 ? l.startsWith('0::') : /^\d+:memory:/.test(l)));
        expect(memory, `${c.name}/${name} /proc/${pid}/cgroup`).toBe(cgroupVersion === 2 ? `0::${want}` : `${memory?.split(':')[0]}:memory:${want}`);
        if (cgroupVersion === 1) expect(lines.find((l) => l.includes(':name=systemd:'))?.split(':')[2]).toBe(want);
      }
    }
  });

  it('systemd shows each pod slice with the pod\'s limits, and the cgroup files agree', async () => {
    for (const c of CASES) {
      const pod = pods.get(c.name);
      if (!pod) throw new Error(`${c.name} not running`);
      const { unit, path } = podSlice(c, pod.uid);
      const show = await inVmOk(`systemctl show ${unit} -p ActiveState,CPUShares,CPUQuotaPerSecUSec,MemoryLimit`);
      const props = Object.fromEntries(show.split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
      console.info(`[qos-systemd-vm] ${unit}: ${JSON.stringify(props)}`);
      expect(props).toEqual({ ActiveState: 'active', ...c.slice });
      if (cgroupVersion !== 1) continue;
      for (const [file, value] of Object.entries(c.files)) {
        const got = (await inVmOk(`cat /sys/fs/cgroup/${file.split('/')[0]}${path}/${file.split('/')[1]}`)).trim();
        expect(got, `${unit} ${file}`).toBe(value);
      }
    }
  });

  it('a removed manifest takes its pod slice with it', async () => {
    const t0 = Date.now();
    for (const c of CASES) await inVmOk(`rm /etc/kubernetes/manifests/${c.name}.yaml`);
    for (const c of CASES) {
      const pod = pods.get(c.name);
      if (!pod) throw new Error(`${c.name} not running`);
      const { unit, path } = podSlice(c, pod.uid);
      // v1: every controller hierarchy (runc and nodelet made the directories, not systemd).
      const dirs = (cgroupVersion === 2 ? [''] : ['/cpu', '/memory', '/pids', '/cpuset', '/systemd']).map((h) => `/sys/fs/cgroup${h}${path}`);
      await waitUntil(async () => {
        const state = (await inVm(`systemctl show ${unit} -p ActiveState --value`)).stdout.trim();
        return state !== 'active' && (await inVm(dirs.map((d) => `! test -e ${d}`).join(' && '))).code === 0;
      }, `${unit} stopped and its cgroup directories gone`, 60_000, 250);
    }
    console.info(`[qos-systemd-vm] three pod slices gone ${Date.now() - t0} ms after the manifests were removed`);
    // The QoS parents stay, as the kubelet keeps them.
    expect((await inVmOk('systemctl show kubepods-burstable.slice -p ActiveState --value')).trim()).toBe('active');
  });
});
