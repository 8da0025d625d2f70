// How many manifests per second one core validates: the whole per-file pipeline end to end, the
// YAML decoding alone, and everything after decoding (kind, schema, defaults, semantic
// validation, warnings), then where the time goes stage by stage.
//   npm run bench:validate [-- FILE] [-- --seconds N]
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import yaml from 'js-yaml';
import type { DaemonSet, Pod } from '../agent/core/types.js';
import { KUBERNETES_YAML_SCHEMA, decodeManifest } from '../agent/manifest/decode.js';
import { defaultDaemonSet, defaultPod } from '../agent/manifest/defaults.js';
import { unimplementedFieldWarnings } from '../agent/manifest/implemented-fields.js';
import { parseDocument, parseManifestFile } from '../agent/manifest/parse-file.js';
import { validateSchema } from '../agent/manifest/schema-validate.js';
import { validateDaemonSet } from '../agent/manifest/validate-daemonset.js';
import { validatePod } from '../agent/manifest/validate-pod.js';

const DEFAULT_FILE = 'manifests/examples/003-hwameistor-local-disk-manager-daemonset-nodelet.yaml';

interface Rate {
  readonly perSecond: number;
  readonly microseconds: number;
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function runFor(milliseconds: number, fn: () => void): { calls: number; elapsedMs: number } {
  let calls = 0;
  const start = performance.now();
  const deadline = start + milliseconds;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 50; i++) fn();
    calls += 50;
    now = performance.now();
  }
  return { calls, elapsedMs: now - start };
}

/** How long each measurement first runs untimed, so that the JIT has compiled the hot paths. */
const WARM_UP_MS = 500;

/** Calls per second of `fn` over about `seconds`, after the warm-up. */
function measure(seconds: number, fn: () => void): Rate {
  runFor(WARM_UP_MS, fn);
  const { calls, elapsedMs } = runFor(seconds * 1000, fn);
  return { perSecond: (calls * 1000) / elapsedMs, microseconds: (elapsedMs * 1000) / calls };
}

function format(rate: Rate): string {
  return `${Math.round(rate.perSecond).toLocaleString('en-US').padStart(9)} manifests/s (${rate.microseconds.toFixed(1)} µs each)`;
}

function main(): void {
  const positional = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--seconds');
  const file = resolve(positional ?? DEFAULT_FILE);
  const seconds = Number(argument('--seconds') ?? '2');
  const text = readFileSync(file, 'utf8');

  const compileStart = performance.now();
  const first = parseManifestFile(text, file);
  const firstMs = performance.now() - compileStart;
  if (first.errors.length > 0 || first.objects.length !== 1) {
    console.error(`${file} is not one valid manifest:`, first.errors.map((e) => e.message));
    process.exitCode = 1;
    return;
  }
  const kind = first.objects[0]?.kind ?? 'Pod';
  const document = decodeManifest(text).documents[0];
  if (document === undefined) throw new Error(`${file} decodes to no document`);
  const decoded = document.value;

  console.log(`validate throughput, one core (${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version})`);
  console.log(`  ${file} (${kind}, ${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB)`);
  console.log(`  first manifest (includes compiling the schema): ${firstMs.toFixed(1)} ms`);
  console.log(`  end to end (parseManifestFile)       ${format(measure(seconds, () => parseManifestFile(text, file)))}`);
  console.log(`  decode only (YAML)                   ${format(measure(seconds, () => decodeManifest(text)))}`);
  // parseDocument drops null members in place: after the first call the document has none,
  // exactly as in the pipeline, where decoding hands over a fresh document each time.
  console.log(
    `  validate without decode              ${format(measure(seconds, () => parseDocument(decoded, document.index, document.line, file, 'strict')))}`,
  );

  // Where the time goes, stage by stage (each measured alone, for a quarter of the time).
  const stageSeconds = Math.max(seconds / 4, 0.25);
  const object = decoded as unknown as Pod & DaemonSet;
  const defaulted = kind === 'Pod' ? defaultPod(object) : defaultDaemonSet(object);
  const stages: [string, () => unknown][] = [
    ['decode', () => decodeManifest(text)],
    ['decode with js-yaml (fallback)', () => yaml.load(text, { schema: KUBERNETES_YAML_SCHEMA })],
    ['schema', () => validateSchema(kind, decoded)],
    ['defaults', () => (kind === 'Pod' ? defaultPod(object) : defaultDaemonSet(object))],
    ['semantic validation', () => (kind === 'Pod' ? validatePod(defaulted as Pod) : validateDaemonSet(defaulted as DaemonSet))],
    ['unimplemented-field warnings', () => unimplementedFieldWarnings(kind, object)],
  ];
  console.log('  per stage:');
  for (const [name, fn] of stages) console.log(`    ${name.padEnd(32)} ${measure(stageSeconds, fn).microseconds.toFixed(1).padStart(6)} µs`);
}

main();
