// The kubelet's CredentialProviderConfig validation, the exec response checks and the cache keys.
import { describe, expect, it } from 'vitest';
import {
  cacheDuration,
  cacheKeyFor,
  cachedAuth,
  credentialProviderRequest,
  parseCredentialProviderConfig,
  parseProviderResponse,
  providerMatches,
  type CacheEntry,
} from '../../../agent/images/credential-provider-config.js';

const CONFIG = `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
- name: ecr
  matchImages: ["*.dkr.ecr.*.amazonaws.com", "registry.example:5000/team"]
  defaultCacheDuration: 12h
  apiVersion: credentialprovider.kubelet.k8s.io/v1
  args: [get]
  env: [{ name: A, value: b }]
`;

describe('parseCredentialProviderConfig', () => {
  it('decodes a valid config', () => {
    const [p] = parseCredentialProviderConfig(CONFIG, 'c.yaml');
    expect(p).toEqual({
      name: 'ecr',
      matchImages: ['*.dkr.ecr.*.amazonaws.com', 'registry.example:5000/team'],
      defaultCacheDurationMs: 12 * 3_600_000,
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      args: ['get'],
      env: [{ name: 'A', value: 'b' }],
    });
    expect(providerMatches(p!, '123.dkr.ecr.eu-west-1.amazonaws.com/app')).toBe(true);
    expect(providerMatches(p!, 'registry.example:5000/team/app')).toBe(true);
    expect(providerMatches(p!, 'registry.example:5000/other')).toBe(false);
  });

  it('lists every problem', () => {
    const bad = `apiVersion: kubelet.config.k8s.io/v2
kind: CredentialProviderConfig
providers:
- name: a/b
  matchImages: []
  apiVersion: nope
- name: x
  matchImages: ["https://x"]
  defaultCacheDuration: 1m
  apiVersion: credentialprovider.kubelet.k8s.io/v1
- name: x
  matchImages: ["x"]
  defaultCacheDuration: 1m
  apiVersion: credentialprovider.kubelet.k8s.io/v1
`;
    let message = '';
    try {
      parseCredentialProviderConfig(bad, 'bad.yaml');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('apiVersion: Unsupported value: "kubelet.config.k8s.io/v2"');
    expect(message).toContain("providers[0].name: Invalid value: \"a/b\": provider name cannot contain path separators, '.' or '..'");
    expect(message).toContain('providers[0].matchImages: Required value');
    expect(message).toContain('providers[0].defaultCacheDuration: Required value');
    expect(message).toContain('providers[0].apiVersion: Unsupported value: "nope"');
    expect(message).toContain('providers[1].matchImages: Invalid value: "https://x": match image must not contain a scheme');
    expect(message).toContain('providers[2].name: Duplicate value: "x"');
  });
});

describe('the exec protocol', () => {
  const [provider] = parseCredentialProviderConfig(CONFIG, 'c.yaml');
  it('writes the request in the provider apiVersion', () => {
    expect(JSON.parse(credentialProviderRequest(provider!, 'registry.example:5000/team/app'))).toEqual({
      kind: 'CredentialProviderRequest',
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      image: 'registry.example:5000/team/app',
    });
  });

  it('checks the response', () => {
    const ok = parseProviderResponse(
      '{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Registry","cacheDuration":"5m","auth":{"registry.example:5000":{"username":"u","password":"p"}}}',
      provider!,
    );
    expect(ok.cacheKeyType).toBe('Registry');
    expect(cacheDuration(ok, provider!)).toBe(300_000);
    expect([...ok.auth]).toEqual([['registry.example:5000', { username: 'u', password: 'p' }]]);
    expect(() => parseProviderResponse('{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","cacheKeyType":"Image"}', provider!)).toThrow(
      'apiVersion from credential plugin response did not match expected apiVersion:credentialprovider.kubelet.k8s.io/v1, actual apiVersion:credentialprovider.kubelet.k8s.io/v1beta1',
    );
    expect(() => parseProviderResponse('{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Pod"}', provider!)).toThrow(/cacheKeyType/);
    const noDuration = parseProviderResponse('{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Image","auth":{}}', provider!);
    expect(cacheDuration(noDuration, provider!)).toBe(12 * 3_600_000);
  });

  it('cache keys and the image → registry → global lookup order', () => {
    expect(cacheKeyFor('Image', 'r.example/a')).toBe('image:r.example/a');
    expect(cacheKeyFor('Registry', 'r.example/a')).toBe('registry:r.example');
    expect(cacheKeyFor('Global', 'r.example/a')).toBe('global');
    const entry = (user: string, expiresAt: number): CacheEntry => ({ auth: new Map([['*', { username: user, password: '' }]]), expiresAt });
    const cache = new Map<string, CacheEntry>([
      ['global', entry('global', 100)],
      ['registry:r.example', entry('registry', 100)],
      ['image:r.example/a', entry('image', 50)],
    ]);
    expect(cachedAuth(cache, 'r.example/a', 10)?.auth.get('*')?.username).toBe('image');
    expect(cachedAuth(cache, 'r.example/a', 60)?.auth.get('*')?.username).toBe('registry'); // image entry expired
    expect(cachedAuth(cache, 'other.example/b', 60)?.auth.get('*')?.username).toBe('global');
    expect(cachedAuth(cache, 'other.example/b', 100)).toBeUndefined();
  });
});
