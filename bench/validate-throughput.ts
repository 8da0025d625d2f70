// How many manifests per second one core validates: the whole per-file pipeline (decode, kind,
// schema, defaults, semantic validation), and the JSON Schema check alone.
//   npm run bench:validate [-- FILE] [-- --seconds N]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DaemonSet, Pod } from '../agent/core/types.js';
import { decodeManifest } from '../agent/manifest/decode.js';
import { defaultDaemonSet, defaultPod } from '../agent/manifest/defaults.js';
import { unimplementedFieldWarnings } from '../agent/manifest/implemented-fields.js';
import { parseManifestFile } from '../agent/manifest/parse-file.js';
import { validateSchema } from '../agent/manifest/schema-validate.js';
import { validateDaemonSet } from '../agent/manifest/validate-daemonset.js';
import { validatePod } from '../agent/manifest/validate-pod.js';

const DEFAULT_FILE = 'manifests/examples/003-hwameistor-local-disk-manager-daemonset-nodelet.yaml';

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** Runs `fn` repeatedly for about `seconds` and returns calls per second. */
function measure(seconds: number, fn: () => void): { perSecond: number; microseconds: number } {
  // Warm up so that the JIT has compiled the hot paths before timing starts.
  for (let i = 0; i < 200; i++) fn();
  let calls = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 100; i++) fn();
    calls += 100;
    now = performance.now();
  }
  const elapsedMs = now - start;
  return { perSecond: (calls * 1000) / elapsedMs, microseconds: (elapsedMs * 1000) / calls };
}

function format(result: { perSecond: number; microseconds: number }): string {
  return `${Math.round(result.perSecond).toLocaleString('en-US')} manifests/s (${result.microseconds.toFixed(1)} µs each)`;
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
  const decoded = decodeManifest(text).documents[0]?.value;

  console.log(`validate throughput, one core: ${file} (${kind}, ${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB)`);
  console.log(`  first manifest (includes compiling the schema): ${firstMs.toFixed(1)} ms`);
  console.log(`  parse-file end to end (decode, kind, schema, defaults, validation): ${format(measure(seconds, () => parseManifestFile(text, file)))}`);
  console.log(`  schema only (compiled ajv validator): ${format(measure(seconds, () => validateSchema(kind, decoded)))}`);
  console.log(`  decode only (YAML): ${format(measure(seconds, () => decodeManifest(text)))}`);

  // Where the end-to-end time goes, stage by stage (each measured alone).
  const stageSeconds = Math.max(seconds / 4, 0.25);
  const object = decoded as Pod & DaemonSet;
  const defaulted = kind === 'Pod' ? defaultPod(object) : defaultDaemonSet(object);
  const stages: [string, () => void][] = [
    ['decode', () => decodeManifest(text)],
    ['schema', () => validateSchema(kind, decoded)],
    ['defaults', () => (kind === 'Pod' ? defaultPod(object) : defaultDaemonSet(object))],
    ['semantic validation', () => (kind === 'Pod' ? validatePod(defaulted as Pod) : validateDaemonSet(defaulted as DaemonSet))],
    ['unimplemented-field warnings', () => unimplementedFieldWarnings(kind, object)],
  ];
  console.log('  per stage:');
  for (const [name, fn] of stages) console.log(`    ${name.padEnd(30)} ${measure(stageSeconds, fn).microseconds.toFixed(1)} µs`);
}

main();
