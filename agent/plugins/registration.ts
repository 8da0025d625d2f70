// The pure parts of kubelet plugin registration (kubelet-node-contract.md 4.1-4.3): plugin
// types, the errors the kubelet sends back in NotifyRegistrationStatus, CSI version selection
// (k8s.io/apimachinery util/version HighestSupportedVersion, pkg/volume/csi validateVersions),
// and what nodeinfomanager writes for the registered drivers (the csi.volume.kubernetes.io/nodeid
// annotation, CSINode spec.drivers). No I/O: the watcher and the gRPC adapters use these.

/** pluginregistration constants.go. */
export const PLUGIN_TYPE = { csi: 'CSIPlugin', device: 'DevicePlugin', dra: 'DRAPlugin' } as const;

/** nodeinfomanager annotationKeyNodeID. */
export const NODE_ID_ANNOTATION = 'csi.volume.kubernetes.io/nodeid';

/** The kubelet's plugin manager messages (operationexecutor/operation_generator.go). */
export const REGISTER_ERRORS = {
  noHandler: (type: string, socket: string): string => `RegisterPlugin error -- no handler registered for plugin type: ${type} at socket ${socket}`,
  validation: (err: string): string => `RegisterPlugin error -- plugin validation failed with err: ${err}`,
  registration: (err: string): string => `RegisterPlugin error -- plugin registration failed with err: ${err}`,
} as const;

/** What GetInfo answered, as the plugin manager uses it. */
export interface PluginInfo {
  readonly type: string;
  readonly name: string;
  /** The registration socket when the plugin left it empty (step 4 of the handshake). */
  readonly endpoint: string;
  readonly supportedVersions: readonly string[];
}

/** GetInfo's answer with an empty endpoint replaced by the registration socket. */
export function normalizeInfo(raw: { type?: string; name?: string; endpoint?: string; supported_versions?: readonly string[] }, socket: string): PluginInfo {
  return {
    type: raw.type ?? '',
    name: raw.name ?? '',
    endpoint: raw.endpoint ? raw.endpoint : socket,
    supportedVersions: [...(raw.supported_versions ?? [])],
  };
}

/** A generic version (util/version ParseGeneric): two or more numeric fields, then anything. */
export interface GenericVersion {
  readonly components: readonly number[];
  readonly text: string;
}

const GENERIC = /^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)$/;

/** ParseGeneric: undefined plus the error text when `text` is not a generic version. */
export function parseGenericVersion(text: string): { ok: true; version: GenericVersion } | { ok: false; error: string } {
  const m = GENERIC.exec(text);
  if (!m?.[1]) return { ok: false, error: `could not parse ${JSON.stringify(text)} as version` };
  const parts = m[1].split('.');
  if (parts.length < 2) return { ok: false, error: `illegal version string ${JSON.stringify(text)}` };
  if (parts[0] !== '0' && parts[0]?.startsWith('0')) return { ok: false, error: `illegal zero-prefixed version component ${JSON.stringify(parts[0])} in ${JSON.stringify(text)}` };
  return { ok: true, version: { components: parts.map((p) => Number.parseInt(p, 10)), text: parts.join('.') } };
}

