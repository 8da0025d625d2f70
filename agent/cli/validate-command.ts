// `nodelet validate -f FILE|DIR|- ... [-o yaml|json]`: runs manifests through the same pipeline as the
// agent (decode, schema, defaults, validation) and prints each object in its defaulted form, or its
// errors and warnings as kubectl prints them. Exit status 0 when everything is valid, 1 otherwise,
// so that it can gate CI and pre-commit hooks. --only-supported checks an all-in-one bundle's Pods
// and DaemonSets and lists its other kinds as skipped (manifest/other-kinds.ts).
import { Command, Option } from 'commander';
import { readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import type { Diagnostic, ManifestObject } from '../core/types.js';
import { encodeYaml, MAX_MANIFEST_BYTES, oversizeProblem } from '../manifest/decode.js';
import { formatDiagnostic, formatErrors, formatWarnings } from '../manifest/format-diagnostics.js';
import { fromDecodeProblem, parseManifestFile, type ParsedFile, type ValidationMode } from '../manifest/parse-file.js';
import { formatSkipped, skipOtherKinds } from '../manifest/other-kinds.js';
import { EMPTY_DESIRED_STATE, replaceAllFiles } from '../source/desired-store.js';
import { isManifestName } from '../source/file-filter.js';

/** The name kubectl gives manifests read from standard input. */
export const STDIN_NAME = 'STDIN';

export interface ValidateCommandDeps {
  /** Reads standard input for `-f -` (replaced in tests). */
  readonly readStdin?: () => Promise<string>;
}

interface ValidateOptions {
  readonly filename: string[];
  readonly output: 'yaml' | 'json';
  readonly validation: ValidationMode;
  readonly quiet?: boolean;
  readonly forbiddenHostPaths?: string[];
  readonly nodeName?: string;
  /** Skip documents of kinds nodelet does not run (listed once per file) instead of failing on them. */
  readonly onlySupported?: boolean;
}

interface Output {
  out(text: string): void;
  err(text: string): void;
}

type Input = { readonly file: string; readonly text: string } | { readonly file: string; readonly result: ParsedFile };

class InputError extends Error {}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buffer);
    size += buffer.length;
    // One byte past the limit is enough for the decoder to report the file as too large.
    if (size > MAX_MANIFEST_BYTES) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function oversize(file: string, bytes: number): ParsedFile {
  return { file, objects: [], errors: [fromDecodeProblem(oversizeProblem(bytes), file)], warnings: [], documents: [] };
}

async function readManifest(file: string, size: number): Promise<Input> {
  if (size > MAX_MANIFEST_BYTES) return { file, result: oversize(file, size) };
  return { file, text: await readFile(file, 'utf8') };
}

/** Files of a directory the way the agent reads its manifest directory. */
async function readDirectory(dir: string): Promise<Input[]> {
  const names = (await readdir(dir)).filter(isManifestName).sort();
  const inputs: Input[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let info;
    try {
      info = await stat(file);
    } catch {
      continue; // dangling symlink or a file removed meanwhile: the agent skips it too
    }
    if (info.isFile()) inputs.push(await readManifest(file, info.size));
  }
  return inputs;
}

async function readInputs(paths: readonly string[], deps: ValidateCommandDeps): Promise<Input[]> {
  const inputs: Input[] = [];
  for (const path of paths) {
    if (path === '-') {
      inputs.push({ file: STDIN_NAME, text: await (deps.readStdin ?? readStdin)() });
      continue;
    }
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new InputError(`the path "${path}" does not exist`);
    }
    if (info.isDirectory()) inputs.push(...(await readDirectory(path)));
    else if (info.isFile()) inputs.push(await readManifest(path, info.size));
    else throw new InputError(`the path "${path}" is not a directory or a regular file`);
  }
  return inputs;
}

/** kubectl's field order at the top level; everything below stays as the pipeline built it. */
function forPrinting(object: ManifestObject): Record<string, unknown> {
  const source = object.object as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of ['apiVersion', 'kind', 'metadata', 'spec', 'status']) {
    if (source[key] !== undefined) ordered[key] = source[key];
  }
  for (const [key, value] of Object.entries(source)) {
    if (!(key in ordered)) ordered[key] = value;
  }
  return ordered;
}

function render(objects: readonly ManifestObject[], format: 'yaml' | 'json'): string {
  const printable = objects.map(forPrinting);
  if (format === 'json') {
    const value = printable.length === 1 ? printable[0] : { apiVersion: 'v1', kind: 'List', items: printable, metadata: { resourceVersion: '' } };
    return `${JSON.stringify(value, null, 4)}\n`;
  }
  return printable.map(encodeYaml).join('---\n');
}

