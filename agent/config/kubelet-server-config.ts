// Pure: the settings of the kubelet's HTTPS endpoint (port 10250), named and defaulted as the
// KubeletConfiguration names them (pkg/kubelet/apis/config/v1beta1/defaults.go): address, port,
// tlsCertFile/tlsPrivateKeyFile, serverTLSBootstrap, enableDebuggingHandlers, authentication
// and authorization. Resolved apart from config.ts so the server's options stay together.
//
// The server is off unless a kubeconfig is configured (the API server is then the one that
// calls it) or `enableServer` says so; it refuses a non-loopback address without
// authentication (kubelet would serve it; nodelet does not).
import { isIP } from 'node:net';
import { durationReader } from './config-duration.js';

export type KubeletAuthorizationMode = 'Webhook' | 'AlwaysAllow';

export interface KubeletServerConfig {
  readonly enabled: boolean;
  /** `address` (kubelet default 0.0.0.0). */
  readonly address: string;
  /** `port` (kubelet default 10250). */
  readonly port: number;
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  /** kubelet --cert-dir: the self-signed pair (kubelet.crt|key) and the bootstrapped serving pair (kubelet-server-*.pem). */
  readonly certDir: string;
  /** Request the serving certificate through the kubernetes.io/kubelet-serving signer. */
  readonly serverTLSBootstrap: boolean;
  readonly enableDebuggingHandlers: boolean;
  readonly authentication: {
    readonly clientCAFile?: string;
    readonly webhookEnabled: boolean;
    readonly webhookCacheTtlMs: number;
    readonly anonymousEnabled: boolean;
  };
  readonly authorization: {
    readonly mode: KubeletAuthorizationMode;
    readonly cacheAuthorizedTtlMs: number;
    readonly cacheUnauthorizedTtlMs: number;
  };
}

/** A source of merged settings (flag, env, file) by top-level key, as config.ts picks them. */
export type SettingSource = (key: string) => unknown;

