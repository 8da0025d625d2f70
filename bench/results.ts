// Renders bench/RESULTS.md from one run's figures: the machine, a table of every figure beside
// its floor (ratio, target, met?), then the raw samples and the evidence behind each figure.
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { CrashRecoveryResult } from './crash-recovery.js';
import type { IdleCostResult, ProcessCost } from './idle-cost.js';
import type { PodmanResult } from './podman.js';
import type { RestartResult } from './restart.js';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly kernel: string;
  readonly docker: string;
  readonly dockerHost: string;
  readonly node: string;
  readonly date: string;
  readonly loadBefore: string;
}

export function describeMachine(dockerVersion: string, dockerHost: string): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: release(),
    docker: dockerVersion,
    dockerHost,
    node: process.version,
    date: new Date().toISOString(),
    loadBefore: loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

export interface StartupFigures {
  readonly single: { readonly agent: number; readonly floor: number };
  readonly burst: { readonly agent: number; readonly sequential: number; readonly parallel: number };
}

export interface ValidateFigures {
  readonly endToEnd: number;
  readonly decodeOnly: number;
  readonly raw: string;
}

/** Each figure, or the error that stopped it. */
export interface RunFigures {
  readonly machine: Machine;
  readonly startup: StartupFigures | Error;
  readonly crash: CrashRecoveryResult | Error;
  readonly idle: IdleCostResult | Error;
  /** Figure 4 again with the kubelet endpoint on (absent from older runs). */
  readonly idleEndpoint?: IdleCostResult | Error;
  readonly restart: RestartResult | Error;
  readonly validate: ValidateFigures | Error;
  readonly podman: PodmanResult | Error;
  readonly fleetStartMs?: number;
  readonly durationMs: number;
  /** 1-minute load average as each figure started. */
  readonly loads?: readonly (readonly [string, number])[];
  /** Hand-written findings (bench/FINDINGS.md), appended verbatim. */
  readonly findings?: string;
}

interface Row {
  readonly figure: string;
  readonly nodelet: string;
  readonly floor: string;
  readonly ratio: string;
  readonly target: string;
  readonly met: string;
}

const ms = (x: number): string => `${x.toFixed(0)} ms`;
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '—');
const yes = (ok: boolean): string => (ok ? 'yes' : '**no**');
const failed = (figure: string, err: Error): Row => ({ figure, nodelet: `failed: ${err.message.split('\n')[0] ?? ''}`, floor: '—', ratio: '—', target: '—', met: '**no**' });

/** Only the periodic relist: GET /containers/json, at most once per 10 s resync period (+1 for the window edge). */
function onlyRelist(c: ProcessCost, windowMs: number): boolean {
  const keys = Object.keys(c.requests);
  const relists = c.requests['GET /containers/json'] ?? 0;
  return keys.every((k) => k === 'GET /containers/json') && relists <= Math.ceil(windowMs / 10_000) + 1;
}

