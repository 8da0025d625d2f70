// Name and format checks of k8s.io/apimachinery/pkg/util/validation, with their exact
// messages. Each returns the list of problems (empty when valid), as the Go functions do,
// because some callers emit one field error per message.

const utf8 = new TextEncoder();
/**
 * Go's len(): UTF-8 bytes, not UTF-16 units (a lone surrogate counts as the 3 bytes of U+FFFD).
 * Buffer.byteLength counts without encoding, which matters here: it runs for every name. A value
 * that is not a string (only from objects that skipped the schema) is measured as TextEncoder
 * coerces it.
 */
export function byteLength(s: string): number {
  return typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : utf8.encode(s).length;
}

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** RegexError: note the double space Go leaves between examples ("'my-name',  or '123-abc'"). */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let out = `${msg} (e.g. `;
  examples.forEach((ex, i) => {
    if (i > 0) out += ' or ';
    out += `'${ex}', `;
  });
  return `${out}regex used for validation is '${fmt}')`;
}

export function emptyError(): string {
  return 'must be non-empty';
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

export const NEGATIVE_ERROR = 'must be greater than or equal to 0';

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_ERR =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
export const DNS1123_LABEL_MAX_LENGTH = 63;
const dns1123LabelRe = new RegExp(`^${DNS1123_LABEL_FMT}$`);

const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_ERR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const dns1123SubdomainRe = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);

const DNS1123_LABEL_FMT_UNDERSCORE = '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT_UNDERSCORE = `${DNS1123_LABEL_FMT_UNDERSCORE}(\\.${DNS1123_LABEL_FMT_UNDERSCORE})*`;
const DNS1123_SUBDOMAIN_ERR_UNDERSCORE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character";
const dns1123SubdomainUnderscoreRe = new RegExp(`^${DNS1123_SUBDOMAIN_FMT_UNDERSCORE}$`);

/** DNS-1123 label (container, volume, port-less names; namespaces; hostname). */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1123LabelRe.test(value)) {
    // A valid subdomain that is not a valid label can only be wrong because of its dots.
    if (dns1123SubdomainRe.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

/** DNS-1123 subdomain (object names, host aliases). */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

/** The relaxed DNS search-path check (RelaxedDNSSearchValidation, on by default). */
export function isDNS1123SubdomainWithUnderscore(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainUnderscoreRe.test(value)) {
    errs.push(regexError(DNS1123_SUBDOMAIN_ERR_UNDERSCORE, DNS1123_SUBDOMAIN_FMT_UNDERSCORE, 'example.com'));
  }
  return errs;
}

const QUALIFIED_NAME_CHAR = '[A-Za-z0-9]';
const QUALIFIED_NAME_EXT_CHAR = '[-A-Za-z0-9_.]';
const QUALIFIED_NAME_FMT = `(${QUALIFIED_NAME_CHAR}${QUALIFIED_NAME_EXT_CHAR}*)?${QUALIFIED_NAME_CHAR}`;
const QUALIFIED_NAME_ERR =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MAX_LENGTH = 63;
const qualifiedNameRe = new RegExp(`^${QUALIFIED_NAME_FMT}$`);

/** Qualified name: label and annotation keys, `[prefix/]name`. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (byteLength(name) > QUALIFIED_NAME_MAX_LENGTH) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  if (!qualifiedNameRe.test(name)) {
    errs.push(`name part ${regexError(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_ERR =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
export const LABEL_VALUE_MAX_LENGTH = 63;
const labelValueRe = new RegExp(`^${LABEL_VALUE_FMT}$`);

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!labelValueRe.test(value)) errs.push(regexError(LABEL_VALUE_ERR, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** IANA_SVC_NAME: container port names and named probe ports. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (byteLength(port) > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

const MAX_ID = 0xffffffff;
export function isValidUserID(uid: number): string[] {
  return uid >= 0 && uid <= MAX_ID ? [] : [inclusiveRangeError(0, MAX_ID)];
}
export function isValidGroupID(gid: number): string[] {
  return gid >= 0 && gid <= MAX_ID ? [] : [inclusiveRangeError(0, MAX_ID)];
}

const PERCENT_FMT = '[0-9]+%';
const PERCENT_ERR = "a valid percent string must be a numeric string followed by an ending '%'";
export function isValidPercent(value: string): string[] {
  return /^[0-9]+%$/.test(value) ? [] : [regexError(PERCENT_ERR, PERCENT_FMT, '1%', '93%')];
}

const HTTP_HEADER_FMT = '[-A-Za-z0-9]+';
const HTTP_HEADER_ERR = "a valid HTTP header must consist of alphanumeric characters or '-'";
export function isHTTPHeaderName(value: string): string[] {
  return /^[-A-Za-z0-9]+$/.test(value) ? [] : [regexError(HTTP_HEADER_ERR, HTTP_HEADER_FMT, 'X-Header-Name')];
}

function hasChDirPrefix(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  if (value.startsWith('..')) return ["must not start with '..'"];
  return [];
}

const ENV_VAR_NAME_FMT = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const ENV_VAR_NAME_ERR =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";
/** The strict (pre-RelaxedEnvironmentVariableValidation) rule, kept for older-cluster parity. */
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(value)) {
    errs.push(regexError(ENV_VAR_NAME_ERR, ENV_VAR_NAME_FMT, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  }
  return [...errs, ...hasChDirPrefix(value)];
}

const RELAXED_ENV_VAR_NAME_ERR = "a valid environment variable name must consist only of printable ASCII characters other than '='";
/** RelaxedEnvironmentVariableValidation (on by default in current releases): printable ASCII except '='. */
export function isRelaxedEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (value.length === 0) errs.push(`environment variable name ${emptyError()}`);
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp > 0x7e || cp < 0x20 || ch === '=') {
      errs.push(RELAXED_ENV_VAR_NAME_ERR);
      break;
    }
  }
  return errs;
}

const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_MAP_KEY_ERR = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!/^[-._a-zA-Z0-9]+$/.test(value)) errs.push(regexError(CONFIG_MAP_KEY_ERR, CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  return [...errs, ...hasChDirPrefix(value)];
}

export const INVALID_IP_ERROR = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

/** IPv4 (leading zeros tolerated, as netutils.ParseIPSloppy does) or IPv6. */
export function isValidIP(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

function isIPv4(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(value: string): boolean {
  if (!value.includes(':')) return false;
  let s = value;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 address stands for the last two groups.
    if (!isIPv4(tail)) return false;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const hex = /^[0-9A-Fa-f]{1,4}$/;
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const halves = s.split('::');
  if (halves.length > 2) return false;
  if (halves.length === 2) {
    const groups = [...groupsOf(halves[0] ?? ''), ...groupsOf(halves[1] ?? '')];
    return groups.length <= 7 && groups.every((g) => hex.test(g));
  }
  const groups = groupsOf(s);
  return groups.length === 8 && groups.every((g) => hex.test(g));
}

const SYSCTL_SEGMENT_FMT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
/** The regexp source Go prints with %s in the sysctl error. */
export const SYSCTL_NAME_REGEX = `^(${SYSCTL_SEGMENT_FMT}[\\./])*${SYSCTL_SEGMENT_FMT}$`;
const sysctlRe = new RegExp(SYSCTL_NAME_REGEX);
export const SYSCTL_MAX_LENGTH = 253;
export function isValidSysctlName(name: string): boolean {
  return byteLength(name) <= SYSCTL_MAX_LENGTH && sysctlRe.test(name);
}
