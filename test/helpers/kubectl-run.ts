// kubectl as a user runs it, for the streaming tests (exec, attach, port-forward): with its exit
// code and output whatever the code, long-running with its output watched, or in a pty.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { KubeCluster } from './kube-cluster.js';

export interface KubectlRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function exitCode(err: Error | null): number | null {
  if (!err) return 0;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : null;
}

/** kubectl with the admin kubeconfig; resolves with its exit code and output whatever the code. */
export function kubectlRun(cluster: KubeCluster, args: readonly string[], input?: string): Promise<KubectlRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(cluster.binaries.kubectl, [`--kubeconfig=${cluster.adminKubeconfig}`, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: exitCode(err), stdout, stderr, ms: performance.now() - started });
    });
    child.stdin?.end(input ?? '');
  });
}

/** A long-running kubectl whose output (stdout and stderr) is watched for `match`. */
export function kubectlUntil(cluster: KubeCluster, args: readonly string[], match: RegExp): { child: ChildProcess; matched: Promise<RegExpMatchArray>; output: () => string } {
  const child = spawn(cluster.binaries.kubectl, [`--kubeconfig=${cluster.adminKubeconfig}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const matched = new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = out.match(match);
      if (m) resolve(m);
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => reject(new Error(`kubectl ${args.join(' ')} exited (${String(code)}) before ${String(match)}: ${out}`)));
  });
  matched.catch(() => undefined);
  return { child, matched, output: () => out };
}

/** SIGTERM, and the exit awaited. */
export function stopKubectl(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

// python3's pty: the child starts on a 30x100 terminal; once "30 100" is printed the driver
// resizes the pty (the kernel sends kubectl SIGWINCH), so a command can wait for the new size.
const PTY_DRIVER = `
import fcntl, os, pty, struct, sys, termios
def size(fd, r, c): fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))
pid, fd = pty.fork()
if pid == 0:
    size(0, 30, 100)
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
resized = False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not resized and b'30 100' in out:
        resized = True
        size(fd, 50, 120)
sys.stdout.write(out.decode(errors='replace'))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
`;

/** kubectl in a pty of 30x100 rows x columns, resized to 50x120 once "30 100" appears in its output. */
export function kubectlInPty(cluster: KubeCluster, args: readonly string[]): Promise<KubectlRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile('python3', ['-c', PTY_DRIVER, cluster.binaries.kubectl, `--kubeconfig=${cluster.adminKubeconfig}`, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: exitCode(err), stdout, stderr, ms: performance.now() - started });
    });
  });
}
