// Helpers for the DaemonSet integration tests: seed examples copied with their hostPaths moved
// under a temp root, the client commands run through commander against the agent's socket,
// and views of the daemon pods the agent runs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { registerClientCommands } from '../../agent/cli/commands/index.js';
import type { TestAgent } from './agent-harness.js';

const SEEDS = fileURLToPath(new URL('../fixtures/seed-examples/', import.meta.url));

/** A seed example's text with every absolute hostPath `path:` moved under `<root>/host`. */
export async function seedCopy(name: string, root: string, edit: (text: string) => string = (t) => t): Promise<string> {
  const text = await readFile(join(SEEDS, name), 'utf8');
  return edit(text.replace(/^(\s*path:\s*)(\/\S*)/gm, (_m, lead: string, path: string) => `${lead}${join(root, 'host', path)}`));
}

export interface CliRun {
  readonly out: string;
  readonly err: string;
  readonly code: number;
}

/** `nodelet <args>` through commander, against the agent's API socket. */
export async function cli(a: TestAgent, args: readonly string[], opts: { watchIntervalMs?: number } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const sink = (on: (t: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _e, done) {
        on(chunk.toString('utf8'));
        done();
      },
    });
  const program = new Command('nodelet').addOption(new Option('--api-socket <path>')).exitOverride();
  registerClientCommands(program, {
    io: { stdout: sink((t) => (out += t)), stderr: sink((t) => (err += t)) },
    watchIntervalMs: opts.watchIntervalMs ?? 100,
  });
  const saved = process.exitCode;
  process.exitCode = 0;
  // Bounded, so a command that never returns names itself instead of timing the whole test out.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`nodelet ${args.join(' ')}: no answer within 60 s (output so far: ${JSON.stringify(out + err)})`)), 60_000);
  });
  try {
    await Promise.race([program.parseAsync(['--api-socket', a.config.apiSocket, ...args], { from: 'user' }), timeout]);
  } finally {
    clearTimeout(timer);
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = saved;
  return { out, err, code };
}

/** The agent's pods owned by the DaemonSet `name`. */
export function daemonPods(a: TestAgent, name: string): Pod[] {
  return a.running.agent.pods().filter((p) => p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === name));
}

export function isReady(p: Pod | undefined): boolean {
  return p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

export function revisionHash(p: Pod | undefined): string | undefined {
  return p?.metadata?.labels?.["controller-revision-hash"];
}
