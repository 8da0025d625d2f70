// `npm run corpus:mismatches`: prints today's mismatches between nodelet and the recorded
// verdicts, grouped by class, and rewrites test/fixtures/corpus/known-mismatches.json to exactly
// that list (review the diff: every line added there is a known defect of the validator).
import { writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { classify, findMismatches, recordedMessage } from './compare.js';
import { KNOWN_MISMATCHES_FILE, type KnownMismatch, readSources, readVerdicts } from './corpus.js';

it('lists the mismatches by class and rewrites known-mismatches.json', () => {
  const verdicts = readVerdicts().documents;
  const found = findMismatches(readSources(), verdicts);
  const known: KnownMismatch[] = found.map((m) => ({ id: m.id, mismatch: m.mismatch, class: classify(m) }));
  const byClass = new Map<string, typeof found>();
  for (const m of found) byClass.set(classify(m), [...(byClass.get(classify(m)) ?? []), m]);
  const lines = [...byClass.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([cls, list]) => {
      const ex = list[0];
      const example = ex ? `\n      e.g. ${ex.id}\n        recorded: ${recordedMessage(ex.recorded).split('\n').join(' ').slice(0, 220)}\n        nodelet:  ${ex.errors.map((e) => `${e.field ?? ''}: ${e.message}`).join(' | ').slice(0, 220) || 'valid'}` : '';
      return `${String(list.length).padStart(4)}  ${cls}${example}`;
    });
  const valid = verdicts.filter((v) => v.verdict === 'valid').length;
  console.log(`${verdicts.length} documents, ${valid} valid; ${found.filter((m) => m.mismatch === 'false-rejection').length} false rejections, ${found.filter((m) => m.mismatch === 'false-acceptance').length} false acceptances\n${lines.join('\n')}`);
  writeFileSync(
    KNOWN_MISMATCHES_FILE,
    `${JSON.stringify({ about: 'Mismatches of the current validator with the recorded verdicts (test/unit/corpus/corpus.test.ts). Remove entries as fixes land; `npm run corpus:mismatches` rewrites this file.', mismatches: known }, null, 1)}\n`,
  );
  expect(known.length).toBe(found.length);
});
