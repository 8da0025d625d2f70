// The public-manifest corpus of issue 18: files gathered from public repositories (provenance in
// test/fixtures/corpus/sources.json), their Pod and DaemonSet documents, and the verdicts the
// real API server and the kubelet's static-pod rules give them (verdicts.json, written by
// record-verdicts.test.ts). Shared by the recorder and by the unit test that compares nodelet.
//
// Documents are split the way kubectl and the kubelet split them (k8s.io/apimachinery
// util/yaml YAMLReader: a line starting with `---` ends a document), and numbered among the
// chunks that hold anything but blanks and comments: the numbering nodelet's decoder uses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));
export const SOURCES_FILE = join(CORPUS_DIR, 'sources.json');
export const VERDICTS_FILE = join(CORPUS_DIR, 'verdicts.json');
export const KNOWN_MISMATCHES_FILE = join(CORPUS_DIR, 'known-mismatches.json');

export interface SourceFile {
  /** GitHub owner/name. */
  readonly repo: string;
  /** Path inside the repository; the copy is files/<repo>/<path>. */
  readonly path: string;
  /** The commit the search tool's index holds the file at. */
  readonly commit: string;
  /**
   * Set when the copy is not the whole file: what part of it was kept (a
   * prefix of the file, cut at a document boundary), and why.
   */
  readonly excerpt?: string;
}

export interface Sources {
  /** Licence of each repository, as its LICENSE file states (SPDX id). */
  readonly licences: Readonly<Record<string, string>>;
  readonly files: readonly SourceFile[];
}

export function fileOf(source: SourceFile): string {
  return join(CORPUS_DIR, 'files', source.repo, source.path);
}

/** The corpus id of one document: `<repo>/<path>#<index>`. */
export function documentId(source: SourceFile, index: number): string {
  return `${source.repo}/${source.path}#${index}`;
}

export function readSources(): Sources {
  return JSON.parse(readFileSync(SOURCES_FILE, 'utf8')) as Sources;
}

export interface Chunk {
  /** 0-based among the file's non-empty documents. */
  readonly index: number;
  /** 1-based line of the document's first content line. */
  readonly line: number;
  readonly text: string;
}

const CONTENT_LINE = /^[ \t]*[^\s#]/m;

/** YAMLReader's split: a line that starts with `---` ends a document. */
export function splitDocuments(text: string): Chunk[] {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = source.split('\n');
  const chunks: Chunk[] = [];
  let current: string[] = [];
  let firstLine = 1;
  const close = (): void => {
    const body = current.join('\n');
    const at = CONTENT_LINE.exec(body);
    if (at) {
      const line = firstLine + body.slice(0, at.index).split('\n').length - 1;
      chunks.push({ index: chunks.length, line, text: `${body}\n` });
    }
  };
  lines.forEach((l, i) => {
    if (l.startsWith('---')) {
      close();
      current = [];
      firstLine = i + 2;
    } else {
      current.push(l);
    }
  });
  close();
  return chunks;
}

export type CorpusKind = 'Pod' | 'DaemonSet';

export interface Head {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
}

function topLevelScalar(text: string, key: string): string | undefined {
  const m = new RegExp(`^${key}:[ \\t]*["']?([^"'#\\s]+)`, 'm').exec(text);
  return m?.[1];
}

/**
 * apiVersion, kind and name of a document, read leniently (duplicate keys and other input the
 * strict decoders refuse still say which kind a document means); JSON documents too.
 */
export function headOf(text: string): Head {
  try {
    const [doc] = parseAllDocuments(text, { uniqueKeys: false, strict: false, prettyErrors: false });
    const value: unknown = doc && !Array.isArray(doc) ? doc.toJS({ maxAliasCount: -1 }) : undefined;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const v = value as Record<string, unknown>;
      const meta = v['metadata'];
      const name = meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>)['name'] : undefined;
      return {
        ...(typeof v['apiVersion'] === 'string' ? { apiVersion: v['apiVersion'] } : {}),
        ...(typeof v['kind'] === 'string' ? { kind: v['kind'] } : {}),
        ...(typeof name === 'string' ? { name } : {}),
      };
    }
  } catch {
    // fall through to the line-based reading
  }
  const apiVersion = topLevelScalar(text, 'apiVersion');
  const kind = topLevelScalar(text, 'kind');
  return { ...(apiVersion ? { apiVersion } : {}), ...(kind ? { kind } : {}) };
}

/** The corpus holds every document whose kind is Pod or DaemonSet, whatever its apiVersion. */
export function corpusKind(head: Head): CorpusKind | undefined {
  return head.kind === 'Pod' || head.kind === 'DaemonSet' ? head.kind : undefined;
}

export type Verdict = 'valid' | 'invalid';

/** Why a document is invalid, coarse enough to group mismatches by. */
export type ReasonClass =
  | 'api-version' // the API server serves no such apiVersion/kind
  | 'decode' // the request body is not a decodable object (YAML/JSON, types)
  | 'unknown-field' // strict field validation: unknown or duplicate field
  | 'api-validation' // the object's validation (422 Invalid)
  | 'api-other' // any other API server refusal
  | 'static-pod-name' // kubelet: name is needed for the pod
  | 'static-pod-reference' // kubelet: static pods may not reference <resource>
  | 'static-pod-scheduling-gates'; // kubelet sets spec.nodeName, which schedulingGates forbid

export interface RecordedVerdict {
  readonly id: string;
  readonly repo: string;
  readonly path: string;
  readonly commit: string;
  readonly licence: string;
  readonly document: number;
  readonly line: number;
  readonly kind: CorpusKind;
  readonly apiVersion: string;
  readonly name?: string;
  readonly verdict: Verdict;
  readonly reason?: ReasonClass;
  readonly apiserver: {
    readonly accepted: boolean;
    /** kubectl's error output on a refusal, trimmed. */
    readonly message?: string;
    /** `Warning:` lines kubectl printed. */
    readonly warnings: readonly string[];
  };
  /** The kubelet's static-pod refusals, applied to the object as the API server decoded it. */
  readonly kubelet: readonly string[];
}

export interface VerdictsFile {
  readonly recordedWith: string;
  readonly recordedAt: string;
  readonly rules: readonly string[];
  readonly documents: readonly RecordedVerdict[];
}

export function readVerdicts(): VerdictsFile {
  return JSON.parse(readFileSync(VERDICTS_FILE, 'utf8')) as VerdictsFile;
}

export type MismatchKind = 'false-rejection' | 'false-acceptance';

export interface KnownMismatch {
  readonly id: string;
  readonly mismatch: MismatchKind;
  /** What in nodelet causes it (grouping for the validator's fixes). */
  readonly class: string;
}

export function readKnownMismatches(): readonly KnownMismatch[] {
  return (JSON.parse(readFileSync(KNOWN_MISMATCHES_FILE, 'utf8')) as { mismatches: KnownMismatch[] }).mismatches;
}
