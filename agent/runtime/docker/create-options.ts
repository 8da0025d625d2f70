// ContainerSpec → dockerode create options, the way cri-dockerd fills Docker's Config and
// HostConfig (core/container_create.go, sandbox_helpers.go makeSandboxDockerConfig,
// security_context.go, libdocker helpers GenerateMountBindings / MakePortsAndBindings).
// Pure. Written for Engine API 1.41 (dockerd 20.10): binds go through HostConfig.Binds
// (BindOptions.CreateMountpoint does not exist there; Binds create a missing source
// directory, which is what kubelet relies on for hostPath without a type).
import type Docker from 'dockerode';
import { LOCALHOST_SECCOMP_PREFIX, type ContainerSpec, type MountSpec } from '../../core/runtime-types.js';
import { LABELS } from '../../core/labels.js';

export interface CreateContext {
  /** The pod's sandbox, for containers whose namespaces are 'sandbox'. */
  readonly sandboxId?: string;
  /**
   * The content of the Localhost seccomp profile named by `localhostSeccompPath(spec)`, read by
   * the adapter (cri-dockerd reads and compacts the JSON at create time too).
   */
  readonly seccompProfile?: string;
}

/** The host file of a Localhost seccomp profile the adapter must read, if the spec has one. */
export function localhostSeccompPath(spec: ContainerSpec): string | undefined {
  const value = spec.security.seccomp;
  return value?.startsWith(LOCALHOST_SECCOMP_PREFIX) ? value.slice(LOCALHOST_SECCOMP_PREFIX.length) : undefined;
}

/** `src:dst[:opts]` with opts from ro and rslave/rshared, comma-joined (GenerateMountBindings). */
export function toBind(mount: MountSpec): string {
  const opts: string[] = [];
  if (mount.readOnly) opts.push('ro');
  if (mount.propagation) opts.push(mount.propagation);
  const bind = `${mount.source}:${mount.target}`;
  return opts.length > 0 ? `${bind}:${opts.join(',')}` : bind;
}

function toVolumeMount(mount: MountSpec): Docker.MountSettings {
  return {
    Type: 'volume',
    Source: mount.source,
    Target: mount.target,
    ReadOnly: mount.readOnly,
    // An emptyDir starts empty: never copy the image's files at the mount point into it.
    VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'],
  };
}

function joinMode(sandboxId: string | undefined, dockerName: string): string {
  if (!sandboxId) throw new Error(`container ${dockerName} joins the pod sandbox, but no sandbox ID was given`);
  return `container:${sandboxId}`;
}

function networkMode(spec: ContainerSpec, sandboxId: string | undefined): string {
  const network = spec.namespaces.network;
  switch (network.mode) {
    case 'host':
      return 'host';
    case 'none':
      return 'none';
    case 'network':
      return network.name;
    case 'sandbox':
      return joinMode(sandboxId, spec.dockerName);
  }
}

function securityOpt(spec: ContainerSpec, ctx: CreateContext): string[] {
  const opts: string[] = [];
  if (spec.security.noNewPrivileges) opts.push('no-new-privileges');
  const seccomp = spec.security.seccomp;
  if (seccomp === undefined || spec.security.privileged) return opts;
  if (seccomp.startsWith(LOCALHOST_SECCOMP_PREFIX)) {
    if (ctx.seccompProfile === undefined) throw new Error(`container ${spec.dockerName}: seccomp profile ${localhostSeccompPath(spec) ?? ''} was not read`);
    opts.push(`seccomp=${compactJson(ctx.seccompProfile)}`);
  } else {
    opts.push(`seccomp=${seccomp}`);
  }
  return opts;
}

/** json.Compact; a profile that is not JSON is passed as is for Docker to reject with its own message. */
function compactJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

/** Host port bindings and the matching exposed ports; several host ports may map one container port. */
function ports(spec: ContainerSpec): { exposed: Record<string, object>; bindings: Record<string, { HostIp: string; HostPort: string }[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.portBindings) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIP ?? '', HostPort: String(p.hostPort) });
  }
  return { exposed, bindings };
}

/**
 * Create options for `spec`. Restarts belong to nodelet (RestartPolicy no) and probes too
 * (the image's HEALTHCHECK is disabled). A container that joins the sandbox's network gets no
 * hostname, DNS, extra hosts or ports: Docker refuses them there, and they are the sandbox's.
 */
