// Manifest trust, after sshd's StrictModes: whoever can write a manifest decides what runs as
// root on this host, so a manifest (or the manifest directory) that someone other than root or
// the agent's own user could have written is refused. Pure: callers pass what stat() returned
// (for a symlink, its target's metadata, since that is what gets read).

/** What the check needs from a stat() result. */
export interface TrustSubject {
  readonly kind: 'file' | 'directory';
  /** The path the agent reads (the manifest file or the manifest directory). */
  readonly path: string;
  /** Where `path` leads when it is a symlink; its mode and owner are the ones checked. */
  readonly symlinkTarget?: string;
  readonly mode: number;
  readonly uid: number;
}

export type TrustVerdict = { readonly ok: true } | { readonly ok: false; readonly problem: string };

export const ALLOW_INSECURE_FLAG = '--allow-insecure-manifests';

const ROOT_UID = 0;
const GROUP_OTHER_WRITE = 0o022;

/** Root and the agent's own user may own manifests; no one else may be able to write them. */
export function checkManifestTrust(subject: TrustSubject, agentUid: number): TrustVerdict {
  const writable = (subject.mode & GROUP_OTHER_WRITE) !== 0;
  const foreignOwner = subject.uid !== ROOT_UID && subject.uid !== agentUid;
  if (!writable && !foreignOwner) return { ok: true };

  const checked = subject.symlinkTarget ?? subject.path;
  const what = subject.kind === 'directory' ? 'manifest directory' : 'manifest';
  const via = subject.symlinkTarget === undefined ? '' : ` (a symlink to ${subject.symlinkTarget})`;
  const faults: string[] = [];
  const fixes: string[] = [];
  if (foreignOwner) {
    faults.push(`is owned by uid ${subject.uid}, not root${agentUid === ROOT_UID ? '' : ` or the agent's user (uid ${agentUid})`}`);
    fixes.push(`chown root ${checked}`);
  }
  if (writable) {
    faults.push(`is writable by ${whoCanWrite(subject.mode)} (mode ${octal(subject.mode)})`);
    fixes.push(`chmod go-w ${checked}`);
  }
  const refused = subject.kind === 'directory' ? 'refusing every manifest in it' : 'refusing it';
  return {
    ok: false,
    problem: `${what} ${subject.path}${via} ${faults.join(' and ')}; ${refused}. Fix: ${fixes.join(' && ')}, or run with ${ALLOW_INSECURE_FLAG}`,
  };
}

function whoCanWrite(mode: number): string {
  const group = (mode & 0o020) !== 0;
  const others = (mode & 0o002) !== 0;
  return group && others ? 'group/others' : group ? 'group' : 'others';
}

/** Permission bits as `ls -l`'s numeric form: 0664, 1777. */
function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}
