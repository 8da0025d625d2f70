// Issue 12 item 3: an exception in any stage after decoding (here validation, made to throw the
// RangeError a 2 GB alias expansion once threw) is that document's error: the file's other
// documents, and `nodelet validate` or the agent reading other files, go on.
import { describe, expect, it, vi } from 'vitest';
import type { Pod } from '../../../agent/core/types.js';
import { parseManifestFile } from '../../../agent/manifest/parse-file.js';
import { WEB_POD_YAML } from '../../fixtures/manifest-texts.js';

vi.mock('../../../agent/manifest/validate-pod.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../agent/manifest/validate-pod.js')>();
  return {
    ...real,
    validatePod: (pod: Pod) => {
      if (pod.metadata?.name === 'boom') throw new RangeError('Invalid string length');
      return real.validatePod(pod);
    },
  };
});

describe('parseManifestFile: a stage that throws', () => {
  it('reports the document with an error and still yields the file\'s other documents', () => {
    const text = `${WEB_POD_YAML.replace('name: web', 'name: boom')}---\n${WEB_POD_YAML}`;
    const result = parseManifestFile(text, '/m/two.yaml');
    expect(result.objects.map((o) => o.key.name)).toEqual(['web']);
    expect(result.errors).toEqual([
      { severity: 'error', file: '/m/two.yaml', document: 0, line: 1, message: 'internal error while checking the document: Invalid string length' },
    ]);
    expect(result.documents.map((d) => d.document)).toEqual([0, 1]);
  });
});
