// Builds the kubelet endpoint from the config: the serving pair (configured, bootstrapped
// through a CSR, or self-signed), the authenticator and authorizer (webhooks over the node's
// kubeconfig), and the server. main.ts calls startKubeletEndpoint once the agent runs.
import type { Registry } from 'prom-client';
import type { KubeletServerConfig } from '../config/kubelet-server-config.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { ApiBackend } from '../api/backend.js';
import type { KubeTransport } from '../mirror/kube-client.js';
import { alwaysAllow, Authenticator, SarAuthorizer, type Authorizer, type ReviewClient } from './auth.js';
import type { KubeletStats, KubeletStreams } from './ports.js';
import { KubeletServer } from './server.js';
import { configuredPair, selfSignedPair, ServingCertificateManager, type CsrClient, type ServingPair } from './serving-cert.js';

/** TokenReview, SubjectAccessReview and CSR calls over the node's kubeconfig transport. */
export function kubeReviews(t: KubeTransport): ReviewClient & CsrClient {
  return {
    tokenReview: (body) => t.request({ method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', body }),
    subjectAccessReview: (body) => t.request({ method: 'POST', path: '/apis/authorization.k8s.io/v1/subjectaccessreviews', body }),
    createCsr: (body) => t.request({ method: 'POST', path: '/apis/certificates.k8s.io/v1/certificatesigningrequests', body }),
    getCsr: (name) => t.request({ method: 'GET', path: `/apis/certificates.k8s.io/v1/certificatesigningrequests/${encodeURIComponent(name)}` }),
  };
}

/**
 * The node's API client and what is worth a retry (no answer, 429, 5xx; a 4xx is the server's
 * considered answer). Imported only with a kubeconfig: the client library costs tens of MB.
 */
async function apiClient(kubeconfig: string): Promise<{ transport: KubeTransport; retryable: (err: unknown) => boolean }> {
  const m = await import('../mirror/kube-client.js');
  return {
    transport: new m.HttpsKubeTransport({ kubeconfigPath: kubeconfig, timeoutMs: 10_000 }),
    retryable: (err) => m.isServerUnavailable(err) && !(err instanceof m.KubeApiError && err.code === 401),
  };
}

export interface KubeletEndpointDeps {
  readonly config: KubeletServerConfig;
  readonly kubeconfig?: string;
  readonly nodeName: string;
  /** The node's addresses and hostname: the serving certificate's SANs. */
  readonly sans: readonly string[];
  readonly backend: Pick<ApiBackend, 'listPods' | 'logs' | 'healthy'>;
  readonly streams?: KubeletStreams;
  readonly stats?: KubeletStats;
  readonly registry?: Registry;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface KubeletEndpoint {
  readonly port: number;
  stop(): Promise<void>;
}

/** What /configz shows: the endpoint's KubeletConfiguration fields, kubelet-named. */
function configz(c: KubeletServerConfig): object {
  const seconds = (ms: number): string => `${ms / 1000}s`;
  return {
    enableServer: c.enabled,
    address: c.address,
    port: c.port,
    ...(c.tlsCertFile ? { tlsCertFile: c.tlsCertFile, tlsPrivateKeyFile: c.tlsPrivateKeyFile } : {}),
    serverTLSBootstrap: c.serverTLSBootstrap,
    enableDebuggingHandlers: c.enableDebuggingHandlers,
    authentication: {
      x509: c.authentication.clientCAFile ? { clientCAFile: c.authentication.clientCAFile } : {},
      webhook: { enabled: c.authentication.webhookEnabled, cacheTTL: seconds(c.authentication.webhookCacheTtlMs) },
      anonymous: { enabled: c.authentication.anonymousEnabled },
    },
    authorization: { mode: c.authorization.mode, webhook: { cacheAuthorizedTTL: seconds(c.authorization.cacheAuthorizedTtlMs), cacheUnauthorizedTTL: seconds(c.authorization.cacheUnauthorizedTtlMs) } },
  };
}

export async function startKubeletEndpoint(d: KubeletEndpointDeps): Promise<KubeletEndpoint> {
  const c = d.config;
  const logger = d.logger;
  const client = d.kubeconfig ? await apiClient(d.kubeconfig) : undefined;
  const transport = client?.transport;
  const reviews = transport ? kubeReviews(transport) : undefined;
  const retryable = client?.retryable ?? ((): boolean => false);
  let manager: ServingCertificateManager | undefined;
  let pair: ServingPair;
  if (c.tlsCertFile && c.tlsPrivateKeyFile) {
    pair = await configuredPair(c.tlsCertFile, c.tlsPrivateKeyFile);
  } else if (c.serverTLSBootstrap && reviews) {
    manager = new ServingCertificateManager({ nodeName: d.nodeName, sans: d.sans, certDir: c.certDir, client: reviews, clock: d.clock, logger });
    // Until the signer issues one there is nothing to serve with: the port opens after (the
    // kubelet listens at once and fails handshakes meanwhile).
    pair = await manager.start();
  } else {
    pair = await selfSignedPair(c.certDir, d.nodeName, d.sans, d.clock.now());
    logger.info({ certDir: c.certDir }, 'kubelet endpoint uses a self-signed serving certificate (kubelet.crt)');
  }
  const authenticator = new Authenticator({
    x509: c.authentication.clientCAFile !== undefined,
    ...(c.authentication.webhookEnabled && reviews ? { reviews } : {}),
    tokenCacheTtlMs: c.authentication.webhookCacheTtlMs,
    anonymous: c.authentication.anonymousEnabled,
    clock: d.clock,
    retryable,
  });
  const authorizer: Authorizer =
    c.authorization.mode === 'AlwaysAllow' || !reviews
      ? alwaysAllow
      : new SarAuthorizer({ reviews, allowTtlMs: c.authorization.cacheAuthorizedTtlMs, denyTtlMs: c.authorization.cacheUnauthorizedTtlMs, clock: d.clock, retryable });
  let server: KubeletServer;
  try {
    server = await KubeletServer.start({
      address: c.address,
      port: c.port,
      nodeName: d.nodeName,
      enableDebuggingHandlers: c.enableDebuggingHandlers,
      tls: pair,
      ...(c.authentication.clientCAFile ? { clientCAFile: c.authentication.clientCAFile } : {}),
      authenticator,
      authorizer,
      backend: d.backend,
      ...(d.streams ? { streams: d.streams } : {}),
      ...(d.stats ? { stats: d.stats } : {}),
      ...(d.registry ? { registry: d.registry } : {}),
      configz: () => configz(c),
      logger,
    });
  } catch (err) {
    manager?.stop();
    transport?.close();
    throw new Error(`kubelet endpoint: cannot listen on ${c.address}:${c.port}: ${errorMessage(err)}`, { cause: err });
  }
  manager?.onChange((p) => server.setServingPair(p));
  return {
    port: server.port,
    async stop() {
      manager?.stop();
      await server.close();
      transport?.close();
    },
  };
}
