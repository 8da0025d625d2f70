// The node identity module (agent/node/node-identity.ts): automatic, config and runtime labels
// and taints; `label|taint node` persist only the overlay; listeners hear each real change.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../agent/log/logger.js';
import { NodeIdentityManager } from '../../../agent/node/node-identity.js';
import { EMPTY_OVERLAY, type NodeOverlay } from '../../../agent/node/node-model.js';

function manager(stored: NodeOverlay = EMPTY_OVERLAY) {
  const saved: NodeOverlay[] = [];
  const node = new NodeIdentityManager({
    name: 'n1',
    platform: 'linux',
    arch: 'x64',
    labels: { tier: 'edge' },
    taints: [],
    store: { load: async () => stored, save: async (o) => void saved.push(o) },
    logger: createLogger({ level: 'silent' }),
  });
  const changes: string[] = [];
  node.onChange((n) => changes.push(JSON.stringify(n.labels)));
  return { node, saved, changes };
}

describe('NodeIdentityManager', () => {
  it('layers automatic, config and stored labels; a label command saves only the overlay and tells listeners', async () => {
    const { node, saved, changes } = manager({ labels: { ssd: 'true' }, taints: { set: [], removed: [] } });
    await node.load();
    expect(node.current().labels).toMatchObject({ 'kubernetes.io/hostname': 'n1', 'kubernetes.io/arch': 'amd64', tier: 'edge', ssd: 'true' });

    expect(await node.label(['zone=a'], false)).toEqual({ ok: true, message: 'node/n1 labeled', notices: [] });
    expect(saved.at(-1)?.labels).toEqual({ ssd: 'true', zone: 'a' });
    expect(changes).toHaveLength(1);
    // Nothing changes: nothing saved, nobody told.
    await node.label(['zone=a'], true);
    expect(saved).toHaveLength(1);
    expect(changes).toHaveLength(1);
    expect(await node.label(['zone=b'], false)).toMatchObject({ ok: false });

    // SIGHUP: new config labels, the overlay stays on top.
    node.setConfig({ tier: 'core' }, [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }]);
    expect(node.current().labels).toMatchObject({ tier: 'core', ssd: 'true', zone: 'a' });
    expect(node.current().taints).toEqual([{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }]);
    expect(changes).toHaveLength(2);

    expect(await node.taint(['dedicated:NoSchedule-'], false)).toEqual({ ok: true, message: 'node/n1 untainted' });
    expect(node.current().taints).toEqual([]);
  });
});
