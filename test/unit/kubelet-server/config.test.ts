// The kubelet endpoint's config keys: kubelet names and defaults, on with a kubeconfig, and the
// refusal to listen on a non-loopback address without authentication.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../agent/config/config.js';

const base = { manifestDir: '/tmp/m', stateDir: '/tmp/s' };
const resolve = (flags: Record<string, unknown>, file?: Record<string, unknown>) => resolveConfig({ flags: { ...base, ...flags }, env: {}, file, hostname: 'host-a' });

describe('kubelet endpoint config', () => {
  it('is off without a kubeconfig; on with one, with the kubelet defaults', () => {
    expect(resolve({}).kubeletServer.enabled).toBe(false);
    const c = resolve({ kubeconfig: '/etc/kubeconfig' }).kubeletServer;
    expect(c).toEqual({
      enabled: true,
      address: '0.0.0.0',
      port: 10250,
      certDir: '/var/lib/kubelet/pki',
      serverTLSBootstrap: false,
      enableDebuggingHandlers: true,
      authentication: { webhookEnabled: true, webhookCacheTtlMs: 120_000, anonymousEnabled: false },
      authorization: { mode: 'Webhook', cacheAuthorizedTtlMs: 300_000, cacheUnauthorizedTtlMs: 30_000 },
    });
  });

  it('reads the KubeletConfiguration keys of the config file', () => {
    const c = resolve(
      { kubeconfig: '/k' },
      { address: '127.0.0.1', port: 11250, serverTLSBootstrap: true, enableDebuggingHandlers: false, authentication: { x509: { clientCAFile: '/ca.crt' }, webhook: { cacheTTL: '10s' } }, authorization: { mode: 'AlwaysAllow' } },
    ).kubeletServer;
    expect(c).toMatchObject({ address: '127.0.0.1', port: 11250, serverTLSBootstrap: true, enableDebuggingHandlers: false, authentication: { clientCAFile: '/ca.crt', webhookCacheTtlMs: 10_000 }, authorization: { mode: 'AlwaysAllow' } });
  });

  it('refuses a non-loopback address with anonymous + AlwaysAllow, or with no authenticator', () => {
    expect(() => resolve({ kubeconfig: '/k', anonymousAuth: true, authorizationMode: 'AlwaysAllow' })).toThrow(/refusing to serve the kubelet endpoint on 0\.0\.0\.0 with anonymous authentication and AlwaysAllow authorization/);
    expect(() => resolve({ enableServer: true, authenticationTokenWebhook: false, authorizationMode: 'AlwaysAllow' })).toThrow(/refusing to serve the kubelet endpoint on 0\.0\.0\.0 without any authenticator/);
    // Loopback is allowed (a test or a local scraper).
    expect(resolve({ enableServer: true, address: '127.0.0.1', authenticationTokenWebhook: false, authorizationMode: 'AlwaysAllow', anonymousAuth: true }).kubeletServer.enabled).toBe(true);
  });

  it('the webhooks need a client (kubelet: "no client provided")', () => {
    expect(() => resolve({ enableServer: true, address: '127.0.0.1' })).toThrow(/no client provided, cannot use webhook authentication/);
  });

  it('--node-ip sets the node addresses; a non-IP is an error', () => {
    expect(resolve({ nodeIP: '127.0.0.1' }).nodeIPs).toEqual(['127.0.0.1']);
    expect(() => resolve({ nodeIP: 'localhost' })).toThrow(/nodeIP: "localhost" is not an IP address/);
  });

  it('tlsCertFile needs tlsPrivateKeyFile', () => {
    expect(() => resolve({ kubeconfig: '/k', tlsCertFile: '/c.pem' })).toThrow(/set both or neither/);
  });
});
