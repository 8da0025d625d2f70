import { describe, expect, it } from 'vitest';
import { parseSelector, selectorMatches } from '../../../agent/cli/label-selector.js';

describe('parseSelector', () => {
  it.each([
    ['', []],
    ['app=web', [{ key: 'app', operator: '=', values: ['web'] }]],
    ['app==web', [{ key: 'app', operator: '==', values: ['web'] }]],
    ['app!=web', [{ key: 'app', operator: '!=', values: ['web'] }]],
    ['app', [{ key: 'app', operator: 'exists', values: [] }]],
    ['!app', [{ key: 'app', operator: '!', values: [] }]],
    ['app=', [{ key: 'app', operator: '=', values: [''] }]],
    ['tier in (b,a)', [{ key: 'tier', operator: 'in', values: ['a', 'b'] }]],
    ['tier notin (a)', [{ key: 'tier', operator: 'notin', values: ['a'] }]],
    ['x in (in)', [{ key: 'x', operator: 'in', values: ['in'] }]],
    ['x in ()', [{ key: 'x', operator: 'in', values: [''] }]],
    ['x in (foo,,baz)', [{ key: 'x', operator: 'in', values: ['', 'baz', 'foo'] }]],
    ['n>5', [{ key: 'n', operator: 'gt', values: ['5'] }]],
    ['n<5', [{ key: 'n', operator: 'lt', values: ['5'] }]],
    // Sorted by key, as apimachinery keeps them; blanks around tokens are allowed.
    [' z = 1 , a , example.com/role notin ( x , y ) ', [
      { key: 'a', operator: 'exists', values: [] },
      { key: 'example.com/role', operator: 'notin', values: ['x', 'y'] },
      { key: 'z', operator: '=', values: ['1'] },
    ]],
  ])('%j parses', (text, selector) => {
    expect(parseSelector(text)).toEqual({ ok: true, selector });
  });

  it.each([
    ['invalid=label=value', "found '=', expected: ',' or 'end of string'"],
    ['app=a b', "found 'b', expected: ',' or 'end of string'"],
    ['app,', "found '', expected: identifier after ','"],
    ['=web', "found '=', expected: !, identifier, or 'end of string'"],
    ['!app=web', "found '=', expected: ',' or 'end of string'"],
    ['app in a', "unable to parse requirement: found 'a' expected: '('"],
    ['app in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['app in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
    // The lexer takes the longest operator: `=` then `!=`.
    ['app =!= b', "unable to parse requirement: found '!=', expected: identifier"],
    ['app notin', "unable to parse requirement: found '' expected: '('"],
    ['n>x', "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['bad key=1', "unable to parse requirement: found 'key', expected: in, notin, =, ==, !=, gt, lt"],
    [
      '-app=1',
      'unable to parse requirement: <nil>: Invalid value: "-app": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
    ],
    [
      'app=-web',
      'unable to parse requirement: values[0][app]: Invalid value: "-web": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')',
    ],
  ])('%j is rejected with the apimachinery message', (text, error) => {
    expect(parseSelector(text)).toEqual({ ok: false, error });
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'web', tier: 'front', replicas: '3' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['tier in (front,back)', true],
    ['tier in (back)', false],
    ['missing in (x)', false],
    ['tier notin (back)', true],
    ['tier notin (front)', false],
    ['missing notin (x)', true],
    ['replicas>2', true],
    ['replicas>3', false],
    ['replicas<4', true],
    ['app>1', false],
    ['missing<4', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
  ])('%j → %s', (text, expected) => {
    const parsed = parseSelector(text);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(selectorMatches(parsed.selector, labels)).toBe(expected);
  });

  it('treats a pod without labels as having none', () => {
    const parsed = parseSelector('!app,x notin (y)');
    expect(parsed.ok && selectorMatches(parsed.selector, undefined)).toBe(true);
  });
});
