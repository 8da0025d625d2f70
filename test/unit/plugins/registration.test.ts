// Pure parts of plugin registration: GetInfo normalisation, CSI version selection and its
// errors (as csi_plugin.go validateVersions and util/version HighestSupportedVersion word
// them), the nodeid annotation JSON, CSINode drivers, device plugin registration checks.
import { describe, expect, it } from 'vitest';
import {
  checkDeviceRegistration,
  checkNodeInfo,
  csiNodeDrivers,
  csiNodeObject,
  deviceResourceLists,
  highestSupportedVersion,
  isExtendedResourceName,
  nodeIdAnnotation,
  normalizeInfo,
  parseGenericVersion,
  REGISTER_ERRORS,
  validateCsiVersions,
  type CsiDriverInfo,
} from '../../../agent/plugins/registration.js';
import { withPlugins } from '../../../agent/plugins/node-plugins.js';

const driver = (name: string, over: Partial<CsiDriverInfo> = {}): CsiDriverInfo => ({ name, endpoint: `/p/${name}/csi.sock`, version: '1.0.0', nodeId: `${name}-node`, maxVolumesPerNode: 0, topology: {}, ...over });

describe('GetInfo', () => {
  it('replaces an empty endpoint with the registration socket (operation_generator step 4)', () => {
    expect(normalizeInfo({ type: 'CSIPlugin', name: 'd', endpoint: '', supported_versions: ['1.0.0'] }, '/reg/d-reg.sock')).toEqual({ type: 'CSIPlugin', name: 'd', endpoint: '/reg/d-reg.sock', supportedVersions: ['1.0.0'] });
    expect(normalizeInfo({ type: 'CSIPlugin', name: 'd', endpoint: '/var/lib/kubelet/plugins/d/csi.sock' }, '/reg/d-reg.sock').endpoint).toBe('/var/lib/kubelet/plugins/d/csi.sock');
  });

  it('words the kubelet errors sent back in NotifyRegistrationStatus', () => {
    expect(REGISTER_ERRORS.noHandler('FooPlugin', '/r/x.sock')).toBe('RegisterPlugin error -- no handler registered for plugin type: FooPlugin at socket /r/x.sock');
    expect(REGISTER_ERRORS.validation('boom')).toBe('RegisterPlugin error -- plugin validation failed with err: boom');
    expect(REGISTER_ERRORS.registration('boom')).toBe('RegisterPlugin error -- plugin registration failed with err: boom');
  });
});

describe('CSI versions', () => {
  it('parses generic versions as util/version ParseGeneric', () => {
    expect(parseGenericVersion('1.0.0').ok).toBe(true);
    expect(parseGenericVersion('v1.2').ok).toBe(true);
    expect(parseGenericVersion('1.0.0-beta').ok).toBe(true);
    expect(parseGenericVersion('1').ok).toBe(false);
    expect(parseGenericVersion('01.0').ok).toBe(false);
    expect(parseGenericVersion('x').ok).toBe(false);
  });

  it('takes the highest 1.x version and ignores 2.x and later', () => {
    const r = highestSupportedVersion(['0.3.0', '1.2.0', '1.10.0', '2.0.0']);
    expect(r.ok && r.version.text).toBe('1.10.0');
    const only2 = highestSupportedVersion(['2.0.0', '3.1']);
    expect(only2).toEqual({ ok: false, error: 'could not find a highest supported version from versions ([2.0.0 3.1]) reported: <nil>' });
    expect(highestSupportedVersion(['0.3.0'])).toEqual({ ok: false, error: 'highest supported version reported is 0.3.0, must be v1.x' });
    expect(highestSupportedVersion([])).toEqual({ ok: false, error: 'empty array for supported versions' });
  });

  it('refuses what validateVersions refuses, with its messages', () => {
    expect(validateCsiVersions('ValidatePlugin', 'd', [])).toEqual({ ok: false, error: 'kubernetes.io/csi: ValidatePlugin for CSI driver "d" failed. Plugin returned an empty list for supported versions' });
    const bad = validateCsiVersions('ValidatePlugin', 'd', ['2.0.0']);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/^kubernetes\.io\/csi: ValidatePlugin for CSI driver "d" failed\. None of the versions specified \["2\.0\.0"\] are supported\. err=could not find/);
    const existing = validateCsiVersions('RegisterPlugin', 'd', ['1.1.0']);
    if (!existing.ok) throw new Error('expected ok');
    expect(validateCsiVersions('RegisterPlugin', 'd', ['1.0.0'], existing.version)).toEqual({ ok: false, error: 'kubernetes.io/csi: RegisterPlugin for CSI driver "d" failed. Another driver with the same name is already registered with a higher supported version: "1.1.0"' });
    expect(validateCsiVersions('RegisterPlugin', 'd', ['1.2.0'], existing.version).ok).toBe(true);
  });

  it('requires a node ID from NodeGetInfo (nodeinfomanager)', () => {
    expect(checkNodeInfo('', 0)).toBe('error adding CSI driver node info: driverNodeID must not be empty');
    expect(checkNodeInfo('n1', 0)).toBeUndefined();
  });
});

