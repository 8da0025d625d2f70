// The plugin manager on real unix sockets in a temp root dir, with gRPC plugins of the test's
// own (test/helpers/grpc-plugins.ts): the registration handshake (GetInfo, NodeGetInfo,
// NotifyRegistrationStatus true), its failures (unknown type, unsupported version, NodeGetInfo
// refused) sent back as the kubelet words them, deregistration when the socket goes, a second
// registration when it comes back, dot-files and subdirectories as the kubelet walks them,
// and the device plugin Registration server (kubelet.sock) feeding node capacity.
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/core/clock.js';
import { createKubeletDirs, kubeletDirs } from '../../../agent/plugins/kubelet-dirs.js';
import { PluginManager } from '../../../agent/plugins/plugin-manager.js';
import { registerDevicePlugin, startCsiPlugin, startDevicePlugin, startRegistrar, type GrpcTestServer } from '../../helpers/grpc-plugins.js';
import { sinkLogger } from '../../helpers/log-sink.js';

async function until<T>(fn: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let root: string;
let manager: PluginManager;
let log: ReturnType<typeof sinkLogger>;
const servers: GrpcTestServer[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'nodelet-plugins-'));
  log = sinkLogger('info');
  await createKubeletDirs(kubeletDirs(root));
  manager = new PluginManager({ dirs: kubeletDirs(root), clock: systemClock, logger: log.logger });
  await manager.start();
});

afterEach(async () => {
  await manager.stop();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await rm(root, { recursive: true, force: true });
});

describe('kubelet root dir', () => {
  it('creates pods, plugins, plugins_registry and device-plugins with mode 0750', async () => {
    for (const d of ['pods', 'plugins', 'plugins_registry', 'device-plugins']) {
      expect(((await stat(join(root, d))).mode & 0o777).toString(8)).toBe('750');
    }
    expect((await stat(join(root, 'device-plugins', 'kubelet.sock'))).isSocket()).toBe(true);
  });
});

describe('CSI plugin registration', () => {
  it('completes the handshake, deregisters when the socket goes, registers again when it comes back', async () => {
    await mkdir(join(root, 'plugins', 'csi.test.io'), { recursive: true });
    const csiSock = join(root, 'plugins', 'csi.test.io', 'csi.sock');
    const csi = await startCsiPlugin(csiSock, { name: 'csi.test.io', nodeId: 'node-7', maxVolumesPerNode: 12, topology: { 'topology.csi.test.io/zone': 'z1' } });
    servers.push(csi);
    const regSock = join(root, 'plugins_registry', 'csi.test.io-reg.sock');
    const info = { type: 'CSIPlugin', name: 'csi.test.io', endpoint: csiSock, supported_versions: ['1.0.0'] };
    let reg = await startRegistrar(regSock, info);
    expect(await reg.nextNotification()).toEqual({ plugin_registered: true, error: '' });
    expect(reg.calls).toEqual(['GetInfo', 'NotifyRegistrationStatus']);
    expect(csi.calls).toEqual(['NodeGetInfo']);
    expect(manager.state().csiDrivers).toEqual([{ name: 'csi.test.io', endpoint: csiSock, version: '1.0.0', nodeId: 'node-7', maxVolumesPerNode: 12, topology: { 'topology.csi.test.io/zone': 'z1' } }]);
    // The log line follows the plugin's answer to NotifyRegistrationStatus.
    await until(() => log.lines.filter((l) => l.msg === 'plugin registered').length === 1, 'the registered line');

    await reg.close();
    await until(() => manager.state().csiDrivers.length === 0, 'deregistration');
    expect(log.lines.filter((l) => l.msg === 'plugin deregistered')).toHaveLength(1);

    reg = await startRegistrar(regSock, info);
    servers.push(reg);
    expect(await reg.nextNotification()).toEqual({ plugin_registered: true, error: '' });
    expect(manager.state().csiDrivers.map((d) => d.nodeId)).toEqual(['node-7']);
    await until(() => log.lines.filter((l) => l.msg === 'plugin registered').length === 2, 'the second registered line');
  });

  it('finds sockets in subdirectories and skips dot-files', async () => {
    const csiSock = join(root, 'plugins', 'sub.sock');
    servers.push(await startCsiPlugin(csiSock, { name: 'sub.csi.io', nodeId: 'n' }));
    const hidden = await startRegistrar(join(root, 'plugins_registry', '.hidden-reg.sock'), { type: 'CSIPlugin', name: 'hidden.csi.io', endpoint: csiSock, supported_versions: ['1.0.0'] });
    servers.push(hidden);
    await mkdir(join(root, 'plugins_registry', 'nested'));
    const reg = await startRegistrar(join(root, 'plugins_registry', 'nested', 'sub-reg.sock'), { type: 'CSIPlugin', name: 'sub.csi.io', endpoint: csiSock, supported_versions: ['1.0.0'] });
    servers.push(reg);
    expect(await reg.nextNotification()).toEqual({ plugin_registered: true, error: '' });
    expect(hidden.calls).toEqual([]);
  });

  it('tells the plugin why registration failed, in the kubelet words, and backs off', async () => {
    const unknown = await startRegistrar(join(root, 'plugins_registry', 'x-reg.sock'), { type: 'FooPlugin', name: 'x', endpoint: '', supported_versions: ['1.0.0'] });
    servers.push(unknown);
    expect(await unknown.nextNotification()).toEqual({ plugin_registered: false, error: `RegisterPlugin error -- no handler registered for plugin type: FooPlugin at socket ${join(root, 'plugins_registry', 'x-reg.sock')}` });

    const v2 = await startRegistrar(join(root, 'plugins_registry', 'v2-reg.sock'), { type: 'CSIPlugin', name: 'v2.csi.io', endpoint: '/nowhere.sock', supported_versions: ['2.0.0'] });
    servers.push(v2);
    const n = await v2.nextNotification();
    expect(n.plugin_registered).toBe(false);
    expect(n.error).toBe(
      'RegisterPlugin error -- plugin validation failed with err: validation failed for CSI Driver v2.csi.io at endpoint /nowhere.sock: kubernetes.io/csi: ValidatePlugin for CSI driver "v2.csi.io" failed. None of the versions specified ["2.0.0"] are supported. err=could not find a highest supported version from versions ([2.0.0]) reported: <nil>',
    );
    // Retried with back-off (500 ms, then 1 s): a second notification, not one per second loop.
    const second = await v2.nextNotification();
    expect(second.plugin_registered).toBe(false);
    const retries = (): unknown[] => log.lines.filter((l) => l.msg === 'plugin registration failed' && l.name === 'v2.csi.io').map((l) => l.retryInMs);
    await until(() => retries().length >= 2, 'two failure lines');
    expect(retries().slice(0, 2)).toEqual([500, 1000]);

    const dead = await startRegistrar(join(root, 'plugins_registry', 'dead-reg.sock'), { type: 'CSIPlugin', name: 'dead.csi.io', endpoint: join(root, 'plugins', 'none.sock'), supported_versions: ['1.0.0'] });
    servers.push(dead);
    const d = await dead.nextNotification();
    expect(d.plugin_registered).toBe(false);
    expect(d.error).toMatch(/^RegisterPlugin error -- plugin registration failed with err: rpc error: code = Unavailable desc = /);
    expect(manager.state().csiDrivers).toEqual([]);
  });
});

