// Docker image references, parsed the way kubelet's parsers.ParseImageName does
// (distribution/reference grammar), only as far as pull-policy defaulting needs.

export interface ImageRef {
  /** Repository without tag or digest, e.g. `registry:5000/team/app`. */
  readonly repository: string;
  /** `latest` when neither a tag nor a digest is given, as ParseImageName reports it. */
  readonly tag: string;
  readonly digest: string;
}

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const NAME_TOTAL_MAX = 255;

/** Undefined when the text is not a valid reference (ParseImageName would return an error). */
export function parseImageRef(image: string): ImageRef | undefined {
  const m = REFERENCE.exec(image);
  if (!m) return undefined;
  const repository = m[1] ?? '';
  if (repository.length > NAME_TOTAL_MAX) return undefined;
  const tag = m[2] ?? '';
  const digest = m[3] ?? '';
  return { repository, tag: tag === '' && digest === '' ? 'latest' : tag, digest };
}

/** SetDefaults_Container: `Always` for the latest tag (or no tag and no digest), else `IfNotPresent`. */
export function defaultPullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  const ref = parseImageRef(image ?? '');
  return ref?.tag === 'latest' ? 'Always' : 'IfNotPresent';
}
