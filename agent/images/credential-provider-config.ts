// Pure: the kubelet's CredentialProviderConfig (kubelet.config.k8s.io/v1, v1beta1, v1alpha1;
// k/k pkg/kubelet/apis/config/validation validateCredentialProviderConfig) and the plugin
// exec protocol's response (credentialprovider.kubelet.k8s.io, pkg/credentialprovider/plugin),
// plus the response cache keyed as cacheKeyType says. No I/O: the adapter reads the files and
// runs the binaries.
import { parse as parseYaml } from 'yaml';
import { parseDuration as parseGoDuration } from '../core/duration.js';
import { urlsMatch } from './keyring.js';

export const CONFIG_API_VERSIONS = ['kubelet.config.k8s.io/v1', 'kubelet.config.k8s.io/v1beta1', 'kubelet.config.k8s.io/v1alpha1'] as const;
export const EXEC_API_VERSIONS = ['credentialprovider.kubelet.k8s.io/v1', 'credentialprovider.kubelet.k8s.io/v1beta1', 'credentialprovider.kubelet.k8s.io/v1alpha1'] as const;

export interface CredentialProvider {
  readonly name: string;
  readonly matchImages: readonly string[];
  readonly defaultCacheDurationMs: number;
  readonly apiVersion: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
}

export class CredentialProviderConfigError extends Error {}

