// The kubelet endpoint's paths and queries (server.go getContainerLogs, remotecommand
// NewOptions, portforward options) with the kubelet's codes and bodies.
import { describe, expect, it } from 'vitest';
import { KubeletHttpError, matchKubeletRoute, metricBucket, parseContainerLogsQuery, parsePortForwardPorts, parseStreamOptions } from '../../../agent/kubelet-server/query.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);
function failure(fn: () => unknown): { status: number; body: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof KubeletHttpError) return { status: err.status, body: err.body };
    throw err;
  }
  throw new Error('no error');
}

describe('containerLogs query → PodLogOptions', () => {
  it('reads every option', () => {
    expect(parseContainerLogsQuery(q('follow=true&previous=1&timestamps=true&sinceSeconds=10&tailLines=5&limitBytes=100'))).toEqual({ follow: true, previous: true, timestamps: true, sinceSeconds: 10, tailLines: 5, limitBytes: 100 });
    expect(parseContainerLogsQuery(q('sinceTime=2026-01-02T03:04:05Z'))).toEqual({ follow: false, previous: false, timestamps: false, sinceTime: '2026-01-02T03:04:05Z' });
    expect(parseContainerLogsQuery(q('follow=false&previous=0'))).toMatchObject({ follow: false, previous: false });
  });

  it('legacy tail: tail=N is tailLines, tail=all removes it', () => {
    expect(parseContainerLogsQuery(q('tail=3'))).toMatchObject({ tailLines: 3 });
    expect(parseContainerLogsQuery(q('tail=all&tailLines=4'))).not.toHaveProperty('tailLines');
  });

  it('decode errors are 400 "Unable to decode query."', () => {
    for (const s of ['tailLines=x', 'sinceSeconds=1.5', 'limitBytes=ten', 'sinceTime=yesterday']) expect(failure(() => parseContainerLogsQuery(q(s)))).toEqual({ status: 400, body: '{"message": "Unable to decode query."}' });
  });

  it('validation errors are 422 "Invalid request."', () => {
    for (const s of ['tailLines=-1', 'sinceSeconds=0', 'limitBytes=0', 'sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z', 'stream=Bogus']) expect(failure(() => parseContainerLogsQuery(q(s)))).toEqual({ status: 422, body: '{"message": "Invalid request."}' });
  });

  it('a split stream needs the (off) PodLogsQuerySplitStreams gate', () => {
    expect(failure(() => parseContainerLogsQuery(q('stream=Stdout')))).toEqual({ status: 400, body: 'unable to return the given log stream: "Stdout". Please enable PodLogsQuerySplitStreams feature gate in kubelet' });
    expect(parseContainerLogsQuery(q('stream=All'))).toMatchObject({ follow: false });
  });
});

describe('exec/attach options', () => {
  it('each stream is on only for "1"; tty turns stderr off', () => {
    expect(parseStreamOptions(q('input=1&output=1&error=1&tty=1'))).toEqual({ stdin: true, stdout: true, stderr: false, tty: true });
    expect(parseStreamOptions(q('output=1&error=1'))).toEqual({ stdin: false, stdout: true, stderr: true, tty: false });
    expect(parseStreamOptions(q('output=true&error=1'))).toEqual({ stdin: false, stdout: false, stderr: true, tty: false });
  });

  it('needs at least one stream (tty alone with stderr is none)', () => {
    for (const s of ['', 'tty=1&error=1', 'output=true']) expect(failure(() => parseStreamOptions(q(s)))).toEqual({ status: 400, body: 'you must specify at least 1 of stdin, stdout, stderr' });
  });
});

describe('port-forward ports', () => {
  it('reads the comma-joined port value', () => {
    expect(parsePortForwardPorts(q('port=80,443'))).toEqual([80, 443]);
    expect(parsePortForwardPorts(q(''))).toEqual([]);
  });
  it('rejects non-numbers and 0', () => {
    expect(failure(() => parsePortForwardPorts(q('port=http'))).status).toBe(400);
    expect(failure(() => parsePortForwardPorts(q('port=0'))).body).toBe('port "0" must be > 0');
  });
});

describe('routes', () => {
  it('matches the kubelet paths, with and without the uid segment', () => {
    expect(matchKubeletRoute('/exec/ns/p/c')).toEqual({ kind: 'exec', namespace: 'ns', pod: 'p', container: 'c' });
    expect(matchKubeletRoute('/attach/ns/p/u-1/c')).toEqual({ kind: 'attach', namespace: 'ns', pod: 'p', uid: 'u-1', container: 'c' });
    expect(matchKubeletRoute('/portForward/ns/p')).toEqual({ kind: 'portForward', namespace: 'ns', pod: 'p' });
    expect(matchKubeletRoute('/portForward/ns/p/u')).toEqual({ kind: 'portForward', namespace: 'ns', pod: 'p', uid: 'u' });
    expect(matchKubeletRoute('/containerLogs/ns/p/c')).toEqual({ kind: 'containerLogs', namespace: 'ns', pod: 'p', container: 'c' });
    expect(matchKubeletRoute('/containerLogs/ns//c')).toEqual({ kind: 'containerLogs', namespace: 'ns', pod: '', container: 'c' });
    expect(matchKubeletRoute('/healthz/syncloop')).toEqual({ kind: 'healthz', check: 'syncloop' });
    expect(matchKubeletRoute('/runningpods/')).toEqual({ kind: 'runningpods' });
    expect(matchKubeletRoute('/stats/summary')).toEqual({ kind: 'statsSummary' });
    expect(matchKubeletRoute('/nope')).toBeUndefined();
    expect(matchKubeletRoute('/exec/ns/p')).toBeUndefined();
  });

  it('request metrics buckets as the kubelet names them', () => {
    expect(metricBucket(matchKubeletRoute('/metrics/resource'))).toBe('metrics/resource');
    expect(metricBucket(matchKubeletRoute('/containerLogs/a/b/c'))).toBe('containerLogs');
    expect(metricBucket(matchKubeletRoute('/stats/summary'))).toBe('stats');
    expect(metricBucket(undefined)).toBe('other');
  });
});
