// Pure: the kubelet's credential keyring (k/k pkg/credentialprovider keyring.go, config.go).
// Docker config files are decoded into keyring entries; an image's repository is matched
// against every entry as the kubelet's BasicDockerKeyring.Lookup does (host labels as globs,
// equal port, path prefix; the most specific key first), and every match is returned so the
// puller can try them in turn. Credential helpers (`credsStore`, `credHelpers`) are entries
// that name a helper instead of carrying the secret: the adapter asks the helper at pull time.

/** The credentials Docker takes in X-Registry-Auth (cri-dockerd passes these fields). */
export interface RegistryAuth {
  readonly username?: string;
  readonly password?: string;
  readonly serveraddress?: string;
  readonly identitytoken?: string;
  readonly registrytoken?: string;
}

/** Where a credential came from: never the secret itself (safe to log). */
export interface CredentialOrigin {
  readonly source: string;
  readonly key: string;
}

export type KeyringCredential =
  | { readonly kind: 'static'; readonly auth: RegistryAuth; readonly origin: CredentialOrigin }
  /** `docker-credential-<helper> get`, with `serverURL` on stdin. */
  | { readonly kind: 'helper'; readonly helper: string; readonly serverURL: string; readonly origin: CredentialOrigin };

export interface Keyring {
  /** Normalised keys, reverse-sorted (a longer path is tried before its prefix). */
  readonly index: readonly string[];
  readonly creds: ReadonlyMap<string, readonly KeyringCredential[]>;
}

export const DEFAULT_REGISTRY_HOST = 'index.docker.io';

/** The kubelet's key for a config entry: scheme dropped, a leading /v1/ or /v2/ dropped, host[+path]. */
export function normalizeKey(location: string): string | undefined {
  const value = /^https?:\/\//.test(location) ? location : `https://${location}`;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return undefined;
  }
  let path = decodeURIComponent(parsed.pathname);
  if (path.startsWith('/v2/') || path.startsWith('/v1/')) path = path.slice(3);
  return path.length > 0 && path !== '/' ? parsed.host + path : parsed.host;
}

export function makeKeyring(entries: readonly { readonly location: string; readonly credential: KeyringCredential }[]): Keyring {
  const creds = new Map<string, KeyringCredential[]>();
  for (const { location, credential } of entries) {
    const key = normalizeKey(location);
    if (key === undefined) continue;
    const list = creds.get(key) ?? [];
    list.push(credential);
    creds.set(key, list);
  }
  const index = [...creds.keys()].sort().reverse();
  return { index, creds };
}

/** Keyrings searched one after the other (the kubelet's UnionDockerKeyring). */
export function lookupAll(keyrings: readonly Keyring[], repository: string): KeyringCredential[] {
  return keyrings.flatMap((k) => lookup(k, repository));
}

/**
 * BasicDockerKeyring.Lookup: every credential whose key matches `repository` (an image name
 * without tag or digest, e.g. `127.0.0.1:5000/team/app` or `docker.io/library/busybox`), in
 * index order; with none, the default registry's for a Docker Hub image.
 */
export function lookup(keyring: Keyring, repository: string): KeyringCredential[] {
  const found: KeyringCredential[] = [];
  for (const key of keyring.index) if (urlsMatch(key, repository)) found.push(...(keyring.creds.get(key) ?? []));
  if (found.length > 0) return found;
  if (isDefaultRegistryMatch(repository)) return [...(keyring.creds.get(DEFAULT_REGISTRY_HOST) ?? [])];
  return [];
}

/** keyring.go isDefaultRegistryMatch: a name whose first component is no host is Docker Hub's. */
export function isDefaultRegistryMatch(image: string): boolean {
  const slash = image.indexOf('/');
  const first = slash === -1 ? image : image.slice(0, slash);
  if (first.length === 0) return false;
  if (slash === -1) return true;
  if (first === 'docker.io' || first === 'index.docker.io') return true;
  return !/[.:]/.test(first);
}

/**
 * URLsMatchStr(glob, target): both schemeless; same number of host labels, each label a
 * filepath.Match glob, equal ports, and the glob's path a prefix of the target's.
 */
export function urlsMatch(glob: string, target: string): boolean {
  const g = splitSchemeless(glob);
  const t = splitSchemeless(target);
  if (!g || !t) return false;
  if (g.port !== t.port) return false;
  if (g.labels.length !== t.labels.length) return false;
  if (!t.path.startsWith(g.path)) return false;
  return g.labels.every((label, i) => globMatch(label, t.labels[i] ?? ''));
}

function splitSchemeless(s: string): { labels: string[]; port: string; path: string } | undefined {
  const slash = s.indexOf('/');
  const hostPort = slash === -1 ? s : s.slice(0, slash);
  const path = slash === -1 ? '' : s.slice(slash);
  const m = /^(.*?)(?::(\d*))?$/.exec(hostPort);
  if (!m) return undefined;
  return { labels: (m[1] ?? '').split('.'), port: m[2] ?? '', path };
}

