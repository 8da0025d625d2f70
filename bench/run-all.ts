// `npm run bench`: every figure of the benchmark suite in one run, each beside its floor, then
// bench/RESULTS.md. A figure that fails is recorded as failed; the others still run.
// Expects DOCKER_HOST to name the harness engine (npm run bench sets it up first).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCrashRecoveryBench } from './crash-recovery.js';
import { DOCKER_HOST, docker } from './fleet.js';
import { measureIdle, runIdleCostBench, startFleet } from './idle-cost.js';
import { runPodmanBench } from './podman.js';
import { measureRestart } from './restart.js';
import { describeMachine, renderResults, type RunFigures, type ValidateFigures } from './results.js';
import { runStartupBench } from './startup.js';

const run = promisify(execFile);
// dist/bench → the checkout's bench/ directory, where RESULTS.md is kept.
const SOURCE_DIR = join(import.meta.dirname, '..', '..', 'bench');
const OUTPUT = process.env.BENCH_RESULTS ?? join(SOURCE_DIR, 'RESULTS.md');

function log(msg: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/** The 1-minute load average when each figure started: other work on the machine moves the figures. */
const loads: [string, number][] = [];

async function attempt<T>(name: string, fn: () => Promise<T>): Promise<T | Error> {
  loads.push([name, loadavg()[0] ?? 0]);
  log(`${name}... (load ${(loadavg()[0] ?? 0).toFixed(1)})`);
  const t0 = performance.now();
  try {
    const r = await fn();
    log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    log(`${name} FAILED: ${e.message}`);
    return e;
  }
}

/** bench/validate-throughput.ts is another module's; it runs as a child and its output is parsed. */
async function validateThroughput(): Promise<ValidateFigures> {
  const script = join(import.meta.dirname, 'validate-throughput.js');
  const { stdout } = await run(process.execPath, [script, '--seconds', '2'], { cwd: join(import.meta.dirname, '..', '..'), timeout: 300_000 });
  const rate = (label: string): number => {
    const line = stdout.split('\n').find((l) => l.includes(label));
    const m = line ? /([\d,]+)\s+manifests\/s/.exec(line) : null;
    if (!m?.[1]) throw new Error(`no "${label}" rate in validate-throughput output:\n${stdout}`);
    return Number(m[1].replace(/,/g, ''));
  };
  return { endToEnd: rate('end to end'), decodeOnly: rate('decode only'), raw: stdout };
}

async function main(): Promise<void> {
  const started = performance.now();
  const version = await docker.version();
  const machine = describeMachine(version.Version, DOCKER_HOST);
  log(`${machine.cpu} x${machine.cores}, Docker ${machine.docker}, Node ${machine.node}`);

  const validate = await attempt('6. validation throughput', validateThroughput);
  const startup = await attempt('1-2. startup and burst', runStartupBench);
  const crash = await attempt('3. crash recovery', () => runCrashRecoveryBench());
  const fleet = await attempt('50 pods for idle cost and restart', () => startFleet());
  let idle: RunFigures['idle'];
  let restart: RunFigures['restart'];
  if (fleet instanceof Error) idle = restart = fleet;
  else {
    try {
      idle = await attempt('4. idle cost (60 s)', () => measureIdle(fleet));
      restart = await attempt('5. agent restart', () => measureRestart(fleet));
    } finally {
      await fleet.close().catch((err: unknown) => log(`removing the 50 pods failed: ${String(err)}`));
    }
  }
  const idleEndpoint = await attempt('4d. idle cost, kubelet endpoint on (50 pods, 60 s)', () => runIdleCostBench({ endpoint: true }));
  const podman = await attempt('7. podman kube play', runPodmanBench);

  const findingsFile = join(SOURCE_DIR, 'FINDINGS.md');
  const figures: RunFigures = {
    machine,
    startup,
    crash,
    idle,
    idleEndpoint,
    restart,
    validate,
    podman,
    fleetStartMs: fleet instanceof Error ? undefined : fleet.startMs,
    durationMs: performance.now() - started,
    loads,
    findings: existsSync(findingsFile) ? readFileSync(findingsFile, 'utf8') : undefined,
  };
  const md = renderResults(figures);
  await writeFile(OUTPUT, md);
  log(`wrote ${OUTPUT}`);
  console.log(md);
}

await main();
