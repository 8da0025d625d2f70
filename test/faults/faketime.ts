// libfaketime (Debian package `faketime`) for the clock-step fault scenario: found where dpkg
// put it, installed with apt when missing (idempotent; needs root, as CI runs the tests).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const APT = ['-y', '-q', '-o', 'DPkg::Lock::Timeout=300', 'install', '--no-install-recommends', 'faketime'];

async function installedLibrary(): Promise<string | undefined> {
  try {
    const { stdout } = await run('dpkg', ['-L', 'libfaketime']);
    return stdout.split('\n').find((p) => p.endsWith('/libfaketime.so.1'));
  } catch {
    return undefined;
  }
}

/** The path of libfaketime.so.1; installs the `faketime` package first when it is missing. */
export async function ensureLibfaketime(): Promise<string> {
  const found = await installedLibrary();
  if (found) return found;
  if (process.getuid?.() !== 0) throw new Error('libfaketime is missing and installing it needs root: apt-get install faketime');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', APT, { env, timeout: 600_000 });
  } catch {
    // A fresh image has no package lists yet.
    await run('apt-get', ['-q', 'update'], { env, timeout: 600_000 });
    await run('apt-get', APT, { env, timeout: 600_000 });
  }
  const installed = await installedLibrary();
  if (!installed) throw new Error('apt-get installed faketime but no libfaketime.so.1 was found');
  return installed;
}

/**
 * The environment that runs a process under libfaketime with its wall clock read from
 * `timestampFile` on every call (so the test can step it at run time) and the monotonic
 * clock left alone, as a wall-clock step by an operator or NTP would.
 */
export function faketimeEnv(library: string, timestampFile: string): Record<string, string> {
  return { LD_PRELOAD: library, FAKETIME_TIMESTAMP_FILE: timestampFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}
