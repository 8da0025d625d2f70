import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isNodeletError } from '../../../agent/core/errors.js';
import { EMPTY_OVERLAY, type NodeOverlay } from '../../../agent/node/node-model.js';
import { NodeStore, nodeStatePath, parseNodeOverlay } from '../../../agent/node/node-store.js';

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'nodelet-node-store-'));
  dirs.push(d);
  return join(d, 'state');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const overlay: NodeOverlay = {
  labels: { ssd: 'true', zone: null },
  taints: { set: [{ key: 'gpu', value: 'a100', effect: 'NoSchedule' }, { key: 'x', effect: 'NoExecute' }], removed: [{ key: 'cfg', effect: 'PreferNoSchedule' }] },
};

describe('NodeStore', () => {
  it('loads an empty overlay when nothing was stored', async () => {
    expect(await new NodeStore(stateDir()).load()).toEqual(EMPTY_OVERLAY);
  });

  it('round-trips the overlay through an atomic, private file', async () => {
    const dir = stateDir();
    await new NodeStore(dir).save(overlay);
    expect(await new NodeStore(dir).load()).toEqual(overlay);
    expect(statSync(nodeStatePath(dir)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(nodeStatePath(dir), 'utf8'))).toMatchObject({ version: 1 });
  });

  it('reports a corrupt file as NLT_STATE', async () => {
    const dir = stateDir();
    await new NodeStore(dir).save(EMPTY_OVERLAY);
    writeFileSync(nodeStatePath(dir), '{not json');
    await expect(new NodeStore(dir).load()).rejects.toSatisfy((e: unknown) => isNodeletError(e, 'NLT_STATE'));
  });

  it.each([
    [[], 'expected a JSON object'],
    [{ version: 2 }, 'unsupported version 2'],
    [{ version: 1, labels: { a: 1 } }, 'label a: value must be a string or null'],
    [{ version: 1, taints: { set: [{ key: 'a', effect: 'Sometimes' }] } }, 'invalid taint {"key":"a","effect":"Sometimes"}'],
  ])('rejects %j', (json, error) => {
    expect(parseNodeOverlay(json)).toEqual({ ok: false, error });
  });
});
