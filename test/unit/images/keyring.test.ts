// The kubelet's keyring rules (pkg/credentialprovider keyring.go, config.go): key normalisation,
// URLsMatch globbing, most specific key first, the Docker Hub fallback, config file decoding.
import { describe, expect, it } from 'vitest';
import {
  DockerConfigError,
  globMatch,
  isDefaultRegistryMatch,
  lookup,
  makeKeyring,
  normalizeKey,
  parseDockerConfig,
  parseHelperOutput,
  registryHost,
  repositoryOf,
  urlsMatch,
  type KeyringCredential,
} from '../../../agent/images/keyring.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function users(creds: readonly KeyringCredential[]): string[] {
  return creds.map((c) => (c.kind === 'static' ? (c.auth.username ?? '') : `helper:${c.helper}`));
}

describe('normalizeKey', () => {
  it.each([
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['http://registry.example:5000', 'registry.example:5000'],
    ['registry.example/v2/team', 'registry.example/team'],
    ['registry.example/team/app', 'registry.example/team/app'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
  ])('%s → %s', (location, key) => expect(normalizeKey(location)).toBe(key));
});

describe('urlsMatch', () => {
  it.each([
    ['*.example.com', 'registry.example.com/app', true],
    ['*.example.com', 'a.b.example.com/app', false], // one label per *
    ['registry.example.com:5000', 'registry.example.com/app', false], // ports differ
    ['registry.example.com/team', 'registry.example.com/team/app', true],
    ['registry.example.com/team', 'registry.example.com/other/app', false],
    ['127.0.0.1:5000', '127.0.0.1:5000/x/y', true],
    ['*.*.io', 'quay.example.io/x', true],
    ['r?gistry.io', 'registry.io/x', true],
  ])('%s vs %s: %s', (glob, target, want) => expect(urlsMatch(glob, target)).toBe(want));

  it('globMatch handles classes and refuses a bad pattern', () => {
    expect(globMatch('reg[a-z]', 'regx')).toBe(true);
    expect(globMatch('reg[', 'reg[')).toBe(false);
  });
});

describe('lookup', () => {
  const cred = (username: string): KeyringCredential => ({ kind: 'static', auth: { username, password: 'p' }, origin: { source: 'test', key: username } });
  const keyring = makeKeyring([
    { location: 'registry.example', credential: cred('host') },
    { location: 'https://registry.example/team', credential: cred('team') },
    { location: 'registry.example/team/app', credential: cred('app') },
    { location: 'https://index.docker.io/v1/', credential: cred('hub') },
    { location: '*.wild.example', credential: cred('wild') },
  ]);

  it('returns every match, the most specific key first', () => {
    expect(users(lookup(keyring, 'registry.example/team/app'))).toEqual(['app', 'team', 'host']);
    expect(users(lookup(keyring, 'registry.example/other'))).toEqual(['host']);
    expect(users(lookup(keyring, 'eu.wild.example/x'))).toEqual(['wild']);
  });

  it('Docker Hub images get the index.docker.io credentials', () => {
    expect(users(lookup(keyring, 'docker.io/library/busybox'))).toEqual(['hub']);
    expect(users(lookup(keyring, 'other.example/x'))).toEqual([]);
  });

  it('isDefaultRegistryMatch', () => {
    expect(isDefaultRegistryMatch('busybox')).toBe(true);
    expect(isDefaultRegistryMatch('library/busybox')).toBe(true);
    expect(isDefaultRegistryMatch('docker.io/x/y')).toBe(true);
    expect(isDefaultRegistryMatch('quay.io/x/y')).toBe(false);
    expect(isDefaultRegistryMatch('localhost:5000/x')).toBe(false);
  });
});

describe('parseDockerConfig', () => {
  it('config.json: auth (base64 user:pass), username/password, credsStore for empty entries, credHelpers', () => {
    const text = JSON.stringify({
      auths: { 'a.example': { auth: b64('ua:pa:with:colons') }, 'b.example': { username: 'ub', password: 'pb' }, 'c.example': {} },
      credsStore: 'store',
      credHelpers: { 'd.example': 'helper-d' },
    });
    const entries = parseDockerConfig(text, 'config.json', '/x/config.json');
    expect(entries.map((e) => [e.location, users([e.credential])[0]])).toEqual([
      ['a.example', 'ua'],
      ['b.example', 'ub'],
      ['c.example', 'helper:store'],
      ['d.example', 'helper:helper-d'],
    ]);
    const a = entries[0]?.credential;
    expect(a?.kind === 'static' && a.auth.password).toBe('pa:with:colons');
  });

  it('.dockercfg is the bare map', () => {
    const entries = parseDockerConfig(JSON.stringify({ 'legacy.example': { auth: b64('u:p'), email: 'e' } }), '.dockercfg', '/root/.dockercfg');
    expect(entries.map((e) => e.location)).toEqual(['legacy.example']);
  });

  it("the kubelet's errors", () => {
    expect(() => parseDockerConfig('{', 'config.json', 'f')).toThrow(DockerConfigError);
    expect(() => parseDockerConfig(JSON.stringify({ auths: { x: { auth: b64('nocolon') } } }), 'config.json', 'f')).toThrow(
      'unable to parse auth field, must be formatted as base64(username:password)',
    );
  });

  it('helper output: a password, or an identity token for Username <token>', () => {
    expect(parseHelperOutput('{"ServerURL":"r","Username":"u","Secret":"s"}', 'r')).toEqual({ username: 'u', password: 's', serveraddress: 'r' });
    expect(parseHelperOutput('{"ServerURL":"r","Username":"<token>","Secret":"t"}', 'r')).toEqual({ identitytoken: 't', serveraddress: 'r' });
  });
});

describe('image names', () => {
  it.each([
    ['busybox:1.37', 'docker.io/library/busybox'],
    ['team/app', 'docker.io/team/app'],
    ['index.docker.io/team/app:1', 'docker.io/team/app'],
    ['127.0.0.1:5000/a/b:v1', '127.0.0.1:5000/a/b'],
    ['localhost/x@sha256:' + 'a'.repeat(64), 'localhost/x'],
  ])('repositoryOf(%s) = %s', (image, repo) => expect(repositoryOf(image)).toBe(repo));

  it('registryHost', () => {
    expect(registryHost('docker.io/library/busybox')).toBe('index.docker.io');
    expect(registryHost('127.0.0.1:5000/a')).toBe('127.0.0.1:5000');
  });
});

describe('dockerConfigSearchPath', () => {
  it("the kubelet's order: config.json in the root dir, the working dir, $DOCKER_CONFIG, ~/.docker, /.docker; then .dockercfg", async () => {
    const { dockerConfigSearchPath } = await import('../../../agent/images/credentials.js');
    const paths = dockerConfigSearchPath({ rootDir: '/var/lib/kubelet', cwd: '/srv', env: { HOME: '/root', DOCKER_CONFIG: '/etc/docker-cli' } });
    expect(paths.map((p) => p.file)).toEqual([
      '/var/lib/kubelet/config.json',
      '/srv/config.json',
      '/etc/docker-cli/config.json',
      '/root/.docker/config.json',
      '/.docker/config.json',
      '/var/lib/kubelet/.dockercfg',
      '/srv/.dockercfg',
      '/root/.dockercfg',
      '/.dockercfg',
    ]);
  });
});
