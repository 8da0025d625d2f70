// Graceful node shutdown end to end (issue 17), in the containerized systemd machine of
// test/vm (systemd as PID 1, systemd-logind, D-Bus, its own dockerd): nodelet installed as the
// systemd service with shutdownGracePeriod 20s and shutdownGracePeriodCriticalPods 8s runs a
// normal pod and a system-node-critical pod, each with a preStop hook and a SIGTERM trap that
// write the time to a hostPath. `systemctl poweroff` inside the machine must then: have logind
// announce PrepareForShutdown and wait for nodelet's delay lock; turn the node NotReady (`node is
// shutting down`); run the normal pod's preStop, SIGTERM it and, since it ignores SIGTERM, kill
// it at its group's 12 s; only then run the critical pod's preStop and SIGTERM; and power off
// once that pod has exited. The hostPath is a host directory bind-mounted into the machine, so
// the times survive it. Times are /proc/uptime readings, which the host, the machine and the
// pods share (one kernel).
//
// The test image masks systemd-logind (no console); a real host runs it, so the test unmasks and
// starts it. Before issue 17, nodelet took no lock: poweroff went straight on, and the pods were
// stopped by dockerd's own shutdown, without preStop hooks and in no order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../helpers/agent-harness.js';
import { TEST_IMAGES } from '../helpers/docker-engine.js';
import { hostRun, inMachine, inMachineOk, VM_CREATE_FLAGS, vmSkipReason } from '../helpers/test-vm.js';

const REPO = join(import.meta.dirname, '..', '..');
const HOST = 'shutdown-vm';
/** Where the pods write, in the machine: a bind mount of a host temp directory. */
const OUT = '/var/lib/shutdown-e2e';


const skipReason = vmSkipReason();
if (skipReason) console.warn(`[shutdown-vm] skipped: ${skipReason}`);

const host = hostRun;

let machine = '';
let work = '';
let out = '';

const inVm = (script: string, timeoutMs?: number): ReturnType<typeof inMachine> => inMachine(machine, script, timeoutMs);
const inVmOk = (script: string, timeoutMs?: number): Promise<string> => inMachineOk(machine, script, timeoutMs);

async function uptime(): Promise<number> {
  return Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
}

