// Slash-path helpers with Go's semantics (path/filepath), shared by the volume translation,
// the subPath checks and the mount adapter.

/** Go filepath.Clean for absolute and relative slash paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const absolute = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else {
      out.push(part);
    }
  }
  const joined = out.join('/');
  if (absolute) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** mount.PathWithinBase: `path` is `base` or below it (both absolute; compared cleaned). */
export function pathWithinBase(path: string, base: string): boolean {
  const p = cleanPath(path);
  const b = cleanPath(base);
  if (p === b) return true;
  return p.startsWith(b === '/' ? '/' : `${b}/`);
}

/**
 * The components from `base` down to `path` (filepath.Rel split on '/'): [] when they are
 * the same, undefined when `path` is not within `base`.
 */
export function segmentsBelow(path: string, base: string): string[] | undefined {
  if (!pathWithinBase(path, base)) return undefined;
  const p = cleanPath(path);
  const b = cleanPath(base);
  if (p === b) return [];
  return p.slice(b === '/' ? 1 : b.length + 1).split('/');
}