describe('device plugins', () => {
  it('puts the healthy devices of a registered plugin into allocatable, all of them into capacity', async () => {
    const plugin = await startDevicePlugin(join(root, 'device-plugins', 'dev.sock'), [
      { ID: 'd1', health: 'Healthy' },
      { ID: 'd2', health: 'Healthy' },
      { ID: 'd3', health: 'Unhealthy' },
    ]);
    servers.push(plugin);
    await registerDevicePlugin(join(root, 'device-plugins', 'kubelet.sock'), { version: 'v1beta1', endpoint: 'dev.sock', resource_name: 'example.com/dev' });
    await until(() => manager.state().deviceResources.find((r) => r.healthy === 2), 'devices listed');
    expect(manager.state().deviceResources).toEqual([{ resourceName: 'example.com/dev', healthy: 2, unhealthy: 1 }]);
    plugin.update([{ ID: 'd1', health: 'Healthy' }]);
    await until(() => manager.state().deviceResources.find((r) => r.healthy === 1 && r.unhealthy === 0), 'devices updated');
    await plugin.close();
    servers.splice(servers.indexOf(plugin), 1);
    await until(() => manager.state().deviceResources.find((r) => r.healthy === 0), 'devices unhealthy once the plugin is gone');
    await expect(registerDevicePlugin(join(root, 'device-plugins', 'kubelet.sock'), { version: 'v1alpha', endpoint: 'dev.sock', resource_name: 'example.com/dev' })).rejects.toThrow(/requested API version "v1alpha" is not supported by kubelet/);
  });

  it('registers a device plugin announced in plugins_registry (type DevicePlugin), and refuses a bad resource name', async () => {
    const devSock = join(root, 'plugins', 'reg-dev.sock');
    servers.push(await startDevicePlugin(devSock, [{ ID: 'a', health: 'Healthy' }]));
    const reg = await startRegistrar(join(root, 'plugins_registry', 'reg-dev.sock'), { type: 'DevicePlugin', name: 'example.com/reg-dev', endpoint: devSock, supported_versions: ['v1beta1'] });
    servers.push(reg);
    expect(await reg.nextNotification()).toEqual({ plugin_registered: true, error: '' });
    await until(() => manager.state().deviceResources.find((r) => r.resourceName === 'example.com/reg-dev' && r.healthy === 1), 'the device listed');
    await reg.close();
    await until(() => manager.state().deviceResources.find((r) => r.resourceName === 'example.com/reg-dev' && r.healthy === 0), 'the devices unhealthy after deregistration');

    const bad = await startRegistrar(join(root, 'plugins_registry', 'bad-dev.sock'), { type: 'DevicePlugin', name: 'cpu', endpoint: devSock, supported_versions: ['v1beta1'] });
    servers.push(bad);
    expect(await bad.nextNotification()).toEqual({ plugin_registered: false, error: 'RegisterPlugin error -- plugin validation failed with err: invalid name of device plugin socket: the ResourceName "cpu" is invalid' });
  });
});