describe('node info', () => {
  it('writes the nodeid annotation as Go json.Marshal of the map (keys sorted), merged and pruned', () => {
    expect(nodeIdAnnotation(undefined, [driver('z.csi'), driver('a.csi', { nodeId: 'n1' })])).toBe('{"a.csi":"n1","z.csi":"z.csi-node"}');
    expect(nodeIdAnnotation('{"other.csi":"x"}', [driver('a.csi', { nodeId: 'n1' })])).toBe('{"a.csi":"n1","other.csi":"x"}');
    expect(nodeIdAnnotation('{"a.csi":"n1"}', [], ['a.csi'])).toBeUndefined();
    expect(nodeIdAnnotation('not json', [driver('a.csi', { nodeId: 'n1' })])).toBe('{"a.csi":"n1"}');
  });

  it('lists CSINode drivers sorted, with sorted topology keys and a count only for a positive limit', () => {
    const drivers = csiNodeDrivers([driver('b', { maxVolumesPerNode: 10, topology: { 'z/zone': 'a', 'a/rack': 'r' } }), driver('a')]);
    expect(drivers).toEqual([
      { name: 'a', nodeID: 'a-node', topologyKeys: [] },
      { name: 'b', nodeID: 'b-node', topologyKeys: ['a/rack', 'z/zone'], allocatable: { count: 10 } },
    ]);
    expect(csiNodeObject('n1', [driver('a')], 'uid-1').metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-1' }]);
  });

  it('adds the annotation and device resources to the Node, and removes the annotation with the last driver', () => {
    const node = { metadata: { name: 'n1', annotations: { keep: 'x', 'csi.volume.kubernetes.io/nodeid': '{"old":"y"}' } }, status: { capacity: { cpu: '2' }, allocatable: { cpu: '2' } } };
    const out = withPlugins(node, { csiDrivers: [driver('a.csi', { nodeId: 'n1' })], deviceResources: [{ resourceName: 'example.com/dev', healthy: 2, unhealthy: 1 }] });
    expect(out.metadata?.annotations).toEqual({ keep: 'x', 'csi.volume.kubernetes.io/nodeid': '{"a.csi":"n1"}' });
    expect(out.status?.capacity).toEqual({ cpu: '2', 'example.com/dev': '3' });
    expect(out.status?.allocatable).toEqual({ cpu: '2', 'example.com/dev': '2' });
    expect(withPlugins(node, { csiDrivers: [], deviceResources: [] }).metadata?.annotations).toEqual({ keep: 'x' });
  });
});

describe('device plugins', () => {
  it('accepts v1beta1 registrations of extended resources only', () => {
    expect(checkDeviceRegistration({ version: 'v1beta1', resource_name: 'example.com/dev', endpoint: 'dev.sock' })).toBeUndefined();
    expect(checkDeviceRegistration({ version: 'v1alpha', resource_name: 'example.com/dev', endpoint: 'dev.sock' })).toBe('requested API version "v1alpha" is not supported by kubelet. Supported versions are ["v1beta1"]');
    expect(checkDeviceRegistration({ version: 'v1beta1', resource_name: 'cpu', endpoint: 'dev.sock' })).toBe('the ResourceName "cpu" is invalid');
    expect(checkDeviceRegistration({ version: 'v1beta1', resource_name: 'example.com/dev', endpoint: '../x.sock' })).toMatch(/invalid endpoint/);
    expect(isExtendedResourceName('kubernetes.io/foo')).toBe(false);
    expect(isExtendedResourceName('nvidia.com/gpu')).toBe(true);
  });

  it('counts every device in capacity and the healthy ones in allocatable', () => {
    expect(deviceResourceLists([{ resourceName: 'example.com/dev', healthy: 1, unhealthy: 2 }])).toEqual({ capacity: { 'example.com/dev': '3' }, allocatable: { 'example.com/dev': '1' } });
  });
});
