// The kubelet's CSI plugin registration handler (pkg/volume/csi/csi_plugin.go
// RegistrationHandler, with nodeinfomanager's InstallCSIDriver/UninstallCSIDriver): validates
// the versions a registering driver supports, asks the driver for its node info with
// Node.NodeGetInfo over its endpoint, and keeps the registered drivers, which the node status,
// `describe node` and the API server reporter read. An adapter (gRPC) around pure checks.
import type { Logger } from '../log/logger.js';
import { grpcErrorText, pluginServices, unary, unixClient } from './grpc-api.js';
import { checkNodeInfo, csiValidationError, validateCsiVersions, type CsiDriverInfo, type GenericVersion } from './registration.js';
import type { PluginHandler } from './plugin-watcher.js';

/** csiTimeout: how long NodeGetInfo may take. */
export const CSI_TIMEOUT_MS = 2 * 60_000;

interface NodeGetInfoResponse {
  node_id?: string;
  max_volumes_per_node?: string | number;
  accessible_topology?: { segments?: Record<string, string> } | null;
}

export class CsiDrivers implements PluginHandler {
  readonly #drivers = new Map<string, CsiDriverInfo & { readonly parsedVersion: GenericVersion }>();
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #listeners = new Set<() => void>();

  constructor(deps: { logger: Logger; timeoutMs?: number }) {
    this.#log = deps.logger;
    this.#timeoutMs = deps.timeoutMs ?? CSI_TIMEOUT_MS;
  }

  /** The registered drivers, by name. */
  list(): CsiDriverInfo[] {
    return [...this.#drivers.values()].map(({ parsedVersion: _v, ...d }) => d).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Called after every change of the driver set (the reporter syncs the Node and CSINode). */
  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  validate(name: string, endpoint: string, versions: readonly string[]): void {
    const r = validateCsiVersions('ValidatePlugin', name, versions, this.#drivers.get(name)?.parsedVersion);
    if (!r.ok) throw new Error(csiValidationError(name, endpoint, r.error));
  }

  async register(name: string, endpoint: string, versions: readonly string[]): Promise<void> {
    const v = validateCsiVersions('RegisterPlugin', name, versions, this.#drivers.get(name)?.parsedVersion);
    if (!v.ok) throw new Error(v.error);
    const client = unixClient(pluginServices().csiNode, endpoint);
    let info: NodeGetInfoResponse;
    try {
      info = await unary<object, NodeGetInfoResponse>(client, 'NodeGetInfo', {}, this.#timeoutMs);
    } catch (err) {
      throw new Error(grpcErrorText(err), { cause: err });
    } finally {
      client.close();
    }
    const nodeId = info.node_id ?? '';
    const maxVolumesPerNode = Number(info.max_volumes_per_node ?? 0);
    const bad = checkNodeInfo(nodeId, maxVolumesPerNode);
    if (bad) throw new Error(bad);
    const driver = { name, endpoint, version: v.version.text, parsedVersion: v.version, nodeId, maxVolumesPerNode, topology: { ...(info.accessible_topology?.segments ?? {}) } };
    this.#drivers.set(name, driver);
    this.#log.info({ driver: name, endpoint, nodeId, maxVolumesPerNode, topology: driver.topology, version: driver.version }, 'CSI driver registered');
    this.#changed();
  }

  deregister(name: string, endpoint: string): void {
    const d = this.#drivers.get(name);
    // A driver registered again from another endpoint meanwhile is not the one going away.
    if (!d || d.endpoint !== endpoint) return;
    this.#drivers.delete(name);
    this.#log.info({ driver: name, endpoint }, 'CSI driver deregistered');
    this.#changed();
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}
