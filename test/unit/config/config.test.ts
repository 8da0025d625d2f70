import { describe, expect, it } from 'vitest';
import { envName, resolveConfig } from '../../../agent/config/config.js';
import { parseDuration } from '../../../agent/core/duration.js';
import { formatGoDuration } from '../../../agent/core/go-duration.js';

const base = { flags: {}, env: {}, hostname: 'Host-1' };

describe('resolveConfig', () => {
  it('applies defaults', () => {
    const c = resolveConfig(base);
    expect(c.manifestDir).toBe('/etc/kubernetes/manifests');
    expect(c.stateDir).toBe('/var/lib/nodelet');
    expect(c.nodeName).toBe('host-1');
    expect(c.dockerHost).toBe('unix:///var/run/docker.sock');
    expect(c.apiSocket).toBe('/run/nodelet/nodelet.sock');
    expect(c.podInfraImage).toBe('registry.k8s.io/pause:3.10');
    expect(c.podNetwork).toBe('bridge');
    expect(c.resyncPeriodMs).toBe(10_000);
    expect(c.fileCheckFrequencyMs).toBe(20_000);
    expect(c.fileDebounceMs).toBe(50);
    expect(c.crashLoopBackOff).toEqual({ initialMs: 10_000, maxMs: 300_000 });
  });

  it('flags win over env, env over the file, the file over defaults', () => {
    const c = resolveConfig({
      ...base,
      file: { manifestDir: '/file', stateDir: '/file-state', logLevel: 'debug', parallelism: 3 },
      env: { NODELET_MANIFEST_DIR: '/env', NODELET_STATE_DIR: '/env-state', DOCKER_HOST: 'unix:///tmp/d.sock' },
      flags: { manifestDir: '/flag' },
    });
    expect(c.manifestDir).toBe('/flag');
    expect(c.stateDir).toBe('/env-state');
    expect(c.logLevel).toBe('debug');
    expect(c.parallelism).toBe(3);
    expect(c.dockerHost).toBe('unix:///tmp/d.sock');
  });

  it('accepts podManifestPath in the file as kubelet names it', () => {
    expect(resolveConfig({ ...base, file: { podManifestPath: '/k/' } }).manifestDir).toBe('/k');
  });

  it('rejects a bad config with every problem listed', () => {
    expect(() =>
      resolveConfig({ ...base, configFile: '/etc/nodelet/config.yaml', file: { manifestDri: '/x', parallelism: 0 } }),
    ).toThrowError(/\/etc\/nodelet\/config.yaml: must NOT have additional properties "manifestDri"[\s\S]*parallelism: must be >= 1/);
    expect(() => resolveConfig({ ...base, flags: { logLevel: 'loud' } })).toThrowError(
      'logLevel: unsupported value "loud": supported values: "trace", "debug", "info", "warn", "error", "fatal", "silent"',
    );
    expect(() => resolveConfig({ ...base, flags: { resyncPeriod: 'soon' } })).toThrowError(/resyncPeriod: invalid duration "soon"/);
    expect(() => resolveConfig({ ...base, flags: { nodeName: 'bad_name' } })).toThrowError(/not a valid DNS-1123 subdomain/);
  });

  it('names environment variables NODELET_*', () => {
    expect(envName('manifestDir')).toBe('NODELET_MANIFEST_DIR');
    expect(envName('podInfraImage')).toBe('NODELET_POD_INFRA_IMAGE');
  });
});

describe('durations', () => {
  it.each([
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['250ms', 250],
    ['2', 2000],
    [5, 5000],
    ['1h', 3_600_000],
  ] as const)('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it('rejects junk', () => {
    expect(parseDuration('10 s')).toBeUndefined();
    expect(parseDuration('x')).toBeUndefined();
  });
  it.each([
    [10_000, '10s'],
    [80_000, '1m20s'],
    [300_000, '5m0s'],
    [3_600_000, '1h0m0s'],
    [250, '250ms'],
  ])('formats %d as Go does', (ms, text) => expect(formatGoDuration(ms)).toBe(text));
});
