// Pure pieces of the client commands: argument parsing, the node and manifest tables, TTY rules.
import { describe, expect, it } from 'vitest';
import type { Node } from 'kubernetes-types/core/v1.js';
import { parseResourceArg } from '../../../agent/cli/commands/get.js';
import { nodeRoles, nodeStatus, printManifests, printNodes, reportingLine } from '../../../agent/cli/commands/get-tables.js';
import { parseSince, parseTail } from '../../../agent/cli/commands/logs.js';
import { effectiveTty } from '../../../agent/cli/commands/exec.js';
import { parseOutputFormat } from '../../../agent/cli/commands/output.js';

describe('parseResourceArg', () => {
  it.each([
    ['pods', { resource: 'pods' }],
    ['po', { resource: 'pods' }],
    ['Pod', { resource: 'pods' }],
    ['pod/web', { resource: 'pods', name: 'web' }],
    ['ev', { resource: 'events' }],
    ['manifest', { resource: 'manifests' }],
    ['no', { resource: 'node' }],
    ['nodes/node1', { resource: 'node', name: 'node1' }],
  ])('%s', (arg, expected) => {
    expect(parseResourceArg(arg)).toEqual(expected);
  });

  it('rejects other resource types with kubectl’s message', () => {
    expect(() => parseResourceArg('svc')).toThrow('error: the server doesn\'t have a resource type "svc"');
  });
});

describe('parseOutputFormat', () => {
  it('accepts the allowed formats and names them when refusing', () => {
    expect(parseOutputFormat(undefined, ['', 'json'])).toBe('');
    expect(parseOutputFormat('json', ['', 'json'])).toBe('json');
    expect(() => parseOutputFormat('wide', ['', 'yaml', 'json'])).toThrow(
      'error: unable to match a printer suitable for the output format "wide", allowed formats are: json,yaml',
    );
  });
});

describe('logs flags', () => {
  it.each([
    ['-1', undefined],
    ['0', 0],
    ['20', 20],
  ])('--tail %s', (value, expected) => {
    expect(parseTail(value)).toBe(expected);
  });

  it('rejects a non-integer --tail as cobra does', () => {
    expect(() => parseTail('ten')).toThrow('error: invalid argument "ten" for "--tail" flag: strconv.ParseInt: parsing "ten": invalid syntax');
  });

  it.each([
    ['5s', 5],
    ['1m30s', 90],
    ['2h', 7200],
    ['1500ms', 2],
    ['100ms', 1],
  ])('--since %s is %i seconds', (value, seconds) => {
    expect(parseSince(value)).toBe(seconds);
  });

  it.each([
    ['10', 'error: invalid argument "10" for "--since" flag: time: missing unit in duration "10"'],
    ['soon', 'error: invalid argument "soon" for "--since" flag: time: invalid duration "soon"'],
  ])('rejects --since %s as Go’s time.ParseDuration does', (value, message) => {
    expect(() => parseSince(value)).toThrow(message);
  });
});

describe('effectiveTty (kubectl SetupTTY)', () => {
  it.each([
    [{ stdin: false, tty: true }, true, { tty: false }],
    [{ stdin: true, tty: false }, true, { tty: false }],
    [{ stdin: true, tty: true }, true, { tty: true }],
    [{ stdin: true, tty: true }, false, { tty: false, warning: 'Unable to use a TTY - input is not a terminal or the right kind of file' }],
  ])('%j, stdin is a terminal: %s', (opts, terminal, expected) => {
    expect(effectiveTty(opts, terminal)).toEqual(expected);
  });
});

