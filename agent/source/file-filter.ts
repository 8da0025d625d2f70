// Which directory entries the file source reads. Kubelet reads every non-hidden entry; we also
// skip the leftovers editors and package managers drop next to a file, so that saving
// `web.yaml` in vim or upgrading a package never starts a second copy of a pod from
// `web.yaml~` or `web.yaml.dpkg-old`.

/** Suffix patterns (after the dot-file rule) with the reason logged when a name matches. */
const IGNORED_NAME_PATTERNS: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  { pattern: /~$/, reason: 'editor backup file (*~)' },
  { pattern: /\.sw[px]$/, reason: 'editor swap file (*.swp, *.swx)' },
  { pattern: /\.bak$/, reason: 'backup file (*.bak)' },
  { pattern: /\.tmp$/, reason: 'temporary file (*.tmp)' },
  { pattern: /\.orig$/, reason: 'merge leftover (*.orig)' },
  { pattern: /\.dpkg-[^/]*$/, reason: 'package manager leftover (*.dpkg-*)' },
  { pattern: /\.rpm[^/]*$/, reason: 'package manager leftover (*.rpm*)' },
  { pattern: /^#.*#$/, reason: 'editor autosave file (#*#)' },
];

/**
 * Why the entry named `name` (a base name, not a path) is not a manifest, or `undefined`
 * when it must be read. Case-sensitive, like the shell globs users know these by.
 */
export function ignoreReason(name: string): string | undefined {
  if (name === '') return 'empty name';
  if (name.startsWith('.')) return 'hidden file';
  for (const { pattern, reason } of IGNORED_NAME_PATTERNS) {
    if (pattern.test(name)) return reason;
  }
  return undefined;
}

export function isManifestName(name: string): boolean {
  return ignoreReason(name) === undefined;
}