function lessThan(a: GenericVersion, b: GenericVersion): boolean {
  const n = Math.max(a.components.length, b.components.length);
  for (let i = 0; i < n; i++) {
    const x = a.components[i] ?? 0;
    const y = b.components[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

/** Go's %q of a []string: ["a" "b"]. */
function goQuoteList(items: readonly string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/**
 * HighestSupportedVersion: the highest 1.x version of the list (2.x and later are ignored, as
 * the kubelet cannot assume they are compatible); an error when there is none.
 */
export function highestSupportedVersion(versions: readonly string[]): { ok: true; version: GenericVersion } | { ok: false; error: string } {
  if (versions.length === 0) return { ok: false, error: 'empty array for supported versions' };
  let highest: GenericVersion | undefined;
  let lastError: string | undefined;
  for (let i = versions.length - 1; i >= 0; i--) {
    const parsed = parseGenericVersion(versions[i] ?? '');
    if (!parsed.ok) {
      lastError = parsed.error;
      continue;
    }
    if ((parsed.version.components[0] ?? 0) > 1) continue;
    if (highest === undefined || lessThan(highest, parsed.version)) highest = parsed.version;
  }
  if (highest === undefined) return { ok: false, error: `could not find a highest supported version from versions ([${versions.join(' ')}]) reported: ${lastError ?? '<nil>'}` };
  if (highest.components[0] !== 1) return { ok: false, error: `highest supported version reported is ${highest.text}, must be v1.x` };
  return { ok: true, version: highest };
}

/**
 * csi_plugin.go validateVersions (ValidatePlugin and RegisterPlugin): the driver's highest 1.x
 * version, and higher than that of a driver of the same name already registered.
 */
export function validateCsiVersions(caller: 'ValidatePlugin' | 'RegisterPlugin', name: string, versions: readonly string[], existing?: GenericVersion): { ok: true; version: GenericVersion } | { ok: false; error: string } {
  const prefix = 'kubernetes.io/csi: ';
  if (versions.length === 0) return { ok: false, error: `${prefix}${caller} for CSI driver ${JSON.stringify(name)} failed. Plugin returned an empty list for supported versions` };
  const highest = highestSupportedVersion(versions);
  if (!highest.ok) return { ok: false, error: `${prefix}${caller} for CSI driver ${JSON.stringify(name)} failed. None of the versions specified ${goQuoteList(versions)} are supported. err=${highest.error}` };
  if (existing !== undefined && !lessThan(existing, highest.version)) {
    return { ok: false, error: `${prefix}${caller} for CSI driver ${JSON.stringify(name)} failed. Another driver with the same name is already registered with a higher supported version: ${JSON.stringify(existing.text)}` };
  }
  return highest;
}

/** ValidatePlugin's wrapping of the version error. */
export function csiValidationError(name: string, endpoint: string, error: string): string {
  return `validation failed for CSI Driver ${name} at endpoint ${endpoint}: ${error}`;
}

/** A registered CSI driver: what NodeGetInfo answered. */
export interface CsiDriverInfo {
  readonly name: string;
  readonly endpoint: string;
  readonly version: string;
  readonly nodeId: string;
  /** max_volumes_per_node; 0 = not reported. */
  readonly maxVolumesPerNode: number;
  /** accessible_topology.segments. */
  readonly topology: Readonly<Record<string, string>>;
}

/** nodeinfomanager InstallCSIDriver's first check. */
export function checkNodeInfo(nodeId: string, maxVolumes: number): string | undefined {
  if (nodeId === '') return 'error adding CSI driver node info: driverNodeID must not be empty';
  if (maxVolumes < 0) return `error adding CSI driver node info: maxAttachLimit must not be negative, got ${maxVolumes}`;
  return undefined;
}

/** Go's json.Marshal of a map[string]string: keys sorted, no spaces. */
function goJsonMap(entries: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(entries).sort()) sorted[k] = entries[k] ?? '';
  return JSON.stringify(sorted);
}

/**
 * The csi.volume.kubernetes.io/nodeid value with the drivers' node IDs merged into what the
 * Node holds (entries of other drivers are kept, removed drivers dropped); undefined when no
 * entry is left (the annotation is removed). A value that is not a JSON map is replaced.
 */
export function nodeIdAnnotation(previous: string | undefined, drivers: readonly Pick<CsiDriverInfo, 'name' | 'nodeId'>[], removed: readonly string[] = []): string | undefined {
  let map: Record<string, string> = {};
  if (previous) {
    try {
      const parsed: unknown = JSON.parse(previous);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') map[k] = v;
      }
    } catch {
      map = {};
    }
  }
  for (const name of removed) delete map[name];
  for (const d of drivers) map[d.name] = d.nodeId;
  return Object.keys(map).length === 0 ? undefined : goJsonMap(map);
}

/** storage.k8s.io/v1 CSINodeDriver. */
export interface CsiNodeDriver {
  readonly name: string;
  readonly nodeID: string;
  readonly topologyKeys: string[];
  readonly allocatable?: { readonly count: number };
}

/** installDriverToCSINode: topology keys sorted, allocatable only for a positive limit; drivers by name. */
export function csiNodeDrivers(drivers: readonly CsiDriverInfo[]): CsiNodeDriver[] {
  return [...drivers]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((d) => ({
      name: d.name,
      nodeID: d.nodeId,
      topologyKeys: Object.keys(d.topology).sort(),
      ...(d.maxVolumesPerNode > 0 ? { allocatable: { count: d.maxVolumesPerNode } } : {}),
    }));
}

/** A CSINode object for `node` (owned by the Node when its uid is known). */
export function csiNodeObject(nodeName: string, drivers: readonly CsiDriverInfo[], nodeUid?: string): CsiNode {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'CSINode',
    metadata: {
      name: nodeName,
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] } : {}),
    },
    spec: { drivers: csiNodeDrivers(drivers) },
  };
}

export interface CsiNode {
  apiVersion: 'storage.k8s.io/v1';
  kind: 'CSINode';
  metadata: { name: string; resourceVersion?: string; uid?: string; ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[] };
  spec: { drivers: CsiNodeDriver[] };
}

/** Device plugin API versions the kubelet accepts (deviceplugin/v1beta1 constants.go). */
export const DEVICE_PLUGIN_VERSIONS = ['v1beta1'] as const;

/** A device plugin's devices as the node reports them: capacity counts all, allocatable the healthy. */
export interface DeviceResource {
  readonly resourceName: string;
  readonly healthy: number;
  readonly unhealthy: number;
}

/** devicemanager Register's checks; the error text is what the plugin receives. */
export function checkDeviceRegistration(req: { version?: string; resource_name?: string; endpoint?: string }): string | undefined {
  const version = req.version ?? '';
  if (!(DEVICE_PLUGIN_VERSIONS as readonly string[]).includes(version)) {
    return `requested API version ${JSON.stringify(version)} is not supported by kubelet. Supported versions are ${goQuoteList(DEVICE_PLUGIN_VERSIONS)}`;
  }
  const name = req.resource_name ?? '';
  if (!isExtendedResourceName(name)) return `the ResourceName ${JSON.stringify(name)} is invalid`;
  const endpoint = req.endpoint ?? '';
  if (endpoint === '' || endpoint.includes('/') || endpoint === '.' || endpoint === '..') return `invalid endpoint ${JSON.stringify(endpoint)}: it must be a socket name in the device-plugins directory`;
  return undefined;
}

/** v1helper.IsExtendedResourceName: a qualified name outside kubernetes.io, not requests.*. */
export function isExtendedResourceName(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash <= 0 || name.indexOf('/', slash + 1) !== -1) return false;
  const prefix = name.slice(0, slash);
  const base = name.slice(slash + 1);
  if (prefix === 'kubernetes.io' || prefix.endsWith('.kubernetes.io') || name.startsWith('requests.')) return false;
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix) && prefix.length <= 253 && /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(base) && base.length <= 63;
}

/** Node capacity and allocatable entries of the device plugins' resources. */
export function deviceResourceLists(resources: readonly DeviceResource[]): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const capacity: Record<string, string> = {};
  const allocatable: Record<string, string> = {};
  for (const r of resources) {
    capacity[r.resourceName] = String(r.healthy + r.unhealthy);
    allocatable[r.resourceName] = String(r.healthy);
  }
  return { capacity, allocatable };
}