/** Decodes and validates a CredentialProviderConfig (YAML or JSON); every problem in one error. */
export function parseCredentialProviderConfig(text: string, file: string): CredentialProvider[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new CredentialProviderConfigError(`error decoding config ${file}: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new CredentialProviderConfigError(`error decoding config ${file}: not an object`);
  const problems: string[] = [];
  if (doc['kind'] !== 'CredentialProviderConfig') problems.push(`kind: Invalid value: ${JSON.stringify(doc['kind'])}: must be CredentialProviderConfig`);
  if (!(CONFIG_API_VERSIONS as readonly unknown[]).includes(doc['apiVersion'])) {
    problems.push(`apiVersion: Unsupported value: ${JSON.stringify(doc['apiVersion'])}: supported values: ${CONFIG_API_VERSIONS.map((v) => `"${v}"`).join(', ')}`);
  }
  const raw = doc['providers'];
  if (!Array.isArray(raw) || raw.length === 0) problems.push('providers: Required value: at least 1 item in plugins is required');
  const providers: CredentialProvider[] = [];
  const seen = new Set<string>();
  (Array.isArray(raw) ? raw : []).forEach((p: unknown, i) => {
    const at = `providers[${i}]`;
    if (!isObject(p)) return void problems.push(`${at}: Invalid value: not an object`);
    const name = typeof p['name'] === 'string' ? p['name'] : '';
    if (name === '') problems.push(`${at}.name: Required value: name is required`);
    else if (name === '.' || name === '..' || /[/\\]/.test(name)) problems.push(`${at}.name: Invalid value: ${JSON.stringify(name)}: provider name cannot contain path separators, '.' or '..'`);
    else if (seen.has(name)) problems.push(`${at}.name: Duplicate value: ${JSON.stringify(name)}`);
    seen.add(name);
    const matchImages = Array.isArray(p['matchImages']) ? p['matchImages'].filter((m): m is string => typeof m === 'string') : [];
    if (matchImages.length === 0) problems.push(`${at}.matchImages: Required value: at least 1 item in matchImages is required`);
    for (const m of matchImages) if (/^[a-z]+:\/\//i.test(m)) problems.push(`${at}.matchImages: Invalid value: ${JSON.stringify(m)}: match image must not contain a scheme`);
    let defaultCacheDurationMs = 0;
    if (p['defaultCacheDuration'] === undefined) problems.push(`${at}.defaultCacheDuration: Required value: defaultCacheDuration is required`);
    else {
      const d = typeof p['defaultCacheDuration'] === 'string' ? parseGoDuration(p['defaultCacheDuration']) : undefined;
      if (d === undefined || d < 0) problems.push(`${at}.defaultCacheDuration: Invalid value: ${JSON.stringify(p['defaultCacheDuration'])}: must be a non-negative duration`);
      else defaultCacheDurationMs = d;
    }
    const apiVersion = typeof p['apiVersion'] === 'string' ? p['apiVersion'] : '';
    if (apiVersion === '') problems.push(`${at}.apiVersion: Required value: apiVersion is required`);
    else if (!(EXEC_API_VERSIONS as readonly string[]).includes(apiVersion)) {
      problems.push(`${at}.apiVersion: Unsupported value: ${JSON.stringify(apiVersion)}: supported values: ${EXEC_API_VERSIONS.map((v) => `"${v}"`).join(', ')}`);
    }
    const args = Array.isArray(p['args']) ? p['args'].map(String) : [];
    const env = Array.isArray(p['env']) ? p['env'].filter(isObject).map((e) => ({ name: String(e['name'] ?? ''), value: String(e['value'] ?? '') })) : [];
    if (p['tokenAttributes'] !== undefined) problems.push(`${at}.tokenAttributes: Forbidden: service account tokens cannot be had in standalone mode`);
    providers.push({ name, matchImages, defaultCacheDurationMs, apiVersion, args, env });
  });
  if (problems.length > 0) throw new CredentialProviderConfigError(`invalid credential provider config ${file}:\n  ${problems.join('\n  ')}`);
  return providers;
}

/** Whether the plugin applies to `repository` (an image name without tag): any matchImages glob matches. */
export function providerMatches(provider: CredentialProvider, repository: string): boolean {
  return provider.matchImages.some((m) => urlsMatch(m, repository));
}

/** The request written to the plugin's stdin, in the provider's exec apiVersion. */
export function credentialProviderRequest(provider: CredentialProvider, repository: string): string {
  return JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: provider.apiVersion, image: repository });
}

export type CacheKeyType = 'Image' | 'Registry' | 'Global';

export interface ProviderResponse {
  readonly cacheKeyType: CacheKeyType;
  /** undefined: the provider's defaultCacheDuration. */
  readonly cacheDurationMs?: number;
  /** matchImage glob → credentials. */
  readonly auth: ReadonlyMap<string, { readonly username: string; readonly password: string }>;
}

/** Decodes the plugin's stdout; the errors are the kubelet's. */
export function parseProviderResponse(text: string, provider: CredentialProvider): ProviderResponse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CredentialProviderConfigError(`error decoding credential provider plugin response from stdout: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw new CredentialProviderConfigError('error decoding credential provider plugin response from stdout: not an object');
  if (json['kind'] !== 'CredentialProviderResponse') {
    throw new CredentialProviderConfigError(`kind was ${JSON.stringify(json['kind'])}, expected CredentialProviderResponse`);
  }
  if (json['apiVersion'] !== provider.apiVersion) {
    throw new CredentialProviderConfigError(`apiVersion from credential plugin response did not match expected apiVersion:${provider.apiVersion}, actual apiVersion:${String(json['apiVersion'])}`);
  }
  const keyType = json['cacheKeyType'];
  if (keyType !== 'Image' && keyType !== 'Registry' && keyType !== 'Global') {
    throw new CredentialProviderConfigError(`invalid cacheKeyType ${JSON.stringify(keyType)} in credential provider response, must be Image, Registry or Global`);
  }
  let cacheDurationMs: number | undefined;
  if (json['cacheDuration'] !== undefined && json['cacheDuration'] !== null) {
    cacheDurationMs = typeof json['cacheDuration'] === 'string' ? parseGoDuration(json['cacheDuration']) : undefined;
    if (cacheDurationMs === undefined || cacheDurationMs < 0) throw new CredentialProviderConfigError(`invalid cacheDuration ${JSON.stringify(json['cacheDuration'])} in credential provider response`);
  }
  const auth = new Map<string, { username: string; password: string }>();
  for (const [k, v] of Object.entries(isObject(json['auth']) ? json['auth'] : {})) {
    if (!isObject(v)) continue;
    auth.set(k, { username: String(v['username'] ?? ''), password: String(v['password'] ?? '') });
  }
  return { cacheKeyType: keyType, ...(cacheDurationMs !== undefined ? { cacheDurationMs } : {}), auth };
}

// --- cache -------------------------------------------------------------------------------------

export interface CacheEntry {
  readonly auth: ProviderResponse['auth'];
  readonly expiresAt: number;
}

/** The cache key a response is stored under (plugin.go: image, registry host, or "global"). */
export function cacheKeyFor(keyType: CacheKeyType, repository: string): string {
  if (keyType === 'Global') return 'global';
  if (keyType === 'Registry') return `registry:${parseRegistry(repository)}`;
  return `image:${repository}`;
}

/** Lookup order image → registry → global; an expired entry is a miss. */
export function cachedAuth(cache: ReadonlyMap<string, CacheEntry>, repository: string, now: number): CacheEntry | undefined {
  for (const key of [`image:${repository}`, `registry:${parseRegistry(repository)}`, 'global']) {
    const hit = cache.get(key);
    if (hit && hit.expiresAt > now) return hit;
  }
  return undefined;
}

/** How long to keep a response: its cacheDuration, else the provider's default; 0 = not at all. */
export function cacheDuration(response: ProviderResponse, provider: CredentialProvider): number {
  return response.cacheDurationMs ?? provider.defaultCacheDurationMs;
}

/** plugin.go parseRegistry: the host part of the image (everything before the first "/"). */
export function parseRegistry(repository: string): string {
  const slash = repository.indexOf('/');
  return slash === -1 ? repository : repository.slice(0, slash);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
