// The QoS cgroup hierarchy on the host (pkg/kubelet/cm qos_container_manager_linux.go,
// pod_container_manager_linux.go, node_container_manager_linux.go), matching Docker's cgroup
// driver and version: kubepods (node allocatable), its burstable and besteffort parents, and one
// cgroup per pod with the pod's limits, which Docker then uses as HostConfig.CgroupParent of the
// sandbox and every container.
// - cgroupfs, v1: one directory per controller (cpu, cpuacct, memory, pids; runc creates the
//   others, copying cpuset from the parent); v2: one directory, controllers enabled in each
//   parent's cgroup.subtree_control.
// - systemd: each level is a slice unit. runc asks systemd for `docker-<id>.scope` in the leaf
//   slice, and systemd creates missing parent slices implicitly, so limits are put on the slices
//   with `systemctl set-property --runtime` and the slices started with `systemctl start`; with
//   v1 the controller files are written and removed as with cgroupfs too (libcontainer does the
//   same), since systemd may not drive every v1 controller.
// Adapter: every write may fail (a read-only /sys/fs/cgroup in a container): the failure is
// logged once per state and the pod runs anyway, in the hierarchy if Docker could create it.
import { mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../log/logger.js';
import { cgroupPath, dockerCgroupParent, kubepodsName, podCgroupName, qosCgroupName, toSystemdSlice, podUidOfCgroup, type CgroupDriver, type CgroupName } from './cgroup-names.js';
import { MIN_SHARES, podCgroupLimits, sharesToWeight, type CgroupLimits } from './pod-resources.js';
import { podQos, type QosClass } from './qos-class.js';

export interface CgroupSettings {
  /** cgroupsPerQOS: false = no hierarchy, containers in Docker's default parent. */
  readonly cgroupsPerQOS: boolean;
  /** --cgroup-root: where kubepods lives ("/" by default). */
  readonly cgroupRoot: string;
  /** podPidsLimit: pids.max of each pod cgroup when > 0 (default -1: none). */
  readonly podPidsLimit?: number;
  /** The cgroup filesystem's mount point (tests use a temp dir). */
  readonly mountPoint?: string;
}

/** What the engine says (docker info CgroupDriver / CgroupVersion). */
export interface EngineCgroups {
  readonly driver: CgroupDriver;
  readonly version: 1 | 2;
}

/** Runs a command (systemctl) and resolves when it exits 0. */
export type RunCommand = (file: string, args: readonly string[]) => Promise<void>;

/** The port the pod sync uses: the pod's cgroup before its sandbox and containers, removal after. */
export interface PodCgroupsPort {
  /** Creates or updates the pod's cgroup; the CgroupParent for Docker, undefined = Docker's default. */
  ensurePod(pod: Pod, uid: string): Promise<string | undefined>;
  /** Removes the pod's cgroup (whatever its QoS class was). */
  removePod(uid: string): Promise<void>;
}

const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids'] as const;
const V2_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

export interface QosCgroupsDeps {
  readonly settings: CgroupSettings;
  /** docker info, read once before the first pod. */
  readonly engine: () => Promise<EngineCgroups>;
  readonly logger: Logger;
  /** The kubepods limits (node allocatable enforcement) or undefined when not enforced. */
  readonly kubepodsLimits?: () => CgroupLimits | undefined;
  /** Σ cpu requests (millicores) of the Burstable pods: the burstable parent's shares. */
  readonly burstableCpuMilli?: () => number;
  readonly run?: RunCommand;
}

export class QosCgroups implements PodCgroupsPort {
  readonly #d: QosCgroupsDeps;
  readonly #mount: string;
  #engine?: Promise<EngineCgroups | undefined>;
  #nodeReady = false;
  #lastProblem = '';

  constructor(deps: QosCgroupsDeps) {
    this.#d = deps;
    this.#mount = deps.settings.mountPoint ?? '/sys/fs/cgroup';
  }

  #engineCgroups(): Promise<EngineCgroups | undefined> {
    this.#engine ??= this.#d.engine().then(
      (e) => {
        this.#d.logger.info({ driver: e.driver, version: e.version, cgroupRoot: this.#d.settings.cgroupRoot }, 'QoS cgroup hierarchy follows the engine cgroup driver');
        return e;
      },
      (err: unknown) => {
        this.#engine = undefined;
        throw err;
      },
    );
    return this.#engine;
  }

  async ensurePod(pod: Pod, uid: string): Promise<string | undefined> {
    if (!this.#d.settings.cgroupsPerQOS) return undefined;
    const limits = podCgroupLimits(pod, { podPidsLimit: this.#d.settings.podPidsLimit ?? -1 });
    const engine = await this.#engineCgroups();
    if (!engine) return undefined;
    const qos = podQos(pod);
    const name = podCgroupName(this.#d.settings.cgroupRoot, qos, uid);
    try {
      await this.#ensureNode(engine);
      await this.#ensure(engine, name, limits);
      if (qos === 'Burstable') await this.#updateBurstable(engine);
      this.#problem('');
    } catch (err) {
      // Docker (runc) creates a missing parent itself: the pod runs in the hierarchy, unlimited.
      this.#problem(`pod cgroup ${cgroupPath(name, engine.driver)} could not be set up: ${String((err as Error).message ?? err)}`);
    }
    return dockerCgroupParent(name, engine.driver);
  }

  async removePod(uid: string): Promise<void> {
    if (!this.#d.settings.cgroupsPerQOS) return;
    const engine = await this.#engineCgroups().catch(() => undefined);
    if (!engine) return;
    for (const qos of ['Guaranteed', 'Burstable', 'BestEffort'] as const) {
      await this.#remove(engine, podCgroupName(this.#d.settings.cgroupRoot, qos, uid), uid);
    }
    await this.#updateBurstable(engine).catch(() => undefined);
  }

  /**
   * UIDs of the empty pod cgroups that exist and are older than `minAgeMs` (the orphan sweep compares
   * them with the pods in use; the age keeps it off a cgroup another agent on this host with the
   * same cgroupRoot just made for its sandbox).
   */
  async podUids(minAgeMs = 60_000, now = Date.now()): Promise<string[]> {
    if (!this.#d.settings.cgroupsPerQOS) return [];
    const engine = await this.#engineCgroups().catch(() => undefined);
    if (!engine) return [];
    const base = engine.version === 2 ? this.#mount : join(this.#mount, 'memory');
    const uids: string[] = [];
    for (const qos of ['Guaranteed', 'Burstable', 'BestEffort'] as const) {
      const dir = join(base, cgroupPath(qosCgroupName(this.#d.settings.cgroupRoot, qos), engine.driver));
      const entries = await readdir(dir).catch(() => [] as string[]);
      for (const e of entries) {
        const uid = podUidOfCgroup(e);
        const age = await stat(join(dir, e)).then((s) => now - s.mtimeMs, () => -1);
        // A container still in it (another agent's pod, a container Docker has not removed yet)
        // keeps it: nodelet never kills what it finds there, unlike the kubelet's sweep.
        const children = await readdir(join(dir, e), { withFileTypes: true }).then((list) => list.some((d) => d.isDirectory()), () => true);
        if (uid && age >= minAgeMs && !children) uids.push(uid);
      }
    }
    return uids;
  }

  #problem(message: string): void {
    if (message === this.#lastProblem) return;
    this.#lastProblem = message;
    if (message) this.#d.logger.warn({}, message);
    else this.#d.logger.info({}, 'QoS cgroups set up');
  }

  /** kubepods with the allocatable limits, and the burstable and besteffort parents. */
  async #ensureNode(engine: EngineCgroups): Promise<void> {
    const root = this.#d.settings.cgroupRoot;
    if (!this.#nodeReady) {
      await this.#ensure(engine, kubepodsName(root), this.#d.kubepodsLimits?.() ?? {});
      await this.#ensure(engine, qosCgroupName(root, 'BestEffort'), { cpuShares: MIN_SHARES });
      await this.#ensure(engine, qosCgroupName(root, 'Burstable'), {});
      this.#nodeReady = true;
      this.#d.logger.info({ kubepods: cgroupPath(kubepodsName(root), engine.driver), limits: this.#d.kubepodsLimits?.() }, 'created the kubepods cgroup and its QoS parents');
    }
  }

  /** qos_container_manager setCPUCgroupConfig: burstable shares = shares of Σ burstable cpu requests. */
  async #updateBurstable(engine: EngineCgroups): Promise<void> {
    const milli = this.#d.burstableCpuMilli?.();
    if (milli === undefined) return;
    const shares = milli === 0 ? MIN_SHARES : Math.max(MIN_SHARES, Math.floor((milli * 1024) / 1000));
    await this.#ensure(engine, qosCgroupName(this.#d.settings.cgroupRoot, 'Burstable' satisfies QosClass), { cpuShares: shares });
  }

  async #ensure(engine: EngineCgroups, name: CgroupName, limits: CgroupLimits): Promise<void> {
    if (engine.driver === 'systemd') {
      await this.#ensureSlice(engine, name, limits);
      // v1: the files too, as libcontainer's systemd legacyManager does after setting the unit
      // properties: a systemd that does not drive a v1 controller (one whose hierarchy was
      // read-only when it booted, as in a container) records the property and writes nothing.
      if (engine.version === 2) return;
    }
    const path = cgroupPath(name, engine.driver);
    if (engine.version === 1) {
      for (const ctrl of V1_CONTROLLERS) await mkdir(join(this.#mount, ctrl, path), { recursive: true });
      await writeV1(this.#mount, path, limits);
    } else {
      await this.#enableV2Controllers(name);
      await mkdir(join(this.#mount, path), { recursive: true });
      await writeV2(join(this.#mount, path), limits);
    }
  }

  /** Each ancestor's cgroup.subtree_control gets the controllers it offers (cpu, memory, pids). */
  async #enableV2Controllers(name: CgroupName): Promise<void> {
    for (let depth = 0; depth < name.length; depth++) {
      const dir = join(this.#mount, cgroupPath(name.slice(0, depth), 'cgroupfs'));
      if (depth > 0) await mkdir(dir, { recursive: true });
      const available = (await readFile(join(dir, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
      const enable = V2_CONTROLLERS.filter((c) => available.includes(c)).map((c) => `+${c}`);
      if (enable.length > 0) await writeFile(join(dir, 'cgroup.subtree_control'), enable.join(' '));
    }
  }

  async #ensureSlice(engine: EngineCgroups, name: CgroupName, limits: CgroupLimits): Promise<void> {
    const run = this.#d.run;
    if (!run) throw new Error('the systemd cgroup driver needs systemctl');
    const slice = toSystemdSlice(name);
    const props = sliceProperties(limits, engine.version);
    if (props.length > 0) await run('systemctl', ['set-property', '--runtime', slice, ...props]);
    await run('systemctl', ['start', slice]);
  }

  async #remove(engine: EngineCgroups, name: CgroupName, uid: string): Promise<void> {
    if (engine.driver === 'systemd') {
      const slice = toSystemdSlice(name);
      const base = engine.version === 2 ? this.#mount : join(this.#mount, 'memory');
      const exists = await readdir(join(base, cgroupPath(name, 'systemd'))).then(() => true, () => false);
      if (!exists || !this.#d.run) return;
      await this.#d.run('systemctl', ['stop', slice]).catch((err: unknown) => this.#d.logger.warn({ slice, err: String(err) }, 'pod slice could not be stopped'));
      // v2: systemd removed the one directory. v1: the per-controller directories runc or
      // #ensure made are not systemd's to remove (libcontainer's Destroy removes them too).
      if (engine.version === 2) return;
    }
    const path = cgroupPath(name, engine.driver);
    // v1: every hierarchy runc may have created it in (cpuset, blkio, devices, freezer, ...).
    const dirs = engine.version === 1 ? (await readdir(this.#mount).catch(() => [] as string[])).map((h) => join(this.#mount, h, path)) : [join(this.#mount, path)];
    let removed = false;
    let busy: string | undefined;
    for (const dir of dirs) {
      try {
        await rmdir(dir);
        removed = true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        busy = `${dir}: ${(err as Error).message}`;
      }
    }
    if (busy) this.#d.logger.warn({ uid, err: busy }, 'pod cgroup not removed yet (a process is still in it); the next sweep retries');
    else if (removed) this.#d.logger.info({ uid, cgroup: path }, 'pod cgroup removed');
  }
}

async function writeV1(mount: string, path: string, l: CgroupLimits): Promise<void> {
  if (l.cpuShares !== undefined) await writeFile(join(mount, 'cpu', path, 'cpu.shares'), String(l.cpuShares));
  if (l.cpuPeriod !== undefined) await writeFile(join(mount, 'cpu', path, 'cpu.cfs_period_us'), String(l.cpuPeriod));
  if (l.cpuQuota !== undefined) await writeFile(join(mount, 'cpu', path, 'cpu.cfs_quota_us'), String(l.cpuQuota));
  if (l.memoryLimit !== undefined && l.memoryLimit > 0) await writeFile(join(mount, 'memory', path, 'memory.limit_in_bytes'), String(l.memoryLimit));
  if (l.pidsLimit !== undefined) await writeFile(join(mount, 'pids', path, 'pids.max'), String(l.pidsLimit));
}

async function writeV2(dir: string, l: CgroupLimits): Promise<void> {
  if (l.cpuShares !== undefined) await writeFile(join(dir, 'cpu.weight'), String(sharesToWeight(l.cpuShares)));
  if (l.cpuQuota !== undefined || l.cpuPeriod !== undefined) {
    const quota = l.cpuQuota === undefined || l.cpuQuota < 0 ? 'max' : String(l.cpuQuota);
    await writeFile(join(dir, 'cpu.max'), `${quota} ${l.cpuPeriod ?? 100_000}`);
  }
  if (l.memoryLimit !== undefined && l.memoryLimit > 0) await writeFile(join(dir, 'memory.max'), String(l.memoryLimit));
  if (l.pidsLimit !== undefined) await writeFile(join(dir, 'pids.max'), String(l.pidsLimit));
}

/** systemd unit properties of a slice's limits (what libcontainer's systemd manager sets). */
export function sliceProperties(l: CgroupLimits, version: 1 | 2): string[] {
  const props: string[] = [];
  if (l.cpuShares !== undefined) props.push(version === 2 ? `CPUWeight=${sharesToWeight(l.cpuShares)}` : `CPUShares=${l.cpuShares}`);
  if (l.cpuQuota !== undefined && l.cpuQuota > 0) {
    const period = l.cpuPeriod ?? 100_000;
    // CPUQuota is a percentage of one CPU per second, rounded up to 1 % as systemd takes it.
    props.push(`CPUQuota=${Math.ceil((l.cpuQuota * 100) / period)}%`);
    props.push(`CPUQuotaPeriodSec=${period / 1000}ms`);
  }
  if (l.memoryLimit !== undefined && l.memoryLimit > 0) props.push(version === 2 ? `MemoryMax=${l.memoryLimit}` : `MemoryLimit=${l.memoryLimit}`);
  if (l.pidsLimit !== undefined) props.push(`TasksMax=${l.pidsLimit}`);
  return props;
}
