import { describe, expect, it } from 'vitest';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidIP,
  isValidLabelValue,
  isValidPercent,
  isValidPortName,
  isValidPortNum,
  isValidSysctlName,
} from '../../../agent/manifest/names.js';
import { GoLiteral, formatGoValue, goQuote, goStringMap, invalid, notSupported, required, tooMany } from '../../../agent/manifest/field-issue.js';

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe('isDNS1123Label', () => {
  it.each<[string, string[]]>([
    ['web', []],
    ['a-1', []],
    ['123', []],
    ['Web', [LABEL_MSG]],
    ['-web', [LABEL_MSG]],
    ['web_1', [LABEL_MSG]],
    ['', [LABEL_MSG]],
    ['a.b', ['must not contain dots']],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['A'.repeat(64), ['must be no more than 63 characters', LABEL_MSG]],
  ])('%j', (value, expected) => {
    expect(isDNS1123Label(value)).toEqual(expected);
  });
});

describe('isDNS1123Subdomain', () => {
  it.each<[string, string[]]>([
    ['example.com', []],
    ['web', []],
    ['Example.com', [SUBDOMAIN_MSG]],
    ['a..b', [SUBDOMAIN_MSG]],
    [`${'a'.repeat(250)}.com`, ['must be no more than 253 characters']],
  ])('%j', (value, expected) => {
    expect(isDNS1123Subdomain(value)).toEqual(expected);
  });
});

describe('isQualifiedName', () => {
  it.each<[string, string[]]>([
    ['app', []],
    ['app.kubernetes.io/name', []],
    ['My_Name.1', []],
    ['bad key', [NAME_PART_MSG]],
    ['/name', ['prefix part must be non-empty']],
    ['example.com/', ['name part must be non-empty', NAME_PART_MSG]],
    ['Example.com/x', [`prefix part ${SUBDOMAIN_MSG}`]],
    [`${'a'.repeat(64)}`, ['name part must be no more than 63 characters']],
    [
      'a/b/c',
      [
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    ],
  ])('%j', (value, expected) => {
    expect(isQualifiedName(value)).toEqual(expected);
  });
});

describe('isValidLabelValue', () => {
  const msg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  it.each<[string, string[]]>([
    ['', []],
    ['v1.2_x', []],
    ['-x', [msg]],
    ['a b', [msg]],
    ['x'.repeat(64), ['must be no more than 63 characters']],
  ])('%j', (value, expected) => {
    expect(isValidLabelValue(value)).toEqual(expected);
  });
});

describe('isValidPortName (IANA_SVC_NAME)', () => {
  it.each<[string, string[]]>([
    ['http', []],
    ['web-8080', []],
    ['HTTP', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']],
    ['8080', ['must contain at least one letter (a-z)']],
    ['a--b', ['must not contain consecutive hyphens']],
    ['-http', ['must not begin or end with a hyphen']],
    ['a-very-long-port-name', ['must be no more than 15 characters']],
  ])('%j', (value, expected) => {
    expect(isValidPortName(value)).toEqual(expected);
  });
});

describe('numbers and misc formats', () => {
  it('port numbers are 1..65535', () => {
    expect(isValidPortNum(1)).toEqual([]);
    expect(isValidPortNum(65535)).toEqual([]);
    expect(isValidPortNum(0)).toEqual(['must be between 1 and 65535, inclusive']);
    expect(isValidPortNum(70000)).toEqual(['must be between 1 and 65535, inclusive']);
  });

  it('env var names: relaxed (current default) and strict', () => {
    expect(isRelaxedEnvVarName('1FOO bar')).toEqual([]);
    expect(isRelaxedEnvVarName('A=B')).toEqual(["a valid environment variable name must consist only of printable ASCII characters other than '='"]);
    expect(isRelaxedEnvVarName('é')).toEqual(["a valid environment variable name must consist only of printable ASCII characters other than '='"]);
    expect(isEnvVarName('MY_ENV.NAME')).toEqual([]);
    expect(isEnvVarName('1FOO')).toEqual([
      "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
    ]);
    expect(isEnvVarName('..')).toEqual(["must not be '..'"]);
  });

  it('percent strings', () => {
    expect(isValidPercent('10%')).toEqual([]);
    expect(isValidPercent('10')).toEqual([
      "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ]);
  });

  it.each<[string, boolean]>([
    ['10.9.8.7', true],
    ['010.009.8.7', true],
    ['256.1.1.1', false],
    ['1.2.3', false],
    ['2001:db8::ffff', true],
    ['::1', true],
    ['::ffff:1.2.3.4', true],
    ['1:2:3:4:5:6:7:8', true],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1::2::3', false],
    ['example.com', false],
  ])('IP %s valid=%s', (ip, ok) => {
    expect(isValidIP(ip)).toBe(ok);
  });

  it('sysctl names', () => {
    expect(isValidSysctlName('net.ipv4.ip_forward')).toBe(true);
    expect(isValidSysctlName('kernel/shm_rmid_forced')).toBe(true);
    expect(isValidSysctlName('Net.IPv4')).toBe(false);
  });
});

describe('field issue formatting (field/errors.go)', () => {
  it.each<[string, string]>([
    [goQuote('Foo'), '"Foo"'],
    [goQuote('a"b\\c'), '"a\\"b\\\\c"'],
    [goQuote('tab\there\n'), '"tab\\there\\n"'],
    [goQuote('\x01'), '"\\x01"'],
    [goQuote('ünïcode'), '"ünïcode"'],
    [formatGoValue(70000), '70000'],
    [formatGoValue(true), 'true'],
    [formatGoValue(null), 'null'],
    [formatGoValue(new GoLiteral('10%')), '10%'],
    [goStringMap({ b: '2', a: '1' }).text, 'map[string]string{"a":"1", "b":"2"}'],
    [goStringMap(undefined).text, 'map[string]string(nil)'],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('builds kubectl lines', () => {
    expect(required('spec.containers[0].image').message).toBe('spec.containers[0].image: Required value');
    expect(required('spec.dnsConfig', 'must provide it').message).toBe('spec.dnsConfig: Required value: must provide it');
    expect(invalid('spec.x', 'v', 'bad').message).toBe('spec.x: Invalid value: "v": bad');
    expect(notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never']).message).toBe(
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
    expect(tooMany('spec.x', 5, 3).message).toBe('spec.x: Too many: 5: must have at most 3 items');
  });
});