function rows(f: RunFigures): Row[] {
  const out: Row[] = [];
  if (f.startup instanceof Error) out.push(failed('1. Startup, one pod', f.startup), failed('2. Burst, 30 pods', f.startup));
  else {
    const s = f.startup;
    out.push({ figure: '1. Startup, one pod (1 init + 1 app), median', nodelet: ms(s.single.agent), floor: ms(s.single.floor), ratio: ratio(s.single.agent, s.single.floor), target: '<= 1.15x', met: yes(s.single.agent / s.single.floor <= 1.15) });
    out.push({ figure: '2. Burst, 30 pods at once (parallel floor)', nodelet: ms(s.burst.agent), floor: ms(s.burst.parallel), ratio: ratio(s.burst.agent, s.burst.parallel), target: '<= 1.15x', met: yes(s.burst.agent / s.burst.parallel <= 1.15) });
  }
  if (f.crash instanceof Error) out.push(failed('3. Crash recovery', f.crash));
  else out.push({ figure: '3. Crash recovery, first restart, median', nodelet: ms(f.crash.agent), floor: ms(f.crash.floor), ratio: ratio(f.crash.agent, f.crash.floor), target: '<= 1.3x', met: yes(f.crash.agent / f.crash.floor <= 1.3) });
  if (f.idle instanceof Error) out.push(failed('4. Idle cost', f.idle));
  else {
    const { agent: a, floor: b, pods, windowMs } = f.idle;
    out.push({ figure: `4a. Idle CPU, ${pods} pods, ${windowMs / 1000} s`, nodelet: pct(a.cpuShare), floor: pct(b.cpuShare), ratio: ratio(a.cpuShare, b.cpuShare), target: '< 1% of a core', met: yes(a.cpuShare < 0.01) });
    out.push({ figure: `4b. Idle RSS (max), ${pods} pods`, nodelet: mb(a.rssBytesMax), floor: mb(b.rssBytesMax), ratio: ratio(a.rssBytesMax, b.rssBytesMax), target: '< 100 MB', met: yes(a.rssBytesMax < 100e6) });
    out.push({ figure: `4c. Idle Docker API requests/min, ${pods} pods`, nodelet: a.requestsPerMinute.toFixed(1), floor: b.requestsPerMinute.toFixed(1), ratio: ratio(a.requestsPerMinute, b.requestsPerMinute), target: 'only the periodic relist', met: yes(onlyRelist(a, windowMs)) });
  }
  if (f.idleEndpoint instanceof Error) out.push(failed('4d. Idle cost, kubelet endpoint on', f.idleEndpoint));
  else if (f.idleEndpoint && !(f.idle instanceof Error)) {
    // Beside figure 4's agent (endpoint off): the issue's bound is +5 MB RSS and +0.1% CPU.
    const on = f.idleEndpoint.agent;
    const off = f.idle.agent;
    out.push({ figure: `4d. Idle CPU, kubelet endpoint on (floor: 4a's nodelet)`, nodelet: pct(on.cpuShare), floor: pct(off.cpuShare), ratio: ratio(on.cpuShare, off.cpuShare), target: '<= 4a + 0.1%', met: yes(on.cpuShare - off.cpuShare <= 0.001) });
    out.push({ figure: `4e. Idle RSS (max), kubelet endpoint on (floor: 4b's nodelet)`, nodelet: mb(on.rssBytesMax), floor: mb(off.rssBytesMax), ratio: ratio(on.rssBytesMax, off.rssBytesMax), target: '<= 4b + 5 MB', met: yes(on.rssBytesMax - off.rssBytesMax <= 5e6) });
  }
  if (f.restart instanceof Error) out.push(failed('5. Agent restart', f.restart));
  else {
    const r = f.restart;
    out.push({ figure: `5a. Agent restart, ${r.pods} pods: spawn → all Running, median`, nodelet: ms(r.agent), floor: ms(r.floor), ratio: ratio(r.agent, r.floor), target: '< 2 s', met: yes(r.agent < 2000) });
    out.push({ figure: `5b. Containers restarted by ${r.agentSamples.length} agent restarts`, nodelet: String(r.containersRestarted), floor: '0', ratio: '—', target: '0', met: yes(r.containersRestarted === 0) });
  }
  if (f.validate instanceof Error) out.push(failed('6. Validation throughput', f.validate));
  else {
    const v = f.validate;
    out.push({ figure: '6. Validation throughput, one core (floor: YAML decode only)', nodelet: `${Math.round(v.endToEnd).toLocaleString('en-US')}/s`, floor: `${Math.round(v.decodeOnly).toLocaleString('en-US')}/s`, ratio: `${(v.decodeOnly / v.endToEnd).toFixed(2)}x time`, target: '— (none set)', met: '—' });
  }
  return out;
}

function table(rs: readonly Row[]): string {
  const head = '| Figure | nodelet | floor | ratio | target | met? |\n|---|---:|---:|---:|---|---|';
  return [head, ...rs.map((r) => `| ${r.figure} | ${r.nodelet} | ${r.floor} | ${r.ratio} | ${r.target} | ${r.met} |`)].join('\n');
}

const samples = (xs: readonly number[]): string => xs.map((x) => x.toFixed(0)).join(', ');

function requestTable(a: ProcessCost, b: ProcessCost): string {
  const keys = [...new Set([...Object.keys(a.requests), ...Object.keys(b.requests)])].sort();
  if (keys.length === 0) return '(no requests in the window)';
  return ['| request | nodelet | floor |', '|---|---:|---:|', ...keys.map((k) => `| \`${k}\` | ${a.requests[k] ?? 0} | ${b.requests[k] ?? 0} |`)].join('\n');
}

