// The node's registry credentials for one pull: the kubelet's Docker config keyring (search
// path of config.json / .dockercfg, credsStore and credHelpers through docker-credential-*
// helpers) followed by the kubelet's exec credential provider plugins. Thin I/O around the
// pure keyring.ts and credential-provider-config.ts. Secrets are returned to the puller only:
// what is logged is the origin (file and key, or plugin name), never a username or password.
import { access, constants, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { ExecFailure, execWithStdin } from './exec-stdin.js';
import {
  cacheDuration,
  cacheKeyFor,
  cachedAuth,
  credentialProviderRequest,
  parseCredentialProviderConfig,
  parseProviderResponse,
  providerMatches,
  type CacheEntry,
  type CredentialProvider,
} from './credential-provider-config.js';
import {
  DockerConfigError,
  defaultCredsStore,
  lookup,
  makeKeyring,
  parseDockerConfig,
  parseHelperOutput,
  registryHost,
  type CredentialOrigin,
  type KeyringCredential,
  type RegistryAuth,
} from './keyring.js';

export interface ResolvedCredential {
  readonly auth: RegistryAuth;
  readonly origin: CredentialOrigin;
}

/** What the puller asks for: the credentials to try, in order, for an image's repository. */
export type CredentialLookup = (repository: string) => Promise<ResolvedCredential[]>;

interface Log {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** The kubelet's search path (config.go): config.json first; .dockercfg only when none was found. */
export function dockerConfigSearchPath(opts: { rootDir: string; cwd: string; env: NodeJS.ProcessEnv }): { file: string; format: 'config.json' | '.dockercfg' }[] {
  const home = opts.env.HOME ?? '';
  const jsonDirs = [opts.rootDir, opts.cwd, ...(opts.env.DOCKER_CONFIG ? [opts.env.DOCKER_CONFIG] : []), ...(home ? [join(home, '.docker')] : []), '/.docker'];
  const cfgDirs = [opts.rootDir, opts.cwd, ...(home ? [home] : []), '/'];
  return [...jsonDirs.map((d) => ({ file: join(d, 'config.json'), format: 'config.json' as const })), ...cfgDirs.map((d) => ({ file: join(d, '.dockercfg'), format: '.dockercfg' as const }))];
}

/** Plugin execs time out after a minute, as the kubelet's do. */
const PLUGIN_TIMEOUT_MS = 60_000;
const HELPER_TIMEOUT_MS = 60_000;

export interface NodeCredentialsOptions {
  readonly rootDir: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly providers?: readonly CredentialProvider[];
  readonly providerBinDir?: string;
  readonly logger?: Log;
  readonly now?: () => number;
}

export class NodeCredentials {
  readonly #opts: NodeCredentialsOptions;
  readonly #env: NodeJS.ProcessEnv;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inFlight = new Map<string, Promise<ResolvedCredential[]>>();

  constructor(opts: NodeCredentialsOptions) {
    this.#opts = opts;
    this.#env = opts.env ?? process.env;
  }

  /** Docker config credentials, then plugin credentials (the kubelet's union keyring order). */
  readonly lookup: CredentialLookup = async (repository) => {
    const fromFiles = await this.#fromDockerConfig(repository);
    const fromPlugins = await this.#fromPlugins(repository);
    return [...fromFiles, ...fromPlugins];
  };

  async #fromDockerConfig(repository: string): Promise<ResolvedCredential[]> {
    const log = this.#opts.logger;
    let sawJson = false;
    for (const { file, format } of dockerConfigSearchPath({ rootDir: this.#opts.rootDir, cwd: this.#opts.cwd ?? process.cwd(), env: this.#env })) {
      if (format === '.dockercfg' && sawJson) break;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue;
      }
      let entries;
      try {
        entries = parseDockerConfig(text, format, file);
      } catch (e) {
        // As the kubelet: a file that does not parse is skipped and the search goes on.
        log?.warn({ file, err: e instanceof DockerConfigError ? e.message : errorMessage(e) }, 'docker config file skipped');
        continue;
      }
      sawJson = sawJson || format === 'config.json';
      const matched: KeyringCredential[] = lookup(makeKeyring(entries), repository);
      // The docker CLI asks credsStore for a registry no entry names.
      const store = format === 'config.json' ? defaultCredsStore(text) : undefined;
      if (matched.length === 0 && store !== undefined) {
        const host = registryHost(repository);
        const serverURL = host === 'index.docker.io' ? 'https://index.docker.io/v1/' : host;
        matched.push({ kind: 'helper', helper: store, serverURL, origin: { source: file, key: `credsStore:${store}` } });
      }
      log?.debug({ file, repository, candidates: matched.map((m) => m.origin.key) }, 'docker config read');
      return this.#resolveHelpers(matched);
    }
    return [];
  }

  async #resolveHelpers(found: readonly KeyringCredential[]): Promise<ResolvedCredential[]> {
    const out: ResolvedCredential[] = [];
    for (const c of found) {
      if (c.kind === 'static') {
        out.push({ auth: c.auth, origin: c.origin });
        continue;
      }
      const program = `docker-credential-${c.helper}`;
      try {
        const { stdout } = await execWithStdin(program, ['get'], c.serverURL, { env: this.#env, timeoutMs: HELPER_TIMEOUT_MS });
        out.push({ auth: parseHelperOutput(stdout, c.serverURL), origin: c.origin });
      } catch (e) {
        // "credentials not found" is the helper's normal answer for an unknown registry.
        const text = e instanceof ExecFailure ? `${e.stdout} ${e.stderr}` : errorMessage(e);
        if (/credentials not found/i.test(text)) continue;
        this.#opts.logger?.warn({ helper: program, registry: c.serverURL, err: e instanceof ExecFailure ? e.message : errorMessage(e) }, 'credential helper failed');
      }
    }
    return out;
  }

  async #fromPlugins(repository: string): Promise<ResolvedCredential[]> {
    const out: ResolvedCredential[] = [];
    for (const provider of this.#opts.providers ?? []) {
      if (!providerMatches(provider, repository)) continue;
      try {
        out.push(...(await this.#fromPlugin(provider, repository)));
      } catch (e) {
        // As the kubelet: a failed plugin is logged and the pull goes on with the other creds.
        this.#opts.logger?.warn({ provider: provider.name, image: repository, err: errorMessage(e) }, 'Failed getting credential from external registry credential provider');
      }
    }
    return out;
  }

  /** One provider: a cached response, or one exec shared by concurrent callers (singleflight). */
  async #fromPlugin(provider: CredentialProvider, repository: string): Promise<ResolvedCredential[]> {
    const now = this.#opts.now ?? Date.now;
    const cacheKeyPrefix = `${provider.name}\u0000`;
    const scoped = new Map([...this.#cache].filter(([k]) => k.startsWith(cacheKeyPrefix)).map(([k, v]) => [k.slice(cacheKeyPrefix.length), v]));
    const hit = cachedAuth(scoped, repository, now());
    if (hit) return toResolved(hit.auth, repository, provider.name, 'cache');
    const flightKey = `${provider.name}\u0000${repository}`;
    let flight = this.#inFlight.get(flightKey);
    if (!flight) {
      flight = this.#execPlugin(provider, repository, now).finally(() => this.#inFlight.delete(flightKey));
      this.#inFlight.set(flightKey, flight);
    }
    return flight;
  }

  async #execPlugin(provider: CredentialProvider, repository: string, now: () => number): Promise<ResolvedCredential[]> {
    const binary = join(this.#opts.providerBinDir ?? '', provider.name);
    const env = { ...this.#env, ...Object.fromEntries(provider.env.map((e) => [e.name, e.value])) };
    const { stdout } = await execWithStdin(binary, provider.args, credentialProviderRequest(provider, repository), { env, timeoutMs: PLUGIN_TIMEOUT_MS });
    const response = parseProviderResponse(stdout, provider);
    const ttl = cacheDuration(response, provider);
    if (ttl > 0) this.#cache.set(`${provider.name}\u0000${cacheKeyFor(response.cacheKeyType, repository)}`, { auth: response.auth, expiresAt: now() + ttl });
    this.#pruneExpired(now());
    this.#opts.logger?.debug({ provider: provider.name, image: repository, cacheKeyType: response.cacheKeyType, cacheMs: ttl }, 'credential provider answered');
    return toResolved(response.auth, repository, provider.name, 'exec');
  }

  #pruneExpired(now: number): void {
    for (const [k, v] of this.#cache) if (v.expiresAt <= now) this.#cache.delete(k);
  }
}

/** The response's credentials whose key matches the image, most specific first (as a keyring). */
function toResolved(auth: CacheEntry['auth'], repository: string, provider: string, via: string): ResolvedCredential[] {
  const keyring = makeKeyring(
    [...auth].map(([location, c]) => ({ location, credential: { kind: 'static' as const, auth: { username: c.username, password: c.password, serveraddress: location }, origin: { source: `plugin ${provider} (${via})`, key: location } } })),
  );
  return lookup(keyring, repository).flatMap((c) => (c.kind === 'static' ? [{ auth: c.auth, origin: c.origin }] : []));
}

/**
 * Reads and checks the plugin config at startup, with the kubelet's errors: a missing bin
 * dir or binary stops the agent, as it stops the kubelet.
 */
export async function loadCredentialProviders(configFile: string, binDir: string | undefined): Promise<CredentialProvider[]> {
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch (e) {
    throw new Error(`unable to read credential provider config file ${configFile}: ${errorMessage(e)}`);
  }
  const providers = parseCredentialProviderConfig(text, configFile);
  if (!binDir) throw new Error('imageCredentialProviderBinDir must be set when imageCredentialProviderConfig is');
  const dir = await stat(binDir).catch(() => undefined);
  if (!dir?.isDirectory()) throw new Error(`plugin binary directory ${binDir} did not exist`);
  for (const p of providers) {
    const file = join(binDir, p.name);
    try {
      await access(file, constants.X_OK);
    } catch {
      throw new Error(`plugin binary executable ${file} did not exist`);
    }
  }
  return providers;
}
