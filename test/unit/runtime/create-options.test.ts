import { describe, expect, it } from 'vitest';
import type { ContainerSpec, MountSpec } from '../../../agent/core/runtime-types.js';
import { localhostSeccompPath, toBind, toCreateOptions } from '../../../agent/runtime/docker/create-options.js';
import { LABELS } from '../../../agent/core/labels.js';

const base: ContainerSpec = {
  dockerName: 'k8s_app_web-node1_default_u1_0',
  image: 'busybox:1.36',
  env: ['A=1'],
  tty: false,
  openStdin: false,
  stdinOnce: false,
  mounts: [],
  namespaces: { network: { mode: 'sandbox' }, ipc: 'sandbox', pid: 'private' },
  portBindings: [],
  extraHosts: [],
  resources: { cpuShares: 2, cpuPeriod: 100000 },
  security: { privileged: false, groupAdd: [], capAdd: [], capDrop: [], readonlyRootfs: false, noNewPrivileges: false, seccomp: 'unconfined', sysctls: {} },
  stopTimeout: 30,
  labels: { [LABELS.managed]: 'true' },
};

const sandbox: ContainerSpec = {
  ...base,
  dockerName: 'k8s_POD_web-node1_default_u1_0',
  image: 'registry.k8s.io/pause:3.10',
  env: [],
  namespaces: { network: { mode: 'network', name: 'bridge' }, ipc: 'shareable', pid: 'private' },
  portBindings: [
    { containerPort: 80, protocol: 'tcp', hostPort: 8080 },
    { containerPort: 80, protocol: 'tcp', hostPort: 8081, hostIP: '127.0.0.1' },
    { containerPort: 53, protocol: 'udp', hostPort: 5353 },
  ],
  hostname: 'web-node1',
  domainname: 'sub.default.svc.cluster.local',
  dns: { servers: ['1.1.1.1'], searches: ['example.com'], options: ['ndots:2'] },
  extraHosts: ['db:10.0.0.5'],
  resources: { cpuShares: 2 },
  security: { ...base.security, noNewPrivileges: true, seccomp: undefined, sysctls: { 'net.core.somaxconn': '1024' } },
  stopTimeout: 10,
};

