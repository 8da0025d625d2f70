// Keeps each manifest file's last valid (and trusted) text in the state directory, so that a
// file that is invalid or refused when the agent starts keeps its last valid objects in force
// across a restart, as it does while the agent runs (issue 12, item 6). The text is stored, not
// the parsed objects: at start it is parsed again with the current settings, so a restart never
// brings back an object that today's validation (forbiddenHostPaths, strict fields) refuses.
// One JSON file per manifest file, written atomically (temp + fsync + rename) and only when the
// version changes; named by a hash of the manifest's path so any path maps to a safe name.
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, isGoneError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';

/** The directory under the agent's state directory. */
export const LAST_VALID_DIR = 'manifest-last-valid';
const FORMAT_VERSION = 1;

export interface LastValidRecord {
  /** The manifest file's path, as the source knows it. */
  readonly file: string;
  /** When this version was read (ms since epoch). */
  readonly readAt: number;
  /** sha256 of `text`. */
  readonly digest: string;
  readonly text: string;
}

/** What the file source needs; an in-memory double serves tests. */
export interface LastValidStore {
  /** Every stored record; unreadable ones are reported through `onBadRecord` and skipped. */
  load(onBadRecord: (path: string, problem: string) => void): Promise<LastValidRecord[]>;
  save(record: LastValidRecord): Promise<void>;
  /** A missing record is fine. */
  remove(file: string): Promise<void>;
}

/** Writes files atomically (HostFs.writeFileAtomic). */
export type AtomicWrite = (path: string, data: string, mode: number) => Promise<void>;

export class StateDirLastValidStore implements LastValidStore {
  readonly #dir: string;
  readonly #write: AtomicWrite;

  constructor(stateDir: string, write: AtomicWrite) {
    this.#dir = join(stateDir, LAST_VALID_DIR);
    this.#write = write;
  }

  async load(onBadRecord: (path: string, problem: string) => void): Promise<LastValidRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if (isGoneError(err)) return [];
      throw err;
    }
    const out: LastValidRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      const path = join(this.#dir, name);
      try {
        const record = parseRecord(JSON.parse(await readFile(path, 'utf8')) as unknown);
        if (typeof record === 'string') onBadRecord(path, record);
        else out.push(record);
      } catch (err) {
        onBadRecord(path, errorMessage(err));
      }
    }
    return out;
  }

  async save(record: LastValidRecord): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await this.#write(this.#path(record.file), `${JSON.stringify({ version: FORMAT_VERSION, ...record })}\n`, 0o600);
  }

  async remove(file: string): Promise<void> {
    await unlink(this.#path(file)).catch((err: unknown) => {
      if (!isGoneError(err)) throw err;
    });
  }

  #path(file: string): string {
    return join(this.#dir, `${sha256Hex(file).slice(0, 32)}.json`);
  }
}

/** Shape check (pure); a string is the problem. */
export function parseRecord(json: unknown): LastValidRecord | string {
  if (json === null || typeof json !== 'object') return 'expected a JSON object';
  const r = json as Record<string, unknown>;
  if (r['version'] !== FORMAT_VERSION) return `unsupported version ${JSON.stringify(r['version'])}`;
  const { file, readAt, digest, text } = r;
  if (typeof file !== 'string' || typeof readAt !== 'number' || typeof digest !== 'string' || typeof text !== 'string') {
    return 'expected file, readAt, digest and text';
  }
  if (sha256Hex(text) !== digest) return 'the text does not match its digest';
  return { file, readAt, digest, text };
}
