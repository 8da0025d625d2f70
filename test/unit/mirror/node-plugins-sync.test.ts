// Registered plugins reported to an API server (FakeApiServer, which serves storage.k8s.io/v1
// CSINode with NodeRestriction's rule): the csi.volume.kubernetes.io/nodeid annotation merged
// with other entries as nodeinfomanager does, the CSINode named after the node and owned by
// it, and device plugin resources in the Node's capacity and allocatable.
import { afterEach, describe, expect, it } from 'vitest';
import { reporterFixture, type ReporterFixture } from '../../fake-apiserver/harness.js';
import type { JsonObject } from '../../fake-apiserver/patch.js';
import type { NodePluginState } from '../../../agent/plugins/node-plugins.js';
import type { CsiDriverInfo } from '../../../agent/plugins/registration.js';

const fixtures: ReporterFixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.stop()));
});

const driver = (name: string, nodeId: string, over: Partial<CsiDriverInfo> = {}): CsiDriverInfo => ({ name, endpoint: `/var/lib/kubelet/plugins/${name}/csi.sock`, version: '1.0.0', nodeId, maxVolumesPerNode: 0, topology: {}, ...over });
const obj = (v: unknown): JsonObject => v as JsonObject;

describe('plugins reported to the API server', () => {
  it('annotates node IDs, keeps CSINode in step with the drivers and reports device resources', async () => {
    let state: NodePluginState = {
      csiDrivers: [driver('a.csi.io', 'n1', { maxVolumesPerNode: 5, topology: { 'topology.a.csi.io/zone': 'z1' } })],
      deviceResources: [{ resourceName: 'example.com/dev', healthy: 2, unhealthy: 1 }],
    };
    const f = await reporterFixture({ deps: { nodePlugins: () => state } });
    fixtures.push(f);
    await f.advance(0);
    const node = f.fake.get('nodes', undefined, 'node-a');
    expect(obj(obj(node?.metadata).annotations)['csi.volume.kubernetes.io/nodeid']).toBe('{"a.csi.io":"n1"}');
    expect(obj(obj(node?.status).capacity)['example.com/dev']).toBe('3');
    expect(obj(obj(node?.status).allocatable)['example.com/dev']).toBe('2');
    const csiNode = f.fake.get('csinodes', undefined, 'node-a');
    expect(obj(csiNode?.spec)).toEqual({ drivers: [{ name: 'a.csi.io', nodeID: 'n1', topologyKeys: ['topology.a.csi.io/zone'], allocatable: { count: 5 } }] });
    expect(obj(csiNode?.metadata).ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: obj(node?.metadata).uid }]);

    // Another writer's entry is kept; a second driver is merged in.
    f.fake.modify('nodes', undefined, 'node-a', (n) => {
      obj(obj(n.metadata).annotations)['csi.volume.kubernetes.io/nodeid'] = '{"a.csi.io":"n1","other.csi.io":"x"}';
    });
    state = { ...state, csiDrivers: [...state.csiDrivers, driver('b.csi.io', 'n2')] };
    await f.advance(10_000);
    expect(obj(obj(f.fake.get('nodes', undefined, 'node-a')?.metadata).annotations)['csi.volume.kubernetes.io/nodeid']).toBe('{"a.csi.io":"n1","b.csi.io":"n2","other.csi.io":"x"}');
    expect((obj(f.fake.get('csinodes', undefined, 'node-a')?.spec).drivers as unknown as { name: string }[]).map((d) => d.name)).toEqual(['a.csi.io', 'b.csi.io']);

    // Deregistered drivers leave the annotation and CSINode; the device plugin's devices are gone.
    state = { csiDrivers: [], deviceResources: [{ resourceName: 'example.com/dev', healthy: 0, unhealthy: 3 }] };
    await f.advance(10_000);
    const after = f.fake.get('nodes', undefined, 'node-a');
    expect(obj(obj(after?.metadata).annotations)['csi.volume.kubernetes.io/nodeid']).toBe('{"other.csi.io":"x"}');
    expect(obj(obj(after?.status).allocatable)['example.com/dev']).toBe('0');
    expect(obj(f.fake.get('csinodes', undefined, 'node-a')?.spec)).toEqual({ drivers: [] });
  });

  it('creates an empty CSINode at registration when no driver is registered (initializeCSINode)', async () => {
    const f = await reporterFixture({ deps: { nodePlugins: () => ({ csiDrivers: [], deviceResources: [] }) } });
    fixtures.push(f);
    await f.advance(0);
    expect(obj(f.fake.get('csinodes', undefined, 'node-a')?.spec)).toEqual({ drivers: [] });
    expect(obj(f.fake.get('nodes', undefined, 'node-a')?.metadata).annotations ?? {}).not.toHaveProperty('csi.volume.kubernetes.io/nodeid');
  });
});