describe('toCreateOptions: a container in the sandbox', () => {
  it('joins the sandbox and keeps restarts, health and attach to nodelet', () => {
    expect(toCreateOptions(base, { sandboxId: 'sb123' })).toEqual({
      name: 'k8s_app_web-node1_default_u1_0',
      Image: 'busybox:1.36',
      Env: ['A=1'],
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Healthcheck: { Test: ['NONE'] },
      StopTimeout: 30,
      Labels: { [LABELS.managed]: 'true', [LABELS.sandboxId]: 'sb123' },
      HostConfig: {
        RestartPolicy: { Name: 'no' },
        NetworkMode: 'container:sb123',
        IpcMode: 'container:sb123',
        CpuShares: 2,
        CpuPeriod: 100000,
        Privileged: false,
        ReadonlyRootfs: false,
        SecurityOpt: ['seccomp=unconfined'],
      },
    });
  });

  it('never sets hostname, DNS, hosts or ports on a joining container', () => {
    const opts = toCreateOptions({ ...base, hostname: 'h', domainname: 'd', dns: sandbox.dns, extraHosts: ['x:1.2.3.4'], portBindings: sandbox.portBindings }, { sandboxId: 'sb' });
    expect(opts.Hostname).toBeUndefined();
    expect(opts.Domainname).toBeUndefined();
    expect(opts.ExposedPorts).toBeUndefined();
    const hc = opts.HostConfig ?? {};
    expect([hc.Dns, hc.DnsSearch, hc.DnsOptions, hc.ExtraHosts, hc.PortBindings]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it.each<[string, ContainerSpec['namespaces']['pid'], string | undefined]>([
    ['private', 'private', undefined],
    ['shared with the sandbox', 'sandbox', 'container:sb'],
    ['host', 'host', 'host'],
  ])('PidMode %s', (_name, pid, expected) => {
    expect(toCreateOptions({ ...base, namespaces: { ...base.namespaces, pid } }, { sandboxId: 'sb' }).HostConfig?.PidMode).toBe(expected);
  });

  it('refuses to lower a joining container without a sandbox ID', () => {
    expect(() => toCreateOptions(base, {})).toThrow(/no sandbox ID/);
  });

  it('maps command, args, workdir, user and stdio', () => {
    const opts = toCreateOptions(
      { ...base, entrypoint: ['/bin/sh', '-c'], cmd: ['echo hi'], workingDir: '/srv', tty: true, openStdin: true, stdinOnce: true, security: { ...base.security, user: '1000:2000' } },
      { sandboxId: 'sb' },
    );
    expect(opts).toMatchObject({ Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo hi'], WorkingDir: '/srv', User: '1000:2000', Tty: true, OpenStdin: true, StdinOnce: true });
  });

  it('leaves Entrypoint and Cmd unset to keep the image ones', () => {
    const opts = toCreateOptions(base, { sandboxId: 'sb' });
    expect('Entrypoint' in opts).toBe(false);
    expect('Cmd' in opts).toBe(false);
  });

  it('maps resources, memory swap equal to memory', () => {
    const hc = toCreateOptions({ ...base, resources: { memory: 64 * 1024 * 1024, cpuShares: 102, cpuPeriod: 100000, cpuQuota: 20000 } }, { sandboxId: 'sb' }).HostConfig;
    expect(hc).toMatchObject({ Memory: 67108864, MemorySwap: 67108864, CpuShares: 102, CpuPeriod: 100000, CpuQuota: 20000 });
  });

  it('maps security', () => {
    const hc = toCreateOptions(
      {
        ...base,
        security: { privileged: false, groupAdd: ['2000', '3000'], capAdd: ['CAP_NET_ADMIN'], capDrop: ['ALL'], readonlyRootfs: true, noNewPrivileges: true, sysctls: {} },
      },
      { sandboxId: 'sb' },
    ).HostConfig;
    expect(hc).toMatchObject({ GroupAdd: ['2000', '3000'], CapAdd: ['CAP_NET_ADMIN'], CapDrop: ['ALL'], ReadonlyRootfs: true, SecurityOpt: ['no-new-privileges'] });
  });

  it('drops seccomp for privileged containers', () => {
    const hc = toCreateOptions({ ...base, security: { ...base.security, privileged: true } }, { sandboxId: 'sb' }).HostConfig;
    expect(hc?.Privileged).toBe(true);
    expect(hc?.SecurityOpt).toBeUndefined();
  });

  it('passes a Localhost profile the adapter read, compacted', () => {
    const spec: ContainerSpec = { ...base, security: { ...base.security, seccomp: 'localhost//var/lib/nodelet/seccomp/p.json' } };
    expect(localhostSeccompPath(spec)).toBe('/var/lib/nodelet/seccomp/p.json');
    expect(localhostSeccompPath(base)).toBeUndefined();
    const hc = toCreateOptions(spec, { sandboxId: 'sb', seccompProfile: '{\n  "defaultAction": "SCMP_ACT_LOG"\n}\n' }).HostConfig;
    expect(hc?.SecurityOpt).toEqual(['seccomp={"defaultAction":"SCMP_ACT_LOG"}']);
    expect(() => toCreateOptions(spec, { sandboxId: 'sb' })).toThrow(/was not read/);
  });
});

describe('toCreateOptions: mounts', () => {
  it.each<[string, MountSpec, string]>([
    ['plain', { kind: 'bind', source: '/srv/data', target: '/data', readOnly: false }, '/srv/data:/data'],
    ['read-only', { kind: 'bind', source: '/srv/data', target: '/data', readOnly: true }, '/srv/data:/data:ro'],
    ['rslave', { kind: 'bind', source: '/srv', target: '/srv', readOnly: false, propagation: 'rslave' }, '/srv:/srv:rslave'],
    ['ro + rshared', { kind: 'bind', source: '/srv', target: '/srv', readOnly: true, propagation: 'rshared' }, '/srv:/srv:ro,rshared'],
  ])('bind string: %s', (_name, mount, expected) => {
    expect(toBind(mount)).toBe(expected);
  });

  it('puts binds in Binds and named volumes in Mounts (no copy-up)', () => {
    const hc = toCreateOptions(
      {
        ...base,
        mounts: [
          { kind: 'bind', source: '/srv/data', target: '/data', readOnly: true },
          { kind: 'volume', source: 'nodelet_u1_shm', target: '/dev/shm', readOnly: false },
          { kind: 'bind', source: '/var/lib/nodelet/pods/u1/containers/app/0-termination-log', target: '/dev/termination-log', readOnly: false, createIfMissing: 'file' },
        ],
      },
      { sandboxId: 'sb' },
    ).HostConfig;
    expect(hc?.Binds).toEqual(['/srv/data:/data:ro', '/var/lib/nodelet/pods/u1/containers/app/0-termination-log:/dev/termination-log']);
    expect(hc?.Mounts).toEqual([{ Type: 'volume', Source: 'nodelet_u1_shm', Target: '/dev/shm', ReadOnly: false, VolumeOptions: { NoCopy: true } }]);
  });
});

describe('toCreateOptions: the sandbox', () => {
  it('owns network, UTS, DNS, hosts and ports', () => {
    const opts = toCreateOptions(sandbox, {});
    expect(opts).toMatchObject({
      name: 'k8s_POD_web-node1_default_u1_0',
      Image: 'registry.k8s.io/pause:3.10',
      Hostname: 'web-node1',
      Domainname: 'sub.default.svc.cluster.local',
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      StopTimeout: 10,
    });
    expect(opts.Labels?.[LABELS.sandboxId]).toBeUndefined();
    expect(opts.HostConfig).toEqual({
      RestartPolicy: { Name: 'no' },
      NetworkMode: 'bridge',
      IpcMode: 'shareable',
      PortBindings: {
        '80/tcp': [
          { HostIp: '', HostPort: '8080' },
          { HostIp: '127.0.0.1', HostPort: '8081' },
        ],
        '53/udp': [{ HostIp: '', HostPort: '5353' }],
      },
      CpuShares: 2,
      Privileged: false,
      ReadonlyRootfs: false,
      SecurityOpt: ['no-new-privileges'],
      Sysctls: { 'net.core.somaxconn': '1024' },
      Dns: ['1.1.1.1'],
      DnsSearch: ['example.com'],
      DnsOptions: ['ndots:2'],
      ExtraHosts: ['db:10.0.0.5'],
    });
  });

  it.each<[string, ContainerSpec['namespaces'], { NetworkMode: string; IpcMode: string; PidMode?: string }]>([
    ['host network, IPC and PID', { network: { mode: 'host' }, ipc: 'host', pid: 'host' }, { NetworkMode: 'host', IpcMode: 'host', PidMode: 'host' }],
    ['no network', { network: { mode: 'none' }, ipc: 'shareable', pid: 'private' }, { NetworkMode: 'none', IpcMode: 'shareable' }],
  ])('%s', (_name, namespaces, expected) => {
    const hc = toCreateOptions({ ...sandbox, namespaces }, {}).HostConfig;
    expect({ NetworkMode: hc?.NetworkMode, IpcMode: hc?.IpcMode, ...(hc?.PidMode ? { PidMode: hc.PidMode } : {}) }).toEqual(expected);
  });

  it('leaves empty DNS categories to Docker', () => {
    const hc = toCreateOptions({ ...sandbox, dns: { servers: [], searches: ['a.example'], options: [] } }, {}).HostConfig;
    expect(hc?.Dns).toBeUndefined();
    expect(hc?.DnsSearch).toEqual(['a.example']);
    expect(hc?.DnsOptions).toBeUndefined();
  });
});
