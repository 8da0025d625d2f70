// What registered plugins add to the Node (pure): the csi.volume.kubernetes.io/nodeid
// annotation (nodeinfomanager), the device plugins' resources in capacity and allocatable
// (devicemanager GetCapacity), and the CSINode spec `describe node` shows.
import type { Node } from 'kubernetes-types/core/v1.js';
import { csiNodeDrivers, deviceResourceLists, NODE_ID_ANNOTATION, nodeIdAnnotation, type CsiDriverInfo, type CsiNodeDriver, type DeviceResource } from './registration.js';

export interface NodePluginState {
  readonly csiDrivers: readonly CsiDriverInfo[];
  readonly deviceResources: readonly DeviceResource[];
}

export const NO_PLUGINS: NodePluginState = { csiDrivers: [], deviceResources: [] };

/** The node with the plugins' annotation and extended resources (a copy). */
export function withPlugins(node: Node, state: NodePluginState): Node {
  const annotations = { ...(node.metadata?.annotations ?? {}) };
  const nodeIds = nodeIdAnnotation(undefined, state.csiDrivers);
  if (nodeIds === undefined) delete annotations[NODE_ID_ANNOTATION];
  else annotations[NODE_ID_ANNOTATION] = nodeIds;
  const devices = deviceResourceLists(state.deviceResources);
  const status = node.status ?? {};
  return {
    ...node,
    metadata: { ...node.metadata, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    status: {
      ...status,
      capacity: { ...(status.capacity ?? {}), ...devices.capacity },
      allocatable: { ...(status.allocatable ?? {}), ...devices.allocatable },
    },
  };
}

/** The CSINode spec.drivers of the registered drivers. */
export function csiNodeSpec(state: NodePluginState): { drivers: CsiNodeDriver[] } {
  return { drivers: csiNodeDrivers(state.csiDrivers) };
}
