// Every way nodelet is started runs the agent with the same V8 flags (agent/cli/node-flags.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../../agent/cli/node-flags.js';

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const flags = AGENT_NODE_FLAGS.join(' ');

describe('V8 flags of the agent', () => {
  it('the nodelet command (bin.ts shebang) passes them to node', () => {
    expect(read('agent/cli/bin.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
  });

  it.each(['scripts/install.sh', 'scripts/demo.sh'])('%s passes them to node', (script) => {
    expect(read(script)).toContain(` ${flags} `);
  });
});
