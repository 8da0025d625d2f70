// The API socket settings: the read-only socket next to the admin one (or none), its group,
// the connection cap and the idle timeout, from flags, env and the config file.
import { describe, expect, it } from 'vitest';
import { readOnlySocketFor, resolveConfig } from '../../../agent/config/config.js';

const base = { flags: {}, env: {}, hostname: 'node1' };

describe('API socket settings', () => {
  it('defaults: a read-only socket next to the admin socket, 256 connections each, 30 s idle timeout, no groups', () => {
    const c = resolveConfig(base);
    expect(c.apiReadOnlySocket).toBe('/run/nodelet/nodelet-ro.sock');
    expect(c.apiReadOnlySocketGroup).toBeUndefined();
    expect(c.apiSocketGroup).toBeUndefined();
    expect(c.apiMaxConnections).toBe(256);
    expect(c.apiIdleTimeoutMs).toBe(30_000);
  });

  it('derives the read-only socket from a custom admin socket unless it is given', () => {
    expect(resolveConfig({ ...base, flags: { apiSocket: '/tmp/x/api.sock' } }).apiReadOnlySocket).toBe('/tmp/x/api-ro.sock');
    expect(resolveConfig({ ...base, flags: { apiSocket: '/tmp/x/api' } }).apiReadOnlySocket).toBe('/tmp/x/api-ro');
    expect(resolveConfig({ ...base, file: { apiReadOnlySocket: '/srv/ro.sock' } }).apiReadOnlySocket).toBe('/srv/ro.sock');
    expect(readOnlySocketFor('/run/nodelet/nodelet.sock')).toBe('/run/nodelet/nodelet-ro.sock');
  });

  it('an empty apiReadOnlySocket in the file or a flag turns it off', () => {
    expect(resolveConfig({ ...base, file: { apiReadOnlySocket: '' } }).apiReadOnlySocket).toBe('');
    expect(resolveConfig({ ...base, flags: { apiReadOnlySocket: '' } }).apiReadOnlySocket).toBe('');
  });

  it('reads every key from the file, the environment and flags', () => {
    const file = resolveConfig({ ...base, file: { apiReadOnlySocketGroup: 'nodelet-ro', apiSocketGroup: 'nodelet', apiMaxConnections: 64, apiIdleTimeout: '1m' } });
    expect(file).toMatchObject({ apiReadOnlySocketGroup: 'nodelet-ro', apiSocketGroup: 'nodelet', apiMaxConnections: 64, apiIdleTimeoutMs: 60_000 });
    const env = resolveConfig({ ...base, env: { NODELET_API_READ_ONLY_SOCKET_GROUP: 'ops', NODELET_API_MAX_CONNECTIONS: '10', NODELET_API_IDLE_TIMEOUT: '5s' } });
    expect(env).toMatchObject({ apiReadOnlySocketGroup: 'ops', apiMaxConnections: 10, apiIdleTimeoutMs: 5000 });
    const flags = resolveConfig({ ...base, flags: { apiMaxConnections: '1000', apiIdleTimeout: '2s' } });
    expect(flags).toMatchObject({ apiMaxConnections: 1000, apiIdleTimeoutMs: 2000 });
  });

  it('refuses bad values, each with its key', () => {
    expect(() => resolveConfig({ ...base, file: { apiMaxConnections: 0 } })).toThrow('apiMaxConnections: must be >= 1');
    expect(() => resolveConfig({ ...base, flags: { apiMaxConnections: 'lots' } })).toThrow('apiMaxConnections: must be an integer between 1 and 65536, got "lots"');
    expect(() => resolveConfig({ ...base, flags: { apiIdleTimeout: '10ms' } })).toThrow('apiIdleTimeout: must be at least 1s');
    expect(() => resolveConfig({ ...base, file: { apiIdleTimeout: 'soon' } })).toThrow('apiIdleTimeout: must match pattern');
    expect(() => resolveConfig({ ...base, flags: { apiSocket: '/a.sock', apiReadOnlySocket: '/a.sock' } })).toThrow('apiReadOnlySocket: must differ from apiSocket (/a.sock)');
    expect(() => resolveConfig({ ...base, file: { apiReadOnlySocketGroup: 5 } })).toThrow('apiReadOnlySocketGroup: must be string');
  });
});
