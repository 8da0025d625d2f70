import { describe, expect, it } from 'vitest';
import { resolveConfig, type AgentConfig } from '../../../agent/config/config.js';
import { applyReload, diffConfig } from '../../../agent/systemd/config-reload.js';

function config(file: Record<string, unknown> = {}): AgentConfig {
  return resolveConfig({ flags: {}, env: {}, file, configFile: '/etc/nodelet/config.yaml', hostname: 'node1' });
}

describe('diffConfig', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, { changed: string[]; applied: string[]; needsRestart: string[] }]>([
    ['nothing changed', { logLevel: 'info' }, {}, { changed: [], applied: [], needsRestart: [] }],
    ['log level applies at once', {}, { logLevel: 'debug' }, { changed: ['logLevel'], applied: ['logLevel'], needsRestart: [] }],
    [
      'labels and taints apply at once',
      { nodeLabels: { a: '1' } },
      { nodeLabels: { a: '2' }, nodeTaints: [{ key: 'k', effect: 'NoSchedule' }] },
      { changed: ['nodeLabels', 'nodeTaints'], applied: ['nodeLabels', 'nodeTaints'], needsRestart: [] },
    ],
    ['the same labels in another order are no change', { nodeLabels: { a: '1', b: '2' } }, { nodeLabels: { b: '2', a: '1' } }, { changed: [], applied: [], needsRestart: [] }],
    [
      'settings read at start wait for a restart',
      {},
      { manifestDir: '/srv/manifests', resyncPeriod: '30s', logLevel: 'warn', crashLoopBackOff: { initial: '1s' } },
      { changed: ['manifestDir', 'resyncPeriodMs', 'logLevel', 'crashLoopBackOff'], applied: ['logLevel'], needsRestart: ['manifestDir', 'resyncPeriodMs', 'crashLoopBackOff'] },
    ],
  ])('%s', (_name, before, after, expected) => {
    expect(diffConfig(config(before), config(after))).toEqual(expected);
  });

  it('does not count where the config came from as a change', () => {
    const a = config();
    const b = resolveConfig({ flags: {}, env: {}, hostname: 'node1' });
    expect(diffConfig(a, b).changed).toEqual([]);
  });
});

describe('applyReload', () => {
  it('takes the reloadable settings and keeps the rest', () => {
    const running = config({ logLevel: 'info', manifestDir: '/a' });
    const next = config({ logLevel: 'debug', manifestDir: '/b', nodeLabels: { zone: 'z1' }, nodeTaints: [{ key: 'k', effect: 'NoExecute' }] });
    const applied = applyReload(running, next);
    expect(applied.logLevel).toBe('debug');
    expect(applied.nodeLabels).toEqual({ zone: 'z1' });
    expect(applied.nodeTaints).toEqual([{ key: 'k', effect: 'NoExecute' }]);
    expect(applied.manifestDir).toBe('/a');
    expect(Object.isFrozen(applied)).toBe(true);
  });
});