function bool(raw: unknown, key: string, fallback: boolean, problems: string[]): boolean {
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (typeof raw === 'boolean') return raw;
  const text = String(raw).trim().toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  problems.push(`${key}: expected true or false, got ${JSON.stringify(raw)}`);
  return fallback;
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

/**
 * Reads the server's keys. `pick` gives the flat keys (flags win over env over file); the
 * nested `authentication`/`authorization` objects come from the file, with their kubelet flags
 * (--client-ca-file, --anonymous-auth, --authentication-token-webhook, --authorization-mode)
 * on top.
 */
export function resolveKubeletServerConfig(pick: SettingSource, file: Readonly<Record<string, unknown>>, ctx: { readonly kubeconfig?: string; readonly rootDir: string }, problems: string[]): KubeletServerConfig {
  const duration = durationReader(problems);
  const authn = (file.authentication ?? {}) as { x509?: { clientCAFile?: string }; webhook?: { enabled?: boolean; cacheTTL?: string | number }; anonymous?: { enabled?: boolean } };
  const authz = (file.authorization ?? {}) as { mode?: string; webhook?: { cacheAuthorizedTTL?: string | number; cacheUnauthorizedTTL?: string | number } };
  const str = (key: string): string | undefined => {
    const v = pick(key);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const enabled = bool(pick('enableServer'), 'enableServer', ctx.kubeconfig !== undefined, problems);
  const address = str('address') ?? '0.0.0.0';
  const portRaw = pick('port') ?? 10250;
  const port = typeof portRaw === 'number' ? portRaw : /^\d+$/.test(String(portRaw)) ? Number(portRaw) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`port: must be an integer between 1 and 65535, got ${JSON.stringify(portRaw)}`);
  if (address !== 'localhost' && isIP(address) === 0) problems.push(`address: ${JSON.stringify(address)} is not an IP address`);
  const tlsCertFile = str('tlsCertFile');
  const tlsPrivateKeyFile = str('tlsPrivateKeyFile');
  // kubelet: "cannot set --tls-cert-file without --tls-private-key-file" (and the reverse).
  if ((tlsCertFile === undefined) !== (tlsPrivateKeyFile === undefined)) problems.push('tlsCertFile and tlsPrivateKeyFile: set both or neither');
  const clientCAFile = str('clientCaFile') ?? (authn.x509?.clientCAFile || undefined);
  const webhookEnabled = bool(pick('authenticationTokenWebhook') ?? authn.webhook?.enabled, 'authentication.webhook.enabled', true, problems);
  const anonymousEnabled = bool(pick('anonymousAuth') ?? authn.anonymous?.enabled, 'authentication.anonymous.enabled', false, problems);
  const modeRaw = str('authorizationMode') ?? authz.mode ?? 'Webhook';
  if (modeRaw !== 'Webhook' && modeRaw !== 'AlwaysAllow') problems.push(`authorization.mode: unsupported value ${JSON.stringify(modeRaw)}: supported values: "Webhook", "AlwaysAllow"`);
  const mode = modeRaw === 'AlwaysAllow' ? 'AlwaysAllow' : 'Webhook';
  const config: KubeletServerConfig = {
    enabled,
    address,
    port,
    ...(tlsCertFile ? { tlsCertFile } : {}),
    ...(tlsPrivateKeyFile ? { tlsPrivateKeyFile } : {}),
    certDir: str('certDir') ?? `${ctx.rootDir}/pki`,
    serverTLSBootstrap: bool(pick('serverTLSBootstrap'), 'serverTLSBootstrap', false, problems),
    enableDebuggingHandlers: bool(pick('enableDebuggingHandlers'), 'enableDebuggingHandlers', true, problems),
    authentication: {
      ...(clientCAFile ? { clientCAFile } : {}),
      webhookEnabled,
      webhookCacheTtlMs: duration('authentication.webhook.cacheTTL', authn.webhook?.cacheTTL, '2m'),
      anonymousEnabled,
    },
    authorization: {
      mode,
      cacheAuthorizedTtlMs: duration('authorization.webhook.cacheAuthorizedTTL', authz.webhook?.cacheAuthorizedTTL, '5m'),
      cacheUnauthorizedTtlMs: duration('authorization.webhook.cacheUnauthorizedTTL', authz.webhook?.cacheUnauthorizedTTL, '30s'),
    },
  };
  if (!enabled) return config;
  // BuildAuthn / BuildAuthz: the webhooks need an API client.
  if (webhookEnabled && ctx.kubeconfig === undefined) problems.push('authentication.webhook.enabled: no client provided, cannot use webhook authentication (set kubeconfig, or turn the token webhook off)');
  if (mode === 'Webhook' && ctx.kubeconfig === undefined) problems.push('authorization.mode: no client provided, cannot use webhook authorization (set kubeconfig, or use AlwaysAllow on a loopback address)');
  if (config.serverTLSBootstrap && ctx.kubeconfig === undefined) problems.push('serverTLSBootstrap: needs a kubeconfig (the certificate is requested from the API server)');
  const problem = unauthenticatedExposure(config);
  if (problem !== undefined && !isLoopback(address)) problems.push(`address: refusing to serve the kubelet endpoint on ${address} ${problem}; use a loopback address or configure authentication`);
  return config;
}

/**
 * Why the endpoint would serve anyone, or undefined: anonymous requests authorized by
 * AlwaysAllow, or no authenticator at all (no client CA and no token webhook).
 */
export function unauthenticatedExposure(c: Pick<KubeletServerConfig, 'authentication' | 'authorization'>): string | undefined {
  if (c.authentication.anonymousEnabled && c.authorization.mode === 'AlwaysAllow') return 'with anonymous authentication and AlwaysAllow authorization';
  if (c.authentication.clientCAFile === undefined && !c.authentication.webhookEnabled) return 'without any authenticator (no client CA file, token webhook off)';
  return undefined;
}