/** Go's filepath.Match for one host label: `*`, `?` and `[...]` classes (no separators in a label). */
export function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) return false; // filepath.ErrBadPattern: no match
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += escapeRegExp(pattern[++i] ?? '');
    } else re += escapeRegExp(c);
  }
  try {
    return new RegExp(`${re}$`).test(name);
  } catch {
    return false;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// --- Docker config files ------------------------------------------------------------------------

export type DockerConfigFormat = 'config.json' | '.dockercfg';

export class DockerConfigError extends Error {}

/**
 * One decoded config file: `config.json` (`auths`, `credHelpers`, `credsStore`) or the legacy
 * `.dockercfg` (the bare map of registries). `auth` is base64 of `user:pass`, as the kubelet
 * decodes it. Throws DockerConfigError when the file does not parse (the search goes on).
 */
export function parseDockerConfig(text: string, format: DockerConfigFormat, source: string): { location: string; credential: KeyringCredential }[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DockerConfigError(`error occurred while trying to unmarshal json: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw new DockerConfigError('the docker config is not a JSON object');
  const out: { location: string; credential: KeyringCredential }[] = [];
  const auths = format === 'config.json' ? json['auths'] : json;
  if (format === 'config.json' && auths !== undefined && !isObject(auths)) throw new DockerConfigError('"auths" is not an object');
  const credsStore = format === 'config.json' && typeof json['credsStore'] === 'string' ? json['credsStore'] : undefined;
  const credHelpers = format === 'config.json' && isObject(json['credHelpers']) ? json['credHelpers'] : {};
  // A registry named in credHelpers is that helper's (added below); the others use credsStore.
  const helperFor = (location: string): string | undefined => (location in credHelpers ? undefined : credsStore || undefined);
  for (const [location, entry] of Object.entries(isObject(auths) ? auths : {})) {
    const origin = { source, key: location };
    const auth = isObject(entry) ? decodeEntry(entry, location) : undefined;
    if (auth) out.push({ location, credential: { kind: 'static', auth, origin } });
    else {
      // `{}` under auths: the docker CLI keeps the secret in the helper (credsStore).
      const helper = helperFor(location);
      if (helper) out.push({ location, credential: { kind: 'helper', helper, serverURL: location, origin } });
    }
  }
  for (const [location, helper] of Object.entries(credHelpers)) {
    if (typeof helper !== 'string' || helper === '') continue;
    out.push({ location, credential: { kind: 'helper', helper, serverURL: location, origin: { source, key: location } } });
  }
  return out;
}

/** The credsStore of a config.json, asked for any registry no entry names (as the docker CLI does). */
export function defaultCredsStore(text: string): string | undefined {
  try {
    const json: unknown = JSON.parse(text);
    return isObject(json) && typeof json['credsStore'] === 'string' && json['credsStore'] !== '' ? json['credsStore'] : undefined;
  } catch {
    return undefined;
  }
}

function decodeEntry(entry: Record<string, unknown>, location: string): RegistryAuth | undefined {
  let username = typeof entry['username'] === 'string' ? entry['username'] : '';
  let password = typeof entry['password'] === 'string' ? entry['password'] : '';
  const auth = typeof entry['auth'] === 'string' ? entry['auth'] : '';
  if (auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new DockerConfigError('unable to parse auth field, must be formatted as base64(username:password)');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identitytoken = typeof entry['identitytoken'] === 'string' ? entry['identitytoken'] : '';
  const registrytoken = typeof entry['registrytoken'] === 'string' ? entry['registrytoken'] : '';
  if (username === '' && password === '' && identitytoken === '' && registrytoken === '') return undefined;
  return {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(identitytoken ? { identitytoken } : {}),
    ...(registrytoken ? { registrytoken } : {}),
    serveraddress: location,
  };
}

/**
 * A credential helper's `get` answer ({ServerURL, Username, Secret}); the Username `<token>`
 * means Secret is an identity token, as the docker CLI reads it.
 */
export function parseHelperOutput(text: string, serverURL: string): RegistryAuth {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DockerConfigError('the credential helper printed no JSON');
  }
  if (!isObject(json)) throw new DockerConfigError('the credential helper printed no JSON object');
  const username = typeof json['Username'] === 'string' ? json['Username'] : '';
  const secret = typeof json['Secret'] === 'string' ? json['Secret'] : '';
  if (username === '<token>') return { identitytoken: secret, serveraddress: serverURL };
  return { username, password: secret, serveraddress: serverURL };
}

/** The registry host of a repository name (`docker.io/library/x` → index.docker.io, as Docker's auth uses). */
export function registryHost(repository: string): string {
  const slash = repository.indexOf('/');
  const first = slash === -1 ? '' : repository.slice(0, slash);
  if (first === '' || !/[.:]/.test(first) && first !== 'localhost') return DEFAULT_REGISTRY_HOST;
  if (first === 'docker.io') return DEFAULT_REGISTRY_HOST;
  return first;
}

/**
 * parsers.ParseImageName's repository for a reference already checked by applyDefaultImageTag:
 * the normalised name without tag or digest (`busybox:1` → `docker.io/library/busybox`).
 */
export function repositoryOf(image: string): string {
  const at = image.indexOf('@');
  let name = at === -1 ? image : image.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  const firstSlash = name.indexOf('/');
  const first = firstSlash === -1 ? '' : name.slice(0, firstSlash);
  const isDomain = first !== '' && (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first);
  if (!isDomain) return `docker.io/${name.includes('/') ? name : `library/${name}`}`;
  if (first === 'index.docker.io') return `docker.io/${name.slice(firstSlash + 1)}`;
  return name;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
