// What the tests that boot the containerized systemd machine of test/vm share (systemd-vm and
// shutdown-vm in test/e2e): whether they can run here, and the `docker create` flags that let
// systemd and a nested dockerd run (test/vm/README.md, "Booting").

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