function raw(f: RunFigures): string {
  const parts: string[] = [];
  if (!(f.startup instanceof Error)) {
    const s = f.startup;
    parts.push(`### 1–2. Startup (bench/startup.ts)

Manifest written → the pod's app container \`start\` event. Floor: the same Docker calls (pause sandbox, init container run to completion, app container), made with dockerode.

- one pod: nodelet median ${ms(s.single.agent)}, floor median ${ms(s.single.floor)}
- 30 pods at once: nodelet ${ms(s.burst.agent)}; parallel floor ${ms(s.burst.parallel)}; sequential floor ${ms(s.burst.sequential)}`);
  }
  if (!(f.crash instanceof Error)) {
    const c = f.crash;
    parts.push(`### 3. Crash recovery (bench/crash-recovery.ts)

\`docker kill\` of the app container → its replacement's \`start\` event, each on a fresh pod (a first restart). Floor: a dockerode reactor that watches the events stream itself and, on the app's \`die\`, creates and starts a replacement joined to the same sandbox.

- nodelet samples (ms): ${samples(c.agentSamples)}
- floor samples (ms): ${samples(c.floorSamples)}`);
  }
  if (!(f.idle instanceof Error)) {
    const i = f.idle;
    parts.push(`### 4. Idle cost (bench/idle-cost.ts)

${i.pods} pods running under \`nodelet run\` (child process, default flags: --resync-period 10s, --file-check-frequency 20s, log level info). After a settle period, one ${i.windowMs / 1000} s window: CPU = Δ(utime+stime) of /proc/<pid>/stat, RSS = VmRSS sampled every second, requests counted by a proxy on the Docker socket (bench/docker-proxy.ts). Floor, over the same window behind its own proxy: a Node process with dockerode that holds the node's events stream and lists the node's containers every 10 s.${f.fleetStartMs !== undefined ? `\n\nThe ${i.pods} pods took ${ms(f.fleetStartMs)} from manifests written to all Running in the API.` : ''}

- nodelet: CPU ${pct(i.agent.cpuShare)} of a core; RSS max ${mb(i.agent.rssBytesMax)}, at the end ${mb(i.agent.rssBytesEnd)}; ${i.agent.requestsPerMinute.toFixed(1)} requests/min
- floor: CPU ${pct(i.floor.cpuShare)} of a core; RSS max ${mb(i.floor.rssBytesMax)}, at the end ${mb(i.floor.rssBytesEnd)}; ${i.floor.requestsPerMinute.toFixed(1)} requests/min

Docker API requests in the window:

${requestTable(i.agent, i.floor)}`);
  }
  if (!(f.restart instanceof Error)) {
    const r = f.restart;
    parts.push(`### 5. Agent restart (bench/restart.ts)

With the ${r.pods} pods above running: SIGTERM, then a fresh \`nodelet run\` with the same flags; timed from spawning it to \`GET /api/v1/pods\` on its socket (polled every 10 ms) reporting every pod Running with all containers running. Containers restarted: containers (sandboxes included) whose ID or StartedAt differs 3 s after that. Floor: a fresh Node process that loads dockerode, lists the node's containers and inspects each, timed from spawn to exit.

- nodelet samples (ms): ${samples(r.agentSamples)}
- floor samples (ms): ${samples(r.floorSamples)}
- Docker API requests by the new agent until all Running (median): ${r.requestsToRunning}`);
  }
  if (!(f.validate instanceof Error)) {
    parts.push(`### 6. Validation throughput (bench/validate-throughput.ts, as a child process)

\`\`\`
${f.validate.raw.trim()}
\`\`\``);
  }
  parts.push(podmanSection(f.podman));
  return parts.join('\n\n');
}

function podmanSection(p: PodmanResult | Error): string {
  const head = '### 7. Peer: `podman kube play` (bench/podman.ts)';
  if (p instanceof Error) return `${head}\n\nFailed: ${p.message}`;
  if (!p.ok) return `${head}\n\nNot measured: ${p.reason}`;
  return `${head}

podman ${p.version}, rootful, busybox:1.37 loaded from the harness engine (\`docker save\` | \`podman load\`), hostNetwork pods with one app container (\`sleep 3600\`). podman: the \`podman kube play\` command's wall time (it returns once the containers started). nodelet, same manifests: manifests written → its API reports every pod Running.

| Peer figure | nodelet | podman kube play | podman / nodelet |
|---|---:|---:|---:|
| 1 pod (median) | ${ms(p.single.nodelet)} | ${ms(p.single.podman)} | ${ratio(p.single.podman, p.single.nodelet)} |
| 30 pods in one file | ${ms(p.burst.nodelet)} | ${ms(p.burst.podman)} | ${ratio(p.burst.podman, p.burst.nodelet)} |
| 1 pod, 1 init + 1 app | — | ${p.withInit.podman !== undefined ? ms(p.withInit.podman) : 'failed'} | — |

- ${p.withInit.note}
${p.notes.map((n) => `- ${n}`).join('\n')}`;
}

export function renderResults(f: RunFigures): string {
  const m = f.machine;
  const errors = Object.entries(f)
    .filter(([, v]) => v instanceof Error)
    .map(([k, v]) => `- ${k}: ${(v as Error).stack ?? (v as Error).message}`);
  return `# nodelet benchmark results

Generated by \`npm run bench\` (bench/run-all.ts) on ${m.date}; the whole run took ${(f.durationMs / 60_000).toFixed(1)} min.
Every figure stands beside its floor, measured in the same run: the same Docker calls made directly with dockerode, with no agent.
Benchmarks, not timed tests: the figures vary from run to run and with the machine's other load.

## Machine

| | |
|---|---|
| CPU | ${m.cpu} |
| Cores | ${m.cores} |
| Memory | ${m.memory} |
| Kernel | ${m.kernel} |
| Docker Engine | ${m.docker} (${m.dockerHost}) |
| Node.js | ${m.node} |
| Load average at start (1/5/15 min) | ${m.loadBefore} |
${(f.loads ?? []).map(([name, l]) => `| 1-min load as "${name}" started | ${l.toFixed(1)} |`).join('\n')}

## Figures

${table(rows(f))}

MB = 10^6 bytes. Ratios are nodelet ÷ floor (for validation: time per manifest, end to end ÷ decode only).
${f.findings ? `\n## Findings\n\n${f.findings.trim()}\n` : ''}
## Raw figures and evidence

${raw(f)}
${errors.length > 0 ? `\n## Errors\n\n${errors.join('\n')}\n` : ''}`;
}