/** Validates the inputs and prints the results; returns the exit status. */
export async function runValidate(options: ValidateOptions, io: Output, deps: ValidateCommandDeps = {}): Promise<number> {
  if (options.filename.length === 0) {
    io.err('error: must specify one or more -f FILE|DIR (-f - reads standard input)\n');
    return 1;
  }
  let inputs: Input[];
  try {
    inputs = await readInputs(options.filename, deps);
  } catch (error) {
    io.err(`error: ${errorMessage(error)}\n`);
    return 1;
  }
  const parsed = inputs.map((input) =>
    'result' in input ? input.result : parseManifestFile(input.text, input.file, { validation: options.validation, forbiddenHostPaths: options.forbiddenHostPaths, nodeName: options.nodeName }),
  );
  const results = options.onlySupported === true ? parsed.map(skipping(io)) : parsed;
  // Objects defined twice (in one file or across files) are conflicts, reported as the agent's
  // manifest source reports them: the first definition in path order wins.
  const { conflicts } = replaceAllFiles(EMPTY_DESIRED_STATE, results.map((result) => ({ file: result.file, result })), 0).state;
  const objects: ManifestObject[] = [];
  let failed = false;
  for (const result of results) {
    const warnings = formatWarnings(result);
    if (warnings !== '') io.err(`${warnings}\n`);
    const errors = formatErrors(result);
    if (errors !== '') io.err(`${errors}\n`);
    const conflicting = conflicts.get(result.file) ?? [];
    if (conflicting.length > 0) io.err(`${conflicting.map(formatConflict).join('\n')}\n`);
    failed ||= result.errors.length > 0 || conflicting.length > 0;
    objects.push(...result.objects);
  }
  if (!failed && objects.length === 0) {
    io.err('error: no objects passed to validate\n');
    return 1;
  }
  if (!options.quiet && objects.length > 0) io.out(render(objects, options.output));
  return failed ? 1 : 0;
}

/** --only-supported: each file without its other kinds' documents, which are listed once. */
function skipping(io: Output): (result: ParsedFile) => ParsedFile {
  return (parsed) => {
    const { result, skipped } = skipOtherKinds(parsed);
    if (skipped.length > 0) io.err(`${formatSkipped(result.file, skipped)}\n`);
    return result;
  };
}

function formatConflict(conflict: Diagnostic): string {
  return conflict.hint === undefined ? formatDiagnostic(conflict) : `${formatDiagnostic(conflict)}\n  hint: ${conflict.hint}`;
}

function commaList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((p) => p.trim()).filter((p) => p !== '')];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent !== null) root = root.parent;
  return root;
}

export function registerValidateCommand(program: Command, deps: ValidateCommandDeps = {}): void {
  program
    .command('validate')
    .description('check manifests as the agent would and print each object with its defaults (exit 1 on any error)')
    .option('-f, --filename <path>', 'manifest file, directory (read like the manifest directory) or - for standard input; repeatable', collect, [])
    .addOption(new Option('-o, --output <format>', 'how to print valid objects').choices(['yaml', 'json']).default('yaml'))
    .addOption(
      new Option('--validation <mode>', 'strict: unknown fields are errors; warn: they are warnings and are dropped').choices(['strict', 'warn']).default('strict'),
    )
    .option('-q, --quiet', 'print only errors and warnings')
    .option(
      '--only-supported',
      'check only the kinds nodelet runs (v1 Pod, v1 PodList, apps/v1 DaemonSet); documents of other kinds (ServiceAccount, ConfigMap, RBAC... of an all-in-one bundle) are listed once as skipped instead of failing',
    )
    .option('--forbidden-host-paths <paths>', "comma-separated host paths to refuse, as the node's forbiddenHostPaths does", commaList)
    // A Pod runs as `<name>-<node>`, and that name must be valid too (as the agent checks it).
    .option('--node-name <name>', 'the node whose name suffixes Pod names (default: hostname, lower-cased, as the agent)', (v: string) => v.toLowerCase(), hostname().toLowerCase())
    .action(async (options: ValidateOptions, command: Command) => {
      // Output goes through the root program's writers, so callers (and tests) can capture it.
      const output = rootOf(command).configureOutput();
      const io: Output = {
        out: (text) => (output.writeOut ?? ((t: string) => process.stdout.write(t)))(text),
        err: (text) => (output.writeErr ?? ((t: string) => process.stderr.write(t)))(text),
      };
      process.exitCode = await runValidate(options, io, deps);
    });
}
