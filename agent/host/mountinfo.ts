// /proc/self/mountinfo, parsed (proc(5)). Pure: the mount adapter (host/mounts.ts) reads
// the file; this says which mount points lie at or below a path and in which order to unmount
// them, for the subPath bind targets and for a mount-safe recursive delete.
import { pathWithinBase } from '../core/paths.js';

/**
 * The mount points of a mountinfo text, one entry per mount (a path mounted over twice is
 * listed twice), in the file's order (parents before the mounts made on top of them).
 */
export function parseMountPoints(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    const fields = line.split(' ');
    const mountPoint = fields[4];
    if (mountPoint !== undefined && mountPoint !== '') out.push(unescapeOctal(mountPoint));
  }
  return out;
}

/** The kernel writes space, tab, newline and backslash in paths as \040, \011, \012, \134. */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Mount points at or below `root`, in the order to unmount them: deepest first, and for a path
 * mounted several times, once per mount (the top one goes first, then the one below it).
 */
export function mountsToUnmount(mountPoints: readonly string[], root: string): string[] {
  const below = mountPoints.map((path, order) => ({ path, order })).filter((m) => pathWithinBase(m.path, root));
  below.sort((a, b) => depth(b.path) - depth(a.path) || b.order - a.order);
  return below.map((m) => m.path);
}

function depth(path: string): number {
  return path.split('/').filter((p) => p !== '').length;
}

/**
 * The mount `path` lies on (the longest mount point at or above it, the last one mounted when
 * a path is mounted over) and whether it propagates as shared (an optional field `shared:N`):
 * mount-utils findMountInfo / isShared, which kubelet's MakeRShared checks for its root dir.
 */
export function mountPropagation(text: string, path: string): { mountPoint: string; shared: boolean } | undefined {
  let best: { mountPoint: string; shared: boolean } | undefined;
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const raw = fields[4];
    if (raw === undefined || raw === '') continue;
    const mountPoint = unescapeOctal(raw);
    if (!pathWithinBase(path, mountPoint)) continue;
    if (best !== undefined && mountPoint.length < best.mountPoint.length) continue;
    // Optional fields run from the 7th field up to the "-" separator.
    const sep = fields.indexOf('-', 6);
    const optional = fields.slice(6, sep === -1 ? undefined : sep);
    best = { mountPoint, shared: optional.some((f) => f.startsWith('shared:')) };
  }
  return best;
}
