// What the tests that boot the containerized systemd machine of test/vm share (systemd-vm and
// shutdown-vm in test/e2e): whether they can run here, and the `docker create` flags that let
// systemd and a nested dockerd run (test/vm/README.md, "Booting"), and how they run commands on
// the host and in the machine.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Why the machine cannot be booted here, or undefined when it can. */
export function vmSkipReason(): string | undefined {
  // Opt-out for a developer's machine: the first run installs debootstrap and writes a
  // ~400 MB root filesystem cache (see the README's Quick start). CI never sets it.
  if (process.env.NODELET_VM_TEST === '0') return 'NODELET_VM_TEST=0';
  if (process.getuid?.() !== 0) return 'needs root (debootstrap and a systemd container)';
  if (!process.env.DOCKER_HOST) return 'no Docker Engine (DOCKER_HOST is unset; run through the integration project)';
  return undefined;
}

/** `docker create` flags of the machine; no host cgroup tree is mounted in. */
export const VM_CREATE_FLAGS: readonly string[] = [
  '--stop-signal', 'SIGRTMIN+3',
  '--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE',
  '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined',
  '--cgroupns=private', '--network', 'none',
  '--tmpfs', '/run', '--tmpfs', '/run/lock', '--tmpfs', '/var/lib/docker:exec',
];

const pexec = promisify(execFile);

/** stdout of a host command; throws with its stderr on failure. */
export async function hostRun(cmd: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await pexec(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** A bash script in the machine `machine`: exit code and output, never throws. */
export async function inMachine(machine: string, script: string, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await pexec('docker', ['exec', machine, 'bash', '-c', script], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/** The same, its stdout; throws when the script fails. */
export async function inMachineOk(machine: string, script: string, timeoutMs?: number): Promise<string> {
  const r = await inMachine(machine, script, timeoutMs);
  if (r.code !== 0) throw new Error(`in the machine: ${script}\nexit ${r.code}: ${r.stderr}`);
  return r.stdout;
}
