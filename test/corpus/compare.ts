// nodelet's verdict on every recorded corpus document, compared with the recorded one. One
// in-process pass of parseManifestFile (the pipeline `nodelet validate` and the agent run) per
// corpus file; a document is valid for nodelet when none of the file's errors names it.
import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../../agent/core/types.js';
import { parseManifestFile } from '../../agent/manifest/parse-file.js';
import { type MismatchKind, type RecordedVerdict, type Sources, documentId, fileOf } from './corpus.js';

export interface Mismatch {
  readonly id: string;
  readonly mismatch: MismatchKind;
  readonly recorded: RecordedVerdict;
  /** nodelet's errors for the document (none for a false acceptance). */
  readonly errors: readonly Diagnostic[];
}

export function describeDiagnostic(d: Diagnostic): string {
  return [d.field, d.message].filter((x) => x !== undefined && x !== '').join(': ');
}

/** nodelet's errors for each recorded document, by corpus id. */
export function nodeletErrors(sources: Sources, verdicts: readonly RecordedVerdict[]): Map<string, Diagnostic[]> {
  const byFile = new Map<string, RecordedVerdict[]>();
  for (const v of verdicts) byFile.set(`${v.repo}/${v.path}`, [...(byFile.get(`${v.repo}/${v.path}`) ?? []), v]);
  const out = new Map<string, Diagnostic[]>();
  for (const source of sources.files) {
    const recorded = byFile.get(`${source.repo}/${source.path}`);
    if (!recorded) continue;
    const parsed = parseManifestFile(readFileSync(fileOf(source), 'utf8'), `${source.repo}/${source.path}`);
    // A problem of the whole file (no document index) refuses each of its documents.
    const fileLevel = parsed.errors.filter((e) => e.document === undefined);
    for (const v of recorded) {
      out.set(documentId(source, v.document), [...fileLevel, ...parsed.errors.filter((e) => e.document === v.document)]);
    }
  }
  return out;
}

export function findMismatches(sources: Sources, verdicts: readonly RecordedVerdict[]): Mismatch[] {
  const errors = nodeletErrors(sources, verdicts);
  const out: Mismatch[] = [];
  for (const v of verdicts) {
    const errs = errors.get(v.id) ?? [];
    const nodeletValid = errs.length === 0;
    if (nodeletValid === (v.verdict === 'valid')) continue;
    out.push({ id: v.id, mismatch: nodeletValid ? 'false-acceptance' : 'false-rejection', recorded: v, errors: errs });
  }
  return out;
}

export function recordedMessage(v: RecordedVerdict): string {
  if (v.apiserver.message !== undefined) return v.apiserver.message;
  if (v.kubelet.length > 0) return v.kubelet.join('; ');
  return `accepted${v.apiserver.warnings.length > 0 ? ` with warnings: ${v.apiserver.warnings.join('; ')}` : ''}`;
}

export function report(list: readonly Mismatch[]): string {
  return list
    .map(
      (m) =>
        `${m.mismatch}: ${m.id} (${m.recorded.kind} ${m.recorded.name ?? ''}, line ${m.recorded.line})\n` +
        `    recorded: ${m.recorded.verdict}${m.recorded.reason ? ` [${m.recorded.reason}]` : ''}: ${recordedMessage(m.recorded).replace(/\n/g, '\n      ')}\n` +
        `    nodelet:  ${m.errors.length === 0 ? 'valid' : m.errors.map(describeDiagnostic).join('\n      ')}`,
    )
    .join('\n');
}

/**
 * The class of a mismatch, from nodelet's first message (a false rejection) or the recorded
 * reason (a false acceptance): what in nodelet causes it, so that fixes can be grouped.
 */
export function classify(m: Mismatch): string {
  if (m.mismatch === 'false-acceptance') {
    const text = recordedMessage(m.recorded);
    const field = /((?:spec|metadata)[\w.[\]/-]*): (Invalid value|Forbidden|Required value|Unsupported value|Duplicate value|Not found|Too long)/.exec(text);
    return `accepted: ${m.recorded.reason ?? 'invalid'}${field ? ` ${field[1]?.replace(/\[[^\]]*\]/g, '[]').replace(/^spec\.template\.spec\./, 'spec.')} ${field[2]}` : ''}`;
  }
  const first = m.errors[0];
  const message = first?.message ?? '';
  const unknown = /unknown field "([^"]+)"/.exec(message);
  if (unknown) return `rejected: unknown field ${(unknown[1] ?? '').replace(/\[\d+\]/g, '[]').replace(/^spec\.template\.spec\./, 'spec.')}`;
  if (/duplicated mapping key/.test(message)) return 'rejected: yaml duplicate key';
  if (/^yaml: /.test(message)) return `rejected: yaml ${message.slice(6, 60)}`;
  const field = (first?.field ?? '').replace(/\[\d+\]/g, '[]').replace(/^spec\.template\.spec\./, 'spec.');
  const kind = /(Invalid value|Unsupported value|Forbidden|Required value|Duplicate value|Not found|Too long|Too many)/.exec(message)?.[1];
  return `rejected: ${field} ${kind ?? message.replace(/"[^"]*"/g, '"…"').slice(0, 60)}`.trim();
}