/** A pod whose preStop hook and SIGTERM trap write the uptime to <OUT>/<name>-prestop and -term. */
function manifest(name: string, opts: { critical: boolean; onTerm: string }): string {
  const stamp = (what: string): string => `cut -d' ' -f1 /proc/uptime > /out/${name}-${what}`;
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${opts.critical ? 'kube-system' : 'default'}
spec:
${opts.critical ? '  priorityClassName: system-node-critical\n  priority: 2000001000\n' : ''}  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: ${TEST_IMAGES.busybox}
    command: ["sh", "-c", "trap \\"${stamp('term')}; ${opts.onTerm}\\" TERM; ${stamp('started')}; while true; do sleep 0.2; done"]
    lifecycle:
      preStop:
        exec: { command: ["sh", "-c", "${stamp('prestop')}; sleep 1"] }
    volumeMounts:
    - { name: out, mountPath: /out }
  volumes:
  - name: out
    hostPath: { path: ${OUT}, type: Directory }
`;
}

describe.skipIf(skipReason !== undefined)('graceful node shutdown: systemctl poweroff in a systemd machine', () => {
  beforeAll(async () => {
    expect(existsSync(join(REPO, 'dist', 'agent', 'cli', 'bin.js')), 'dist/ is missing: run npm run build').toBe(true);
    work = await mkdtemp(join(tmpdir(), 'nodelet-shutdown-vm-'));
    out = join(work, 'out');
    await host('mkdir', ['-p', out]);
    await chmod(out, 0o777);
    machine = `nodelet-shutdown-vm-${process.pid}`;
    const image = (await host('bash', [join(REPO, 'test', 'vm', 'build-image.sh')], 30 * 60_000)).trim();
    const bundle = join(work, 'nodelet.tar.gz');
    await host('bash', [join(REPO, 'scripts', 'bundle.sh'), bundle]);
    const images = join(work, 'images.tar');
    await host('docker', ['save', '-o', images, TEST_IMAGES.busybox, TEST_IMAGES.pause]);
    // The machine's flags, plus the output directory.
    await host('docker', [
      'create', '--name', machine, '--hostname', HOST, '--label', `io.nodelet.test-vm.owner=${process.pid}`,
      ...VM_CREATE_FLAGS, '--volume', `${out}:${OUT}`,
      image,
    ]);
    await host('docker', ['cp', '-L', process.execPath, `${machine}:/usr/local/bin/node`]);
    await host('docker', ['cp', images, `${machine}:/var/lib/nodelet-vm/images.tar`]);
    await host('docker', ['cp', bundle, `${machine}:/root/nodelet.tar.gz`]);
    await host('docker', ['start', machine]);
    await waitUntil(async () => ['running', 'degraded'].includes((await inVm('systemctl is-system-running')).stdout.trim()), 'systemd booted in the machine', 120_000, 250);
    await waitUntil(async () => (await inVm(`docker image inspect ${TEST_IMAGES.busybox} ${TEST_IMAGES.pause} >/dev/null`)).code === 0, 'test images loaded', 60_000, 250);
    // logind is masked in the test image; every real systemd host runs it.
    await inVmOk('systemctl unmask systemd-logind && systemctl start systemd-logind && busctl get-property org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager InhibitDelayMaxUSec');
    await inVmOk(
      `mkdir -p /etc/nodelet /etc/kubernetes/manifests && printf 'podNetwork: none\\nshutdownGracePeriod: 20s\\nshutdownGracePeriodCriticalPods: 8s\\n' > /etc/nodelet/config.yaml`,
    );
    await inVmOk(`cat > /etc/kubernetes/manifests/web.yaml <<'EOF'\n${manifest('web', { critical: false, onTerm: 'true' })}EOF`);
    await inVmOk(`cat > /etc/kubernetes/manifests/critical.yaml <<'EOF'\n${manifest('critical', { critical: true, onTerm: 'sleep 3; exit 0' })}EOF`);
    const install = await inVm('cd /root && tar -xzf nodelet.tar.gz && /root/nodelet-0.1.0/scripts/install.sh', 240_000);
    expect(install.code, install.stderr).toBe(0);
  }, 40 * 60_000);

  afterAll(async () => {
    if (machine && process.env.NODELET_VM_KEEP !== '1') await host('docker', ['rm', '--force', '--volumes', machine]).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  }, 120_000);

  it('holds a logind delay lock and raised InhibitDelayMaxSec to the 20 s it needs', async () => {
    await waitUntil(async () => (await inVm('journalctl -u nodelet -o cat --no-pager')).stdout.includes('holding a logind delay inhibitor lock'), 'nodelet holding the lock', 60_000, 250);
    const list = await inVmOk('systemd-inhibit --list --no-pager');
    expect(list).toMatch(/kubelet\s+0\s+root\s+\d+\s+systemd-inhibit\s+shutdown\s+Kubelet needs time to handle node shutdown\s+delay/);
    expect((await inVmOk('busctl get-property org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager InhibitDelayMaxUSec')).trim()).toBe('t 20000000');
    expect(await inVmOk('cat /etc/systemd/logind.conf.d/99-kubelet.conf')).toBe('# Kubelet logind override\n[Login]\nInhibitDelayMaxSec=20\n');
    await waitUntil(async () => (await readdir(out)).filter((f) => f.endsWith('-started')).length === 2, 'both pods started', 120_000, 250);
  });

  it('systemctl poweroff: normal pod first (preStop, SIGTERM, killed at 12 s), then the critical pod, then the machine powers off', async () => {
    const t0 = await uptime();
    // logind answers at once: the poweroff itself waits for the delay lock.
    await inVmOk('systemctl poweroff', 30_000);
    const ready = await waitUntil(async () => {
      const r = await inVm('nodelet get node -o json');
      if (r.code !== 0) return undefined;
      type Node = { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
      const doc = JSON.parse(r.stdout) as Node & { items?: Node[] };
      const cond = (doc.items?.[0] ?? doc).status?.conditions?.find((c) => c.type === 'Ready');
      return cond?.status === 'False' ? cond : undefined;
    }, 'the node NotReady while it shuts down', 10_000, 200);
    expect(ready).toMatchObject({ reason: 'KubeletNotReady', message: 'node is shutting down' });
    const web = await waitUntil(async () => {
      const r = await inVm('nodelet get pods -A -o json');
      if (r.code !== 0) return undefined;
      type Pod = { metadata?: { name?: string }; status?: { phase?: string; reason?: string; message?: string; conditions?: { type: string; reason?: string }[] } };
      const pods = (JSON.parse(r.stdout) as { items?: Pod[] }).items ?? [];
      const p = pods.find((x) => x.metadata?.name === `web-${HOST}`);
      return p?.status?.phase === 'Failed' ? p : undefined;
    }, 'web Failed after its group', 20_000, 250);
    expect(web.status).toMatchObject({ reason: 'Terminated', message: 'Pod was terminated in response to imminent node shutdown.' });
    expect(web.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ reason: 'TerminationByKubelet' });
    // The machine goes away once the lock is released and systemd has stopped everything.
    await host('docker', ['wait', machine], 90_000);
    const t1 = await uptime();

    const read = async (f: string): Promise<number> => Number((await readFile(join(out, f), 'utf8')).trim());
    const [webPreStop, webTerm, criticalPreStop, criticalTerm] = await Promise.all(['web-prestop', 'web-term', 'critical-prestop', 'critical-term'].map(read));
    const at = (t: number | undefined): number => Math.round(((t ?? Number.NaN) - t0) * 100) / 100;
    const timings = { webPreStop: at(webPreStop), webTerm: at(webTerm), criticalPreStop: at(criticalPreStop), criticalTerm: at(criticalTerm), poweredOff: at(t1) };
    console.info(`[shutdown-vm] seconds after systemctl poweroff: ${JSON.stringify(timings)}`);
    // The shutdown was noticed at once; the normal pod's preStop ran before its SIGTERM.
    expect(timings.webPreStop).toBeLessThan(3);
    expect(timings.webTerm - timings.webPreStop).toBeGreaterThanOrEqual(0.9);
    // The critical pod waited for the normal group: web ignores SIGTERM, so that is its 12 s.
    expect(timings.criticalPreStop - timings.webPreStop).toBeGreaterThan(11);
    expect(timings.criticalPreStop - timings.webPreStop).toBeLessThan(14);
    expect(timings.criticalTerm - timings.criticalPreStop).toBeGreaterThanOrEqual(0.9);
    // Everything within shutdownGracePeriod (20 s) of the start.
    expect(timings.criticalTerm - timings.webPreStop).toBeLessThan(20);
    // logind waited for the lock: the machine outlived the critical pod's 3 s SIGTERM handler.
    expect(timings.poweredOff).toBeGreaterThan(timings.criticalTerm + 2.5);
  }, 180_000);
});
