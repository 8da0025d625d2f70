// Runs the built `nodelet run` as a child process, as a user (or systemd) would, so tests can
// kill -9 it and start it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { AGENT_NODE_FLAGS } from '../../agent/cli/node-flags.js';
import { NodeHostFs } from '../../agent/host/host-fs.js';

const BIN = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'cli', 'bin.js');

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  kill9(): Promise<void>;
  stop(): Promise<void>;
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** The agent's pino JSON lines as they arrive (a line that is not JSON becomes `{ msg }`). */
export function collectLogLines(stdout: NodeJS.ReadableStream | null): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  stdout?.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  return lines;
}

/**
 * The test's own /var/log/pods and /var/log/containers beside its state dir (`<state>-log/...`),
 * unless the test names them, so no test writes to the host's /var/log.
 */
function withTestLogDirs(args: readonly string[]): readonly string[] {
  const state = args[args.indexOf('--state-dir') + 1];
  if (!args.includes('--state-dir') || state === undefined) return args;
  const extra: string[] = [];
  if (!args.includes('--pod-logs-dir')) extra.push('--pod-logs-dir', `${state}-log/pods`);
  if (!args.includes('--container-logs-dir')) extra.push('--container-logs-dir', `${state}-log/containers`);
  return [...args, ...extra];
}

/**
 * Removes a test's temp root after its agents: mount-safe (HostFs.removeTree), since an agent
 * bind-mounts its kubelet root dir onto itself (MakeRShared) and a plain rm stops at it (EBUSY).
 */
export function removeAgentRoot(root: string): Promise<void> {
  return new NodeHostFs().removeTree(root);
}

/**
 * A test agent never uses the host's /var/lib/kubelet: without --root-dir its kubelet root is
 * its state directory (pods/ and the plugin directories in the test's temp dir).
 */
export function withTestRootDir(args: readonly string[]): string[] {
  if (args.includes('--root-dir')) return [...args];
  const i = args.indexOf('--state-dir');
  const state = i >= 0 ? args[i + 1] : undefined;
  return state === undefined ? [...args] : [...args, '--root-dir', state];
}

/** `nofile`: the agent's descriptor limit (soft and hard, so Node cannot raise it), set by the shell that execs it. */
export function spawnAgent(args: readonly string[], env: NodeJS.ProcessEnv = process.env, opts: { nofile?: number } = {}): AgentProcess {
  const argv = [process.execPath, ...AGENT_NODE_FLAGS, BIN, 'run', ...withTestLogDirs(withTestRootDir(args))];
  const child =
    opts.nofile === undefined
      ? spawn(process.execPath, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `ulimit -n ${opts.nofile} && exec "$@"`, 'sh', ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = collectLogLines(child.stdout);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    lines,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    waitForLog: async (msg, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find((l) => l.msg === msg);
        if (hit) return hit;
        if (child.exitCode !== null) throw new Error(`agent exited (${child.exitCode}) before logging "${msg}": ${stderr}`);
        if (Date.now() > deadline) throw new Error(`agent did not log "${msg}" within ${timeoutMs} ms; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
