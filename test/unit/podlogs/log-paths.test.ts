// The kubelet's log names (kuberuntime helpers.go, legacy.go) and the log GC's choices, which
// log shippers depend on byte for byte; and the config keys that set them.
import { describe, expect, it } from 'vitest';
import {
  containerIdFromLegacySymlink,
  containerLogPath,
  legacyLinksToRemove,
  legacyLogSymlink,
  podLogDirsToRemove,
  podLogsDirectory,
  podUidFromLogsDirectory,
} from '../../../agent/podlogs/log-paths.js';
import { dockerLogConfig, withContainerLog } from '../../../agent/runtime/docker/log-options.js';
import { resolveConfig } from '../../../agent/config/config.js';

const ID = 'a'.repeat(64);

describe('kubelet log paths', () => {
  it('pod dir <ns>_<pod>_<uid>, container file <container>/<restart>.log', () => {
    expect(podLogsDirectory('/var/log/pods', 'kube-system', 'fluentd-x', 'u-1')).toBe('/var/log/pods/kube-system_fluentd-x_u-1');
    expect(containerLogPath('/var/log/pods', 'default', 'web-node1', '0123', 'app', 3)).toBe('/var/log/pods/default_web-node1_0123/app/3.log');
  });

  it('legacy link <pod>_<ns>_<container>-<id>.log in /var/log/containers', () => {
    expect(legacyLogSymlink('/var/log/containers', ID, 'app', 'web-node1', 'default')).toBe(`/var/log/containers/web-node1_default_app-${ID}.log`);
    expect(containerIdFromLegacySymlink(`web-node1_default_app-${ID}.log`)).toBe(ID);
    // A cut name keeps a prefix of the ID (at least 6 characters, as getContainerIDFromLegacyLogSymlink).
    expect(containerIdFromLegacySymlink('p_ns_c-abcdef.log')).toBe('abcdef');
    expect(containerIdFromLegacySymlink('p_ns_c-abcde.log')).toBeUndefined();
  });

  it('cuts the legacy name before .log so the whole name is 255 bytes (ext4)', () => {
    const pod = 'p'.repeat(200);
    const link = legacyLogSymlink('/d', ID, 'c', pod, 'ns');
    const name = link.slice('/d/'.length);
    expect(Buffer.byteLength(name)).toBe(255);
    expect(name.endsWith('.log')).toBe(true);
    expect(name.startsWith(`${pod}_ns_c-`)).toBe(true);
  });

  it('reads the UID from the last _ field (new and old layouts)', () => {
    expect(podUidFromLogsDirectory('default_web_abc')).toBe('abc');
    expect(podUidFromLogsDirectory('abc')).toBe('abc');
  });
});

describe('log GC choices', () => {
  it('removes pod dirs only of pods not in use whose logs are all gone; ignores other names', () => {
    const dirs = [
      { name: 'default_a_u1', hasLiveLogs: false },
      { name: 'default_b_u2', hasLiveLogs: false },
      { name: 'default_c_u3', hasLiveLogs: true },
      { name: 'not-a-pod-dir', hasLiveLogs: false },
    ];
    expect(podLogDirsToRemove(dirs, (uid) => uid === 'u2')).toEqual(['default_a_u1']);
  });

  it('removes dangling .log links except those of running containers (rotation window)', () => {
    const links = [
      { name: `a_ns_c-${ID}.log`, isSymlink: true, targetExists: false },
      { name: `b_ns_c-${'b'.repeat(64)}.log`, isSymlink: true, targetExists: false },
      { name: `c_ns_c-${'c'.repeat(64)}.log`, isSymlink: true, targetExists: true },
      { name: 'regular.log', isSymlink: false, targetExists: false },
      { name: 'other-link', isSymlink: true, targetExists: false },
    ];
    expect(legacyLinksToRemove(links, (id) => id === 'b'.repeat(64))).toEqual([`a_ns_c-${ID}.log`]);
  });
});

describe('containerLogMaxSize / containerLogMaxFiles as Docker json-file options', () => {
  it('max-size in bytes and max-file; a negative size sets no limit', () => {
    expect(dockerLogConfig({ maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 })).toEqual({ Type: 'json-file', Config: { 'max-size': '10485760', 'max-file': '5' } });
    expect(dockerLogConfig({ maxSizeBytes: -1, maxFiles: 5 })).toEqual({ Type: 'json-file', Config: {} });
  });

  it('adds the logpath label (containers only) and keeps the other labels and host config', () => {
    const opts = withContainerLog({ Labels: { a: 'b' }, HostConfig: { NetworkMode: 'none' } }, { maxSizeBytes: 2048, maxFiles: 2 }, '/var/log/pods/x/c/0.log');
    expect(opts.Labels).toEqual({ a: 'b', 'io.kubernetes.container.logpath': '/var/log/pods/x/c/0.log' });
    expect(opts.HostConfig).toEqual({ NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: { 'max-size': '2048', 'max-file': '2' } } });
    expect(withContainerLog({}, { maxSizeBytes: 2048, maxFiles: 2 }, undefined).Labels).toEqual({});
  });

  it('config: kubelet defaults 10Mi and 5, /var/log/pods and /var/log/containers; bad values refused', () => {
    const base = { flags: {}, env: {}, hostname: 'node1' };
    const c = resolveConfig(base);
    expect(c.containerLogMaxSizeBytes).toBe(10 * 1024 * 1024);
    expect(c.containerLogMaxFiles).toBe(5);
    expect(c.podLogsDir).toBe('/var/log/pods');
    expect(c.containerLogsDir).toBe('/var/log/containers');
    const f = resolveConfig({ ...base, file: { containerLogMaxSize: '100Ki', containerLogMaxFiles: 2, podLogsDir: '/srv/pods' } });
    expect([f.containerLogMaxSizeBytes, f.containerLogMaxFiles, f.podLogsDir]).toEqual([102400, 2, '/srv/pods']);
    expect(() => resolveConfig({ ...base, flags: { containerLogMaxFiles: '1' } })).toThrow(/containerLogMaxFiles/);
    expect(() => resolveConfig({ ...base, flags: { containerLogMaxSize: 'ten' } })).toThrow(/containerLogMaxSize: invalid quantity/);
    expect(() => resolveConfig({ ...base, flags: { podLogsDir: 'rel' } })).toThrow(/podLogsDir/);
  });
});