export function toCreateOptions(spec: ContainerSpec, ctx: CreateContext): Docker.ContainerCreateOptions {
  const joinsSandbox = spec.namespaces.network.mode === 'sandbox';
  const labels: Record<string, string> = { ...spec.labels };
  if (joinsSandbox && ctx.sandboxId) labels[LABELS.sandboxId] = ctx.sandboxId;

  const binds = spec.mounts.filter((m) => m.kind === 'bind').map(toBind);
  const volumes = spec.mounts.filter((m) => m.kind === 'volume').map(toVolumeMount);
  const { exposed, bindings } = ports(spec);
  const hasPorts = !joinsSandbox && spec.portBindings.length > 0;
  const dns = joinsSandbox ? undefined : spec.dns;
  const res = spec.resources;
  const sec = spec.security;
  const security = securityOpt(spec, ctx);
  const ipc = spec.namespaces.ipc;
  const pid = spec.namespaces.pid;

  const hostConfig: Docker.HostConfig = {
    RestartPolicy: { Name: 'no' },
    NetworkMode: networkMode(spec, ctx.sandboxId),
    IpcMode: ipc === 'sandbox' ? joinMode(ctx.sandboxId, spec.dockerName) : ipc,
    ...(pid === 'host' ? { PidMode: 'host' } : pid === 'sandbox' ? { PidMode: joinMode(ctx.sandboxId, spec.dockerName) } : {}),
    ...(binds.length > 0 ? { Binds: binds } : {}),
    ...(volumes.length > 0 ? { Mounts: volumes } : {}),
    ...(hasPorts ? { PortBindings: bindings } : {}),
    // Memory and swap equal: no swap, as cri-dockerd sets it.
    ...(res.memory !== undefined ? { Memory: res.memory, MemorySwap: res.memory } : {}),
    ...(res.cpuShares !== undefined ? { CpuShares: res.cpuShares } : {}),
    ...(res.cpuPeriod !== undefined ? { CpuPeriod: res.cpuPeriod } : {}),
    ...(res.cpuQuota !== undefined ? { CpuQuota: res.cpuQuota } : {}),
    Privileged: sec.privileged,
    ReadonlyRootfs: sec.readonlyRootfs,
    ...(sec.groupAdd.length > 0 ? { GroupAdd: [...sec.groupAdd] } : {}),
    ...(sec.capAdd.length > 0 ? { CapAdd: [...sec.capAdd] } : {}),
    ...(sec.capDrop.length > 0 ? { CapDrop: [...sec.capDrop] } : {}),
    ...(security.length > 0 ? { SecurityOpt: security } : {}),
    ...(Object.keys(sec.sysctls).length > 0 ? { Sysctls: { ...sec.sysctls } } : {}),
    ...(dns && dns.servers.length > 0 ? { Dns: [...dns.servers] } : {}),
    ...(dns && dns.searches.length > 0 ? { DnsSearch: [...dns.searches] } : {}),
    ...(dns && dns.options.length > 0 ? { DnsOptions: [...dns.options] } : {}),
    ...(!joinsSandbox && spec.extraHosts.length > 0 ? { ExtraHosts: [...spec.extraHosts] } : {}),
    ...(spec.cgroupParent !== undefined ? { CgroupParent: spec.cgroupParent } : {}),
    ...(spec.oomScoreAdj !== undefined ? { OomScoreAdj: spec.oomScoreAdj } : {}),
  };

  return {
    name: spec.dockerName,
    Image: spec.image,
    ...(spec.entrypoint ? { Entrypoint: [...spec.entrypoint] } : {}),
    ...(spec.cmd ? { Cmd: [...spec.cmd] } : {}),
    Env: [...spec.env],
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    ...(sec.user !== undefined ? { User: sec.user } : {}),
    ...(!joinsSandbox && spec.hostname ? { Hostname: spec.hostname } : {}),
    ...(!joinsSandbox && spec.domainname ? { Domainname: spec.domainname } : {}),
    ...(hasPorts ? { ExposedPorts: exposed } : {}),
    Tty: spec.tty,
    OpenStdin: spec.openStdin,
    StdinOnce: spec.stdinOnce,
    // nodelet never attaches; output goes to the log driver.
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Healthcheck: { Test: ['NONE'] },
    StopTimeout: spec.stopTimeout,
    Labels: labels,
    HostConfig: hostConfig,
  };
}
