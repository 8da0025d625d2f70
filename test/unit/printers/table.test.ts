// Go text/tabwriter semantics, as kubectl's tables and describe output rely on them.
import { describe, it, expect } from 'vitest';
import { KUBECTL_DESCRIBE, printTable, tabwrite } from '../../../agent/cli/printers/table.js';

describe('printTable (kubectl get)', () => {
  it('pads every column but the last to its widest cell plus 3', () => {
    expect(printTable(['NAME', 'STATUS', 'AGE'], [['web-node1', 'Running', '5m'], ['db', 'Pending', '10s']])).toBe(
      ['NAME        STATUS    AGE', 'web-node1   Running   5m', 'db          Pending   10s', ''].join('\n'),
    );
  });

  it('never makes a column narrower than 6', () => {
    expect(printTable(['A', 'B'], [['x', 'y']])).toBe('A     B\nx     y\n');
  });

  it('prints rows only when the header is left out, and nothing for nothing', () => {
    expect(printTable([], [['a', 'b']])).toBe('a     b\n');
    expect(printTable([], [])).toBe('');
  });

  it('counts characters, not bytes', () => {
    expect(printTable(['NAME', 'X'], [['café', '1']])).toBe('NAME   X\ncafé   1\n');
  });
});

describe('tabwrite (kubectl describe)', () => {
  it('aligns a column over consecutive lines only', () => {
    const text = ['Name:\tweb', 'Namespace:\tdefault', 'IPs:', '  IP:\t10.0.0.1', ''].join('\n');
    expect(tabwrite(text, KUBECTL_DESCRIBE)).toBe(['Name:       web', 'Namespace:  default', 'IPs:', '  IP:  10.0.0.1', ''].join('\n'));
  });

  it('pads empty cells and leaves the text after the last tab alone', () => {
    const text = ['Labels:\ta=1', '\tb=2', 'IP:\t', ''].join('\n');
    expect(tabwrite(text, KUBECTL_DESCRIBE)).toBe(['Labels:  a=1', '         b=2', 'IP:      ', ''].join('\n'));
  });

  it('nests blocks column by column', () => {
    const text = ['a\tbb\tc', 'aaa\tb\tc', 'a\td', 'x\ty\tz', ''].join('\n');
    // Column 0 spans all four lines; column 1 is a block of lines 1-2, then line 4 alone.
    expect(tabwrite(text, KUBECTL_DESCRIBE)).toBe(['a    bb  c', 'aaa  b   c', 'a    d', 'x    y  z', ''].join('\n'));
  });
});