describe('node table', () => {
  const node = (extra: Partial<Node> = {}): Node => ({
    metadata: {
      name: 'edge-1',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/edge': '', 'kubernetes.io/role': 'gateway', other: 'x' },
    },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '10.1.2.3' }],
      nodeInfo: {
        kubeletVersion: 'v0.1.0',
        osImage: 'Ubuntu 24.04',
        kernelVersion: '6.8.0',
        containerRuntimeVersion: 'docker://27.0.1',
        architecture: 'arm64',
        operatingSystem: 'linux',
        bootID: '',
        machineID: '',
        systemUUID: '',
        kubeProxyVersion: '',
      },
    },
    ...extra,
  });
  const now = Date.parse('2026-01-03T00:00:00Z');

  it('prints roles sorted, Ready, age and version as kubectl does', () => {
    expect(nodeRoles(node())).toEqual(['control-plane', 'edge', 'gateway']);
    expect(printNodes([node()], { wide: false, now, noHeaders: false })).toBe(
      'NAME     STATUS   ROLES                        AGE   VERSION\nedge-1   Ready    control-plane,edge,gateway   2d    v0.1.0\n',
    );
    expect(printNodes([node()], { wide: true, now, noHeaders: true })).toBe(
      'edge-1   Ready   control-plane,edge,gateway   2d    v0.1.0   10.1.2.3   <none>   Ubuntu 24.04   6.8.0   docker://27.0.1\n',
    );
  });

  it('says whether and how the node is reported to an API server', () => {
    const withAnnotations = (annotations: Record<string, string>): Node => node({ metadata: { name: 'edge-1', annotations } });
    expect(reportingLine(node(), now)).toBe('API server reporting: off (no kubeconfig configured)');
    expect(reportingLine(withAnnotations({ 'nodelet.io/reporting-enabled': 'true', 'nodelet.io/reporting-server': 'https://k8s.example:6443', 'nodelet.io/reporting-last-success': '2026-01-02T23:59:55Z' }), now)).toBe(
      'API server reporting to https://k8s.example:6443: last success 5s ago',
    );
    expect(
      reportingLine(
        withAnnotations({
          'nodelet.io/reporting-enabled': 'true',
          'nodelet.io/reporting-server': 'https://k8s.example:6443',
          'nodelet.io/reporting-last-success': '2026-01-02T23:50:00Z',
          'nodelet.io/reporting-last-error': 'connect ECONNREFUSED',
          'nodelet.io/reporting-last-error-at': '2026-01-02T23:59:30Z',
          'nodelet.io/reporting-backoff-until': '2026-01-03T00:00:16Z',
        }),
        now,
      ),
    ).toBe('API server reporting to https://k8s.example:6443: last success 10m ago; backing off for 16s; last error 30s ago: connect ECONNREFUSED');
  });

  it.each([
    [[{ type: 'Ready', status: 'True' }], false, 'Ready'],
    [[{ type: 'Ready', status: 'False' }], false, 'NotReady'],
    [[{ type: 'Ready', status: 'Unknown' }], true, 'NotReady,SchedulingDisabled'],
    [[], false, 'Unknown'],
  ])('STATUS of %j (unschedulable %s) is %s', (conditions, unschedulable, expected) => {
    expect(nodeStatus({ spec: { unschedulable }, status: { conditions } })).toBe(expected);
  });

  it('shows <none> for a node without roles', () => {
    expect(printNodes([{ metadata: { name: 'n' } }], { wide: false, now, noHeaders: true })).toBe('n     Unknown   <none>   <unknown>   \n');
  });
});

describe('manifest table', () => {
  it('lists files, then the errors and warnings of each', () => {
    const text = printManifests(
      [
        { file: '/m/a.yaml', state: 'ok', objects: [{ kind: 'Pod', namespace: 'default', name: 'a' }], errors: [], warnings: [], checkedAt: 0 },
        {
          file: '/m/b.yaml',
          state: 'invalid',
          objects: [],
          errors: [{ severity: 'error', file: '/m/b.yaml', line: 3, column: 1, message: 'yaml: tab characters must not be used in indentation' }],
          warnings: [],
          checkedAt: 0,
        },
        {
          file: '/m/c.yaml',
          state: 'conflict',
          objects: [{ kind: 'Pod', namespace: 'default', name: 'a' }],
          errors: [],
          warnings: [{ severity: 'warning', file: '/m/c.yaml', document: 0, message: 'unknown field "spec.foo"' }],
          checkedAt: 0,
        },
      ],
      { noHeaders: false },
    );
    expect(text).toBe(
      [
        'FILE        STATUS     OBJECTS   ERRORS',
        '/m/a.yaml   ok         1         0',
        '/m/b.yaml   invalid    0         1',
        '/m/c.yaml   conflict   1         0',
        '',
        '/m/b.yaml:3:1: yaml: tab characters must not be used in indentation',
        'Warning: /m/c.yaml: unknown field "spec.foo"',
        '',
      ].join('\n'),
    );
  });
});
