// Adapter: systemd-logind over D-Bus, through systemd's own tools run as child processes.
//
// Why not a D-Bus library: logind's Inhibit() returns the lock as a unix file descriptor (D-Bus
// type `h`), and the lock lasts while that descriptor is open. Node.js sockets cannot receive
// descriptors (SCM_RIGHTS), so the pure-JavaScript libraries cannot hold the lock: dbus-next
// (0.10.2, last release 2021) needs the optional native `usocket` addon for it, and
// @homebridge/dbus-native (0.7.x) has no descriptor passing at all. A native addon would have to
// be built for every Node.js version and architecture. systemd ships the tools wherever logind
// runs, so:
//   - the lock is held by `systemd-inhibit --mode=delay` whose child waits on a pipe from
//     nodelet: closing the pipe (or nodelet dying) ends the child, systemd-inhibit exits and
//     closes the descriptor, and logind goes on with the shutdown;
//   - PrepareForShutdown is read from `busctl monitor --json=short` with a match on the sender
//     `org.freedesktop.login1` (the bus delivers only signals from the name's owner, so another
//     local process cannot fake a shutdown; the kubelet's match does not name the sender);
//   - InhibitDelayMaxUSec is read and logind reloaded (KillUnit SIGHUP, as the kubelet) with
//     `busctl get-property` / `busctl call`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePrepareForShutdown, parseUint64Property } from './busctl-output.js';

const LOGIND = ['org.freedesktop.login1', '/org/freedesktop/login1', 'org.freedesktop.login1.Manager'] as const;
/** The kubelet's inhibitor (systemd/inhibit_linux.go InhibitShutdown), shown by `systemd-inhibit --list`. */
export const INHIBIT_WHO = 'kubelet';
export const INHIBIT_WHY = 'Kubelet needs time to handle node shutdown';
/** The kubelet's drop-in: one file whichever of the two agents last ran, never two that disagree. */
export const LOGIND_CONF_DIR = '/etc/systemd/logind.conf.d';
export const LOGIND_CONF_FILE = '99-kubelet.conf';

/** A held delay lock. */
export interface InhibitLock {
  /** Releases the lock: logind goes on once no other delay lock is held. */
  release(): void;
  /** Resolves when the lock is gone, released or lost (systemd-inhibit ended). */
  readonly gone: Promise<void>;
}

/** A running watch of PrepareForShutdown. */
export interface ShutdownWatch {
  stop(): void;
  /** Resolves when the watch ended (stop(), or busctl exited: the bus or logind went away). */
  readonly ended: Promise<string>;
}

/** What the shutdown manager needs of logind (a fake in unit tests). */
export interface LogindPort {
  /** InhibitDelayMaxUSec in microseconds (logind.conf InhibitDelayMaxSec). */
  inhibitDelayMaxUs(): Promise<number>;
  /** Writes the drop-in that raises InhibitDelayMaxSec to `seconds`. */
  overrideInhibitDelay(seconds: number): Promise<void>;
  /** SIGHUP to systemd-logind.service through systemd (KillUnit), so it reads its config again. */
  reload(): Promise<void>;
  /** Takes a delay inhibitor lock for shutdown. */
  inhibit(): Promise<InhibitLock>;
  /** Follows PrepareForShutdown; resolves once the watch is subscribed. */
  watch(onSignal: (shuttingDown: boolean) => void): Promise<ShutdownWatch>;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

function failure(what: string, r: Run): Error {
  return new Error(`${what}: ${r.stderr.trim() || `exit code ${r.code}`}`);
}

export class SystemdLogind implements LogindPort {
  readonly #confDir: string;

  constructor(opts: { confDir?: string } = {}) {
    this.#confDir = opts.confDir ?? LOGIND_CONF_DIR;
  }

  async inhibitDelayMaxUs(): Promise<number> {
    const r = await run('busctl', ['get-property', ...LOGIND, 'InhibitDelayMaxUSec']);
    if (r.code !== 0) throw failure('failed reading InhibitDelayMaxUSec property from logind', r);
    const value = parseUint64Property(r.stdout);
    if (value === undefined) throw new Error(`InhibitDelayMaxUSec from logind is not a uint64 as expected: ${r.stdout.trim()}`);
    return value;
  }

  async overrideInhibitDelay(seconds: number): Promise<void> {
    await mkdir(this.#confDir, { recursive: true, mode: 0o755 });
    // The kubelet's text, byte for byte.
    await writeFile(join(this.#confDir, LOGIND_CONF_FILE), `# Kubelet logind override\n[Login]\nInhibitDelayMaxSec=${seconds}\n`, { mode: 0o644 });
  }

  async reload(): Promise<void> {
    const r = await run('busctl', ['call', 'org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'KillUnit', 'ssi', 'systemd-logind.service', 'all', '1']);
    if (r.code !== 0) throw failure('unable to reload logind conf', r);
  }

  inhibit(): Promise<InhibitLock> {
    // The child says "locked" once systemd-inhibit holds the descriptor (it forks the child only
    // after Inhibit() answered), then waits for the end of its stdin.
    const child = spawn(
      'systemd-inhibit',
      ['--what=shutdown', `--who=${INHIBIT_WHO}`, `--why=${INHIBIT_WHY}`, '--mode=delay', '/bin/sh', '-c', 'echo locked; exec cat >/dev/null'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const gone = exited(child);
    return new Promise((resolve, reject) => {
      let stderr = '';
      let stdout = '';
      child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('failed creating systemd inhibitor: systemd-inhibit did not answer within 10s'));
      }, 10_000);
      child.stdout?.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        if (!stdout.includes('locked')) return;
        clearTimeout(timer);
        resolve({ release: () => child.stdin?.end(), gone: gone.then(() => undefined) });
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`failed creating systemd inhibitor: ${err.message}`));
      });
      void gone.then((code) => {
        clearTimeout(timer);
        if (!stdout.includes('locked')) reject(new Error(`failed creating systemd inhibitor: ${stderr.trim() || `systemd-inhibit exited ${code}`}`));
      });
    });
  }

  watch(onSignal: (shuttingDown: boolean) => void): Promise<ShutdownWatch> {
    const match = `type=signal,sender=${LOGIND[0]},path=${LOGIND[1]},interface=${LOGIND[2]},member=PrepareForShutdown`;
    const child = spawn('busctl', ['monitor', '--json=short', '--match', match], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const ended = exited(child).then((code) => stderr.trim() || `busctl monitor exited ${code}`);
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      buffered += c;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const value = parsePrepareForShutdown(line);
        if (value !== undefined) onSignal(value);
      }
    });
    return new Promise((resolve, reject) => {
      let subscribed = false;
      // busctl says so on stderr once its match is installed.
      child.stderr?.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
        if (!subscribed && stderr.includes('Monitoring bus message stream')) {
          subscribed = true;
          stderr = '';
          resolve({ stop: () => child.kill('SIGTERM'), ended });
        }
      });
      child.on('error', (err) => reject(new Error(`failed to monitor shutdown: ${err.message}`)));
      void ended.then((why) => {
        if (!subscribed) reject(new Error(`failed to monitor shutdown: ${why}`));
      });
    });
  }
}

function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.on('close', (code) => resolve(code ?? -1));
    child.on('error', () => resolve(-1));
  });
}
