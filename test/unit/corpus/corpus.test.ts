// Issue 18: nodelet's validator against the verdicts the real API server (v1.37.2) and the
// kubelet's static-pod rules give to public Pod and DaemonSet manifests that no one here wrote
// (test/fixtures/corpus: the files, their provenance in sources.json, the verdicts in
// verdicts.json, re-recorded by `npm run corpus:verdicts`). One in-process pass of
// parseManifestFile over every file, as `nodelet validate` runs it.
//
// The bound: no false acceptance, at most 0.1% false rejections of the valid documents.
// known-mismatches.json lists the mismatches of the validator, by class (`npm run
// corpus:mismatches` rewrites it and prints the classes); it is empty, and the bound is a plain test.
// The list must stay true both ways: a mismatch not listed fails, and so does a listed one that
// no longer happens.
import { describe, expect, it } from 'vitest';
import { findMismatches, report } from '../../corpus/compare.js';
import { readKnownMismatches, readSources, readVerdicts } from '../../corpus/corpus.js';

const sources = readSources();
const verdicts = readVerdicts().documents;
const known = readKnownMismatches();

describe('public manifest corpus (issue 18)', () => {
  const found = findMismatches(sources, verdicts);
  const valid = verdicts.filter((v) => v.verdict === 'valid').length;

  it('holds at least 1,000 Pod and DaemonSet documents, each with its provenance', () => {
    expect(verdicts.length).toBeGreaterThanOrEqual(1000);
    const files = new Set(sources.files.map((f) => `${f.repo}/${f.path}`));
    for (const v of verdicts) {
      expect(files.has(`${v.repo}/${v.path}`), v.id).toBe(true);
      expect(v.commit, v.id).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it('has no mismatch that known-mismatches.json does not list', () => {
    const listed = new Set(known.map((k) => `${k.id} ${k.mismatch}`));
    const unlisted = found.filter((m) => !listed.has(`${m.id} ${m.mismatch}`));
    expect(unlisted.length, `mismatches not in test/fixtures/corpus/known-mismatches.json:\n${report(unlisted)}`).toBe(0);
  });

  it('lists no mismatch that no longer happens (remove the fixed ones from known-mismatches.json)', () => {
    const current = new Set(found.map((m) => `${m.id} ${m.mismatch}`));
    const fixed = known.filter((k) => !current.has(`${k.id} ${k.mismatch}`));
    expect(fixed.map((k) => `${k.mismatch}: ${k.id} [${k.class}]`), 'these now agree with the recorded verdict').toEqual([]);
  });

  // The bound itself: known-mismatches.json is empty, so this holds outright.
  it(`no false acceptance, at most 0.1% false rejections of the ${valid} valid documents`, () => {
    const acceptances = found.filter((m) => m.mismatch === 'false-acceptance');
    const rejections = found.filter((m) => m.mismatch === 'false-rejection');
    expect(acceptances.length, report(acceptances)).toBe(0);
    expect(rejections.length, report(rejections)).toBeLessThanOrEqual(valid * 0.001);
  });
});
