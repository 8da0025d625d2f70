// Manifest trust, after sshd's StrictModes: whoever can write a manifest decides what runs as
// root on this host, so a manifest (or the manifest directory) that someone other than root or
// the agent's own user could have written is refused, and so is one whose path crosses a
// directory someone else could change (below). Pure: callers pass what fstat()/lstat() returned
// (for a symlinked manifest, the opened target's metadata, since that is what gets read); the
// walk and the read are in path-walk.ts and secure-read.ts.

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
  const foreignOwner = !isTrustedOwner(subject.uid, agentUid);
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

// ---- directories on a manifest's path ----
//
// Checking the file alone is not enough: whoever can rename entries in any directory on the way
// to it (or to a symlink's target) can swap another file in between the check and the read. So
// every directory that holds a component of the resolved path, up to `/`, must be trusted too,
// as sshd's StrictModes (secure_path) demands of the directories above authorized_keys.

/** What the walk needs from an lstat() result of a directory or an entry on the path. */
export interface PathEntry {
  readonly path: string;
  readonly mode: number;
  readonly uid: number;
}

const STICKY = 0o1000;

/**
 * `trusted`: only root or the agent's user can change its entries. `sticky`: others can add
 * entries but, the directory being root's and sticky (/tmp), can rename or remove only their
 * own, so an entry owned by root or the agent's user is safe in it. `untrusted`: anything else.
 */
export function checkPathDirectory(dir: PathEntry, agentUid: number): 'trusted' | 'sticky' | 'untrusted' {
  if (!isTrustedOwner(dir.uid, agentUid)) return 'untrusted';
  if ((dir.mode & GROUP_OTHER_WRITE) === 0) return 'trusted';
  return dir.uid === ROOT_UID && (dir.mode & STICKY) !== 0 ? 'sticky' : 'untrusted';
}

export function isTrustedOwner(uid: number, agentUid: number): boolean {
  return uid === ROOT_UID || uid === agentUid;
}

/** Why a walk stopped: a directory on the path, or an entry of someone else in a sticky one. */
export type PathFault =
  | { readonly kind: 'directory'; readonly dir: PathEntry }
  | { readonly kind: 'sticky-entry'; readonly entry: PathEntry; readonly dir: string };

/** The refusal for a manifest (or the manifest directory) whose path crosses `fault`. */
export function describePathFault(subject: Pick<TrustSubject, 'kind' | 'path' | 'symlinkTarget'>, fault: PathFault, agentUid: number): string {
  const what = subject.kind === 'directory' ? 'manifest directory' : 'manifest';
  const via = subject.symlinkTarget === undefined ? '' : ` (a symlink to ${subject.symlinkTarget})`;
  const owners = `root${agentUid === ROOT_UID ? '' : ` or the agent's user (uid ${agentUid})`}`;
  const refused = subject.kind === 'directory' ? 'refusing every manifest in it' : 'refusing it';
  let problem: string;
  let fixes: string[];
  if (fault.kind === 'directory') {
    const d = fault.dir;
    const faults: string[] = [];
    fixes = [];
    if (!isTrustedOwner(d.uid, agentUid)) {
      faults.push(`is owned by uid ${d.uid}, not ${owners}`);
      fixes.push(`chown root ${d.path}`);
    }
    if ((d.mode & GROUP_OTHER_WRITE) !== 0) {
      faults.push(`is writable by ${whoCanWrite(d.mode)} (mode ${octal(d.mode)})`);
      fixes.push(`chmod go-w ${d.path}`);
    }
    problem = `directory ${d.path} on its path ${faults.join(' and ')}, so someone else could swap what is read`;
    fixes = [fixes.join(' && ')];
  } else {
    const e = fault.entry;
    problem = `${e.path} on its path is owned by uid ${e.uid}, not ${owners}, in the sticky directory ${fault.dir}, so its owner could replace it`;
    fixes = [`chown -h root ${e.path}`];
  }
  return `${what} ${subject.path}${via}: ${problem}; ${refused}. Fix: ${fixes.join('')}, or keep manifests in directories only root can write, or run with ${ALLOW_INSECURE_FLAG}`;
}
