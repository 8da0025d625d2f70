// Runs a credential program (a docker-credential-* helper or a kubelet credential provider
// plugin) with `input` on stdin and returns its stdout. Thin I/O: no shell, a timeout, and
// stderr kept only for the error (it never carries the secret; stdout does, and is returned).
import { spawn } from 'node:child_process';

export interface ExecResult {
  readonly stdout: string;
}

export class ExecFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(message);
    this.name = 'ExecFailure';
  }
}

const OUTPUT_LIMIT = 1 << 20;

export function execWithStdin(file: string, args: readonly string[], input: string, opts: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= OUTPUT_LIMIT) out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (err.reduce((n, b) => n + b.length, 0) < 64 * 1024) err.push(c);
    });
    child.on('error', (e) => reject(e));
    child.stdin.on('error', () => undefined); // a program that exits without reading stdin
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code === 0) return resolve({ stdout });
      const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ' (timeout)' : ''}` : `exit status ${code}`;
      reject(new ExecFailure(`${file}: ${why}${stderr ? `: ${stderr}` : ''}`, code, stderr, stdout));
    });
    child.stdin.end(input);
  });
}
