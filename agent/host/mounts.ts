// Mounting and unmounting through util-linux's mount(8)/umount(8), as kubelet's mount-utils
// does: Node.js has no mount(2). These run in the agent's mount namespace, which must be
// dockerd's (systemd/nodelet.service sets no PrivateMounts/PrivateTmp/ProtectSystem), and
// need the @mount system calls the unit allows for that reason.
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { mountPropagation, mountsToUnmount, parseMountPoints } from './mountinfo.js';

/** The mount points of the agent's mount namespace, from /proc/self/mountinfo. */
export async function readMountPoints(): Promise<string[]> {
  return parseMountPoints(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Runs a command to completion (30 s at most); the error carries its stderr. Also systemctl for the QoS slices. */
export function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const text = stderr.trim();
      reject(new Error(`${command} ${args.join(' ')}: ${text !== '' ? text : err.message}`));
    });
  });
}

/**
 * `mount --no-canonicalize --bind <source> <target>`. --no-canonicalize keeps mount(8) from
 * resolving `source` itself: a `/proc/<pid>/fd/<n>` source must reach mount(2) as written, so
 * that the kernel binds the file that descriptor holds.
 */
export function bindMount(source: string, target: string): Promise<void> {
  return run('mount', ['--no-canonicalize', '--bind', source, target]);
}

/**
 * Unmounts the top mount at `target`. A busy mount is detached lazily: it disappears from the
 * tree at once (so nothing can reach the bound data through `target` any more) and is freed
 * when its last user goes.
 */
export async function unmount(target: string): Promise<void> {
  try {
    await run('umount', ['--no-canonicalize', target]);
  } catch {
    await run('umount', ['--no-canonicalize', '--lazy', target]);
  }
}

/**
 * Unmounts every mount at or below `root` (an absolute path without symlinks), deepest first;
 * returns the mount points still there afterwards (none when all went).
 */
export async function unmountBelow(root: string): Promise<string[]> {
  for (const path of mountsToUnmount(await readMountPoints(), root)) {
    await unmount(path).catch(() => undefined);
  }
  return mountsToUnmount(await readMountPoints(), root);
}

/**
 * kubelet's MakeRShared for its root directory (mount-utils DoMakeRShared): unless `path` is
 * already on a shared mount, bind-mount it onto itself and make that mount rshared, so volumes
 * below it can be mounted into containers with HostToContainer or Bidirectional propagation
 * (Docker refuses those on a private mount: "is mounted on / but it is not a shared or slave
 * mount"). Returns whether it mounted.
 */
export async function makeRShared(path: string): Promise<boolean> {
  const resolved = await realpath(path);
  const mount = mountPropagation(await readFile('/proc/self/mountinfo', 'utf8'), resolved);
  if (mount?.shared === true) return false;
  await run('mount', ['--no-canonicalize', '--bind', resolved, resolved]);
  await run('mount', ['--make-rshared', resolved]);
  return true;
}
