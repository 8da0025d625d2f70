// A peer figure: the same kind of hostNetwork pods started by `podman kube play` (rootful, local
// images: busybox exported from the harness engine with `docker save` and `podman load`), timed
// from the command's start to its exit (kube play returns once the pod's containers started).
// Beside it, nodelet on the same manifests, timed from writing them to its API reporting every
// pod Running. Where podman cannot be installed or run here, the reason is returned instead.
//   node dist/bench/podman.js
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { appPodManifest, initPodManifest, median, startChildAgent, waitAllRunning } from './fleet.js';

const run = promisify(execFile);
const SINGLE_RUNS = Number(process.env.BENCH_PODMAN_RUNS ?? 5);
const BURST = Number(process.env.BENCH_BURST ?? 30);

export interface PeerFigure {
  readonly podman: number;
  readonly nodelet: number;
}

export type PodmanResult =
  | {
      readonly ok: true;
      readonly version: string;
      /** 1 pod, 1 app container (median). */
      readonly single: PeerFigure;
      /** BURST pods in one multi-document file. */
      readonly burst: PeerFigure;
      /** 1 pod with an init container, once: podman's time, or why it could not be had. */
      readonly withInit: { readonly podman?: number; readonly note: string };
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

async function has(cmd: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

const errText = (err: unknown): string => {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).split('\n').slice(-3).join(' ');
};

/** Installs podman (and catatonit, the infra container's init) from the distribution when missing and we are root. */
async function ensurePodman(): Promise<string | undefined> {
  if ((await has('podman')) && (await has('catatonit'))) return undefined;
  if (process.getuid?.() !== 0) return 'podman is not installed and installing it needs root';
  if (!(await has('apt-get'))) return 'podman is not installed and apt-get is not available';
  try {
    await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'podman', 'catatonit'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
    return undefined;
  } catch (err) {
    return `apt-get install podman failed: ${errText(err)}`;
  }
}

export async function runPodmanBench(): Promise<PodmanResult> {
  const missing = await ensurePodman();
  if (missing) return { ok: false, reason: missing };
  const dir = await mkdtemp(join(tmpdir(), 'nodelet-bench-podman-'));
  const notes: string[] = [];
  // This VM's root lacks CAP_SYS_RESOURCE, so runc cannot raise RLIMIT_NOFILE/NPROC to podman's
  // rootful defaults (1048576 / 4194304); every container fails to start with "error setting
  // rlimit type 7: operation not permitted" unless the defaults stay below the hard limits.
  const conf = join(dir, 'containers.conf');
  await writeFile(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n');
  notes.push('podman ran with default_ulimits nofile=1024, nproc=4096 (CONTAINERS_CONF): root here lacks CAP_SYS_RESOURCE, so podman\'s rootful rlimit defaults make runc fail with "error setting rlimit type 7: operation not permitted".');
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const podman = (args: string[], timeout = 300_000) => run('podman', args, { env, timeout, maxBuffer: 16 * 1024 * 1024 });
  const timed = async (file: string, timeout = 300_000): Promise<number> => {
    const t0 = performance.now();
    await podman(['kube', 'play', file], timeout);
    return performance.now() - t0;
  };
  const down = (file: string) => podman(['kube', 'down', file]).catch(() => undefined);
  try {
    const version = (await podman(['version', '--format', '{{.Client.Version}}'])).stdout.trim();
    try {
      const tar = join(dir, 'busybox.tar');
      await run('docker', ['save', '-o', tar, 'busybox:1.37'], { timeout: 120_000 });
      await podman(['load', '-i', tar]);
    } catch (err) {
      return { ok: false, reason: `could not load busybox:1.37 into podman: ${errText(err)}` };
    }

    // Warm-up (first run creates podman's database and network state).
    const warm = join(dir, 'warm.yaml');
    await writeFile(warm, appPodManifest('podman-warm'));
    try {
      await timed(warm);
    } catch (err) {
      return { ok: false, reason: `podman kube play cannot start a pod here: ${errText(err)}` };
    } finally {
      await down(warm);
    }

    const podmanSingle: number[] = [];
    for (let i = 0; i < SINGLE_RUNS; i++) {
      const file = join(dir, `single${i}.yaml`);
      await writeFile(file, appPodManifest(`podman-single${i}`));
      podmanSingle.push(await timed(file));
      await down(file);
    }
    const burstFile = join(dir, 'burst.yaml');
    await writeFile(burstFile, Array.from({ length: BURST }, (_, i) => appPodManifest(`podman-burst${i}`)).join('---\n'));
    const podmanBurst = await timed(burstFile, 600_000);
    await down(burstFile);

    let withInit: { podman?: number; note: string };
    const initFile = join(dir, 'init.yaml');
    await writeFile(initFile, initPodManifest('podman-init'));
    try {
      const t = await timed(initFile, 120_000);
      withInit = {
        podman: t,
        note:
          t > 15_000
            ? 'podman waits for the init container\'s exit through conmon and, here, gives up only after its 20 s conmon timeout ("Exceeded conmon timeout waiting for container ... to exit" in --log-level=debug); the figure is that timeout, not podman\'s speed, so the burst uses app-only pods.'
            : 'the same 1 init + 1 app pod as the startup figure.',
      };
    } catch (err) {
      withInit = { note: `podman kube play failed on the init-container pod: ${errText(err)}` };
    } finally {
      await down(initFile);
    }

    // nodelet on the same app-only manifests.
    const agent = await startChildAgent({ tag: 'peer' });
    const nodeletSingle: number[] = [];
    let nodeletBurst = 0;
    try {
      for (let i = 0; i < SINGLE_RUNS; i++) {
        const name = `peer-single${i}`;
        const t0 = performance.now();
        await agent.writeManifests([name]);
        nodeletSingle.push((await waitAllRunning(agent.apiSocket, [agent.podName(name)], 60_000, 5)) - t0);
      }
      const names = Array.from({ length: BURST }, (_, i) => `peer-burst${i}`);
      const t0 = performance.now();
      await agent.writeManifests(names);
      nodeletBurst = (await waitAllRunning(agent.apiSocket, names.map((n) => agent.podName(n)), 180_000, 5)) - t0;
    } finally {
      await agent.cleanup();
    }
    return {
      ok: true,
      version,
      single: { podman: median(podmanSingle), nodelet: median(nodeletSingle) },
      burst: { podman: podmanBurst, nodelet: nodeletBurst },
      withInit,
      notes,
    };
  } catch (err) {
    return { ok: false, reason: `podman benchmark failed: ${errText(err)}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  console.log(JSON.stringify(await runPodmanBench(), null, 2));
}
