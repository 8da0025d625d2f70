// agent/generated/validators.ts must be what scripts/generate-validators.mjs makes of the
// committed schemas: a schema change without `npm run schema:generate` fails here.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfigFile, validateDaemonSet, validatePod } from '../../../agent/generated/validators.js';

const script = fileURLToPath(new URL('../../../scripts/generate-validators.mjs', import.meta.url));

describe('generated validators', () => {
  it('are up to date with the schemas', () => {
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('validate as the schemas say', () => {
    expect(validatePod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'i' }] } })).toBe(true);
    expect(validatePod({ apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'c', image: 'i', imagee: 'x' }] } })).toBe(false);
    expect(validatePod.errors?.map((e) => e.keyword)).toContain('additionalProperties');
    expect(validateDaemonSet({ apiVersion: 'apps/v1', kind: 'DaemonSet', spec: 'no' })).toBe(false);
    // minLength counts code points (ajv's ucs2length runtime helper).
    expect(validateConfigFile({ manifestDir: '' })).toBe(false);
    expect(validateConfigFile({ manifestDir: '😀' })).toBe(true);
  });
});
