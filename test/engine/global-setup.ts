// vitest globalSetup of the integration project: makes a real Docker Engine available
// (test/engine/engine.sh up), points DOCKER_HOST at it for the test workers, and probes once
// whether privileged containers can start. Teardown releases this run's lease on a private
// engine; engine.sh stops it only when a test run started it and no other run still uses it,
// so an engine someone started by hand, or their own engine, is never stopped.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { PRIVILEGED_ENV, PRIVILEGED_REASON_ENV, probePrivileged, type PrivilegedSupport } from '../helpers/docker-engine.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dockerHost: string;
    privileged: PrivilegedSupport;
  }
}

const ENGINE_SCRIPT = fileURLToPath(new URL('./engine.sh', import.meta.url));

/** Runs engine.sh with its stderr shown to the user; resolves with its stdout. */
function runEngineScript(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [ENGINE_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(new Error(`bash ${ENGINE_SCRIPT} ${args.join(' ')} failed (${signal ?? `exit ${String(code)}`}); see its output above`));
    });
  });
}

/** engine.sh prints `export KEY='value'` lines. */
function parseExports(stdout: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^export ([A-Z_]+)='([^']*)'$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) vars.set(match[1], match[2]);
  }
  return vars;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const lease = String(process.pid);
  const vars = parseExports(await runEngineScript(['up', '--lease', lease]));
  const dockerHost = vars.get('DOCKER_HOST');
  if (!dockerHost) throw new Error(`engine.sh up printed no DOCKER_HOST`);
  const kind = vars.get('NODELET_ENGINE_KIND') ?? 'external';
  process.env.DOCKER_HOST = dockerHost;
  process.env.NODELET_ENGINE_KIND = kind;
  // The run's lease, for `engine.sh restart --lease` (test/e2e/agent-restart.test.ts).
  process.env.NODELET_ENGINE_LEASE = lease;

  const privileged = await probePrivileged();
  process.env[PRIVILEGED_ENV] = privileged.ok ? '1' : '0';
  if (privileged.reason !== undefined) {
    process.env[PRIVILEGED_REASON_ENV] = privileged.reason;
    console.warn(`[engine] tests that need privileged containers are skipped: ${privileged.reason}`);
  }

  project.provide('dockerHost', dockerHost);
  project.provide('privileged', privileged);

  return async () => {
    if (kind === 'private') await runEngineScript(['release', lease]);
  };
}
