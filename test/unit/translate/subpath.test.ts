import { describe, expect, it } from 'vitest';
import { pathWithinBase, segmentsBelow } from '../../../agent/core/paths.js';
import { createSubPathDirFailed, prepareSubPathFailed, subPathBindTarget, subPathFailureMessage } from '../../../agent/translate/subpath.js';

describe('subPath paths and checks', () => {
  it('puts the bind target where kubelet does: <podDir>/volume-subpaths/<volume>/<container>/<index>', () => {
    expect(subPathBindTarget('/var/lib/nodelet/pods/u1', 'data', 'app', 3)).toBe('/var/lib/nodelet/pods/u1/volume-subpaths/data/app/3');
  });

  it.each<[string, string, boolean]>([
    ['/vol', '/vol', true],
    ['/vol/a/b', '/vol', true],
    ['/vol/', '/vol', true],
    ['/volume', '/vol', false],
    ['/', '/vol', false],
    ['/etc', '/vol', false],
    ['/vol/../etc', '/vol', false],
    ['/anything', '/', true],
  ])('pathWithinBase(%j, %j) = %s', (path, base, expected) => {
    expect(pathWithinBase(path, base)).toBe(expected);
  });

  it.each<[string, string, string[] | undefined]>([
    ['/vol/a/b', '/vol', ['a', 'b']],
    ['/vol', '/vol', []],
    ['/vol//a/./b/', '/vol/', ['a', 'b']],
    ['/x/a', '/', ['x', 'a']],
    ['/other', '/vol', undefined],
  ])('segmentsBelow(%j, %j)', (path, base, expected) => {
    expect(segmentsBelow(path, base)).toEqual(expected);
  });
});

describe('subPath messages (kubelet makeMounts, verified against pkg/kubelet/kubelet_pods.go)', () => {
  it('keeps host paths out of what the pod shows', () => {
    expect(prepareSubPathFailed('data', 'victim')).toBe('failed to prepare subPath for volumeMount "data" of container "victim"');
    expect(createSubPathDirFailed('data', 'victim')).toBe('failed to create subPath directory for volumeMount "data" of container "victim"');
    expect(subPathFailureMessage('prepare', 'subpath "/" not within volume path "/v"', 'data', 'victim')).toBe(prepareSubPathFailed('data', 'victim'));
    expect(subPathFailureMessage('create', 'cannot create directory /v/x: EEXIST', 'data', 'victim')).toBe(createSubPathDirFailed('data', 'victim'));
  });

  it('returns the error of reading the volume root mode as is, like hu.GetMode', () => {
    expect(subPathFailureMessage('mode', 'stat /srv/x: no such file or directory', 'data', 'victim')).toBe('stat /srv/x: no such file or directory');
  });
});
