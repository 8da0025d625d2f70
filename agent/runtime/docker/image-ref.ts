// Pure: kubelet's applyDefaultImageTag (pkg/kubelet/images/image_manager.go) over the image
// reference grammar of github.com/distribution/reference (regexp.go, normalize.go,
// reference.go) and go-digest's validation, so an unusable `image` gets kubelet's
// InvalidImageName message before anything is asked of the engine.
import { goQuote } from '../../manifest/field-issue.js';

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6address})(?::[0-9]+)?`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePattern = `(?:${domainAndPort}/)?${remoteName}`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';

const REFERENCE = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;
const NAME_TOTAL_LENGTH_MAX = 255;
/** go-digest algorithms and their hex lengths. */
const DIGEST_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

export type ImageRefResult = { readonly ok: true; readonly image: string } | { readonly ok: false; readonly message: string };

/**
 * kubelet's applyDefaultImageTag: `image` with ":latest" appended when it has neither tag nor
 * digest, or kubelet's InvalidImageName message
 * (`Failed to apply default image tag "<img>": couldn't parse image reference "<img>": <why>`).
 */
export function applyDefaultImageTag(image: string): ImageRefResult {
  const parsed = parseNormalizedNamed(image);
  if (!parsed.ok) {
    return { ok: false, message: `Failed to apply default image tag ${goQuote(image)}: couldn't parse image reference ${goQuote(image)}: ${parsed.error}` };
  }
  return { ok: true, image: parsed.tagged || parsed.digested ? image : `${image}:latest` };
}

type Parsed = { ok: true; tagged: boolean; digested: boolean } | { ok: false; error: string };

/** distribution/reference ParseNormalizedNamed (only what decides validity and tag/digest). */
function parseNormalizedNamed(s: string): Parsed {
  if (IDENTIFIER.test(s)) return { ok: false, error: `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings` };
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) return { ok: false, error: `invalid reference format: repository name (${remote}) must be lowercase` };
  return parse(`${domain}/${remainder}`);
}

function parse(s: string): Parsed {
  const m = REFERENCE.exec(s);
  if (!m) {
    if (s === '') return { ok: false, error: 'repository name must have at least one component' };
    if (REFERENCE.test(s.toLowerCase())) return { ok: false, error: 'repository name must be lowercase' };
    return { ok: false, error: 'invalid reference format' };
  }
  const [, name = '', tag, digest] = m;
  if (name.length > NAME_TOTAL_LENGTH_MAX) return { ok: false, error: `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters` };
  if (digest !== undefined) {
    const digestError = validateDigest(digest);
    if (digestError) return { ok: false, error: digestError };
  }
  return { ok: true, tagged: tag !== undefined, digested: digest !== undefined };
}

/** go-digest Digest.Validate, for a string that already matched the digest pattern. */
function validateDigest(d: string): string | undefined {
  const i = d.indexOf(':');
  const algorithm = d.slice(0, i);
  const encoded = d.slice(i + 1);
  const length = DIGEST_LENGTHS[algorithm];
  if (length === undefined) return 'unsupported digest algorithm';
  if (encoded.length !== length) return 'invalid checksum digest length';
  if (!/^[a-f0-9]+$/.test(encoded)) return 'invalid checksum digest format';
  return undefined;
}

/** distribution/reference splitDockerDomain (newest: localhost, index.docker.io, ".:" or uppercase mean a domain). */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash === -1) return { domain: 'docker.io', remainder: `library/${name}` };
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === 'index.docker.io') {
    domain = 'docker.io';
    remainder = maybeRemote;
  } else if (maybeDomain === 'localhost' || /[.:]/.test(maybeDomain) || maybeDomain.toLowerCase() !== maybeDomain) {
    domain = maybeDomain;
    remainder = maybeRemote;
  } else {
    domain = 'docker.io';
    remainder = name;
  }
  if (domain === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  return { domain, remainder };
}

