// Issue 12 item 3: aliases are measured in expanded bytes, not only in nodes. A string alias bomb
// is refused by the decoder, fast and without allocating its expansion; the whole per-file
// pipeline (parse, then the source's hashing) turns it into the file's error.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { expandAliases, MAX_EXPANDED_BYTES, NODE_BYTES } from '../../../agent/manifest/alias-tree.js';
import { decodeManifest, MAX_MANIFEST_BYTES } from '../../../agent/manifest/decode.js';
import { parseManifestFile } from '../../../agent/manifest/parse-file.js';
import { EMPTY_DESIRED_STATE, computeFileStatuses, replaceAllFiles } from '../../../agent/source/desired-store.js';
import { stringAliasBombYaml } from '../../fixtures/manifest-texts.js';

const EXCESSIVE = `error converting YAML to JSON: yaml: document contains excessive aliasing: it expands to more than ${MAX_EXPANDED_BYTES} bytes`;

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

/** What the agent does with a file: parse it, then let the desired store track (hash) its objects. */
function readLikeTheAgent(text: string, file: string) {
  const result = parseManifestFile(text, file);
  const { state } = replaceAllFiles(EMPTY_DESIRED_STATE, [{ file, result }], 0);
  return { result, status: computeFileStatuses(state)[0] };
}

/** Time and heap growth (no GC in between, so garbage made on the way counts too) of `fn`. */
function measure<T>(fn: () => T): { value: T; ms: number; heapMiB: number } {
  collectGarbage();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const value = fn();
  const ms = performance.now() - t0;
  const heapMiB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  return { value, ms, heapMiB };
}

describe('string alias bombs', () => {
  it.each([
    ['160 KB, 20,000 copies of 100 KB (2 GB expanded)', 20_000, 2_000, 64],
    ['8.5 MB, 2,800,000 copies of 100 KB (280 GB expanded)', 2_800_000, 5_000, 256],
  ])('refuses the %s as the file error, fast and with bounded memory', (_name, copies, maxMs, maxHeapMiB) => {
    const text = stringAliasBombYaml('bomb', copies);
    const { value, ms, heapMiB } = measure(() => readLikeTheAgent(text, '/m/bomb.yaml'));
    console.log(`[alias bomb] ${(text.length / 1e6).toFixed(2)} MB file refused in ${ms.toFixed(0)} ms, heap +${heapMiB.toFixed(1)} MiB`);
    expect(value.result.objects).toEqual([]);
    expect(value.result.errors).toEqual([expect.objectContaining({ line: 1, column: 1, message: EXCESSIVE })]);
    expect(value.status).toEqual(expect.objectContaining({ state: 'invalid', objects: [] }));
    expect(ms).toBeLessThan(maxMs);
    expect(heapMiB).toBeLessThan(maxHeapMiB);
  });

  it('counts keys and nodes too: aliasing a mapping with one long key', () => {
    const text = `a: &m {${'k'.repeat(10_000)}: 1}\nb: [${Array<string>(3_000).fill('*m').join(',')}]\n`;
    expect(decodeManifest(text).errors[0]?.message).toBe(EXCESSIVE);
  });

  it('trips before the expansion is built: a bomb costs about the limit, not the expansion', () => {
    let copied = 0;
    const shared = 'x'.repeat(1_000_000);
    const tree = new Proxy(Array<string>(10_000).fill(shared), {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) copied++;
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    expect(() => expandAliases(tree)).toThrow(/excessive aliasing/);
    // 20 MiB of 1 MB strings: the 21st copy trips the limit.
    expect(copied).toBeLessThanOrEqual(Math.ceil(MAX_EXPANDED_BYTES / 1_000_000) + 1);
  });

  it('bounds the nodes of a list bomb at about MAX_EXPANDED_BYTES / NODE_BYTES', () => {
    let nodes = 0;
    const leaf = {};
    const counting = new Proxy(leaf, {
      ownKeys(target) {
        nodes++;
        return Reflect.ownKeys(target);
      },
    });
    expect(() => expandAliases(Array<object>(5_000_000).fill(counting))).toThrow(/excessive aliasing/);
    expect(nodes).toBeLessThan(MAX_EXPANDED_BYTES / NODE_BYTES);
  });
});

describe('manifests that use aliases as people do still pass', () => {
  it('a Pod with 40 containers sharing env, resources and probes through anchors and merge keys', () => {
    const env = Array.from({ length: 60 }, (_, i) => `    - { name: VAR_${i}, value: "value number ${i} ${'v'.repeat(100)}" }`).join('\n');
    const containers = Array.from(
      { length: 40 },
      (_, i) => `  - <<: *base
    name: c${i}
    env: *env`,
    ).join('\n');
    const text = `apiVersion: v1
kind: Pod
metadata:
  name: many-aliases
x-shared:
  env: &env
${env}
spec:
  initContainers:
  - &base
    name: init
    image: busybox:1.37
    command: [sh, -c, "true"]
    resources: { requests: { cpu: 10m, memory: 16Mi }, limits: { memory: 64Mi } }
    env: *env
  containers:
${containers}
`;
    const decoded = decodeManifest(text);
    expect(decoded.errors).toEqual([]);
    const value = decoded.documents[0]?.value as { spec: { containers: { env: unknown[] }[] } };
    expect(value.spec.containers).toHaveLength(40);
    expect(value.spec.containers[39]?.env).toHaveLength(60);
  });

  it('a file of 10 MiB (the read limit) with an anchor on its largest string, and an alias of it', () => {
    const head = 'a: &s "';
    const tail = '"\nb: *s\n';
    const text = `${head}${'x'.repeat(MAX_MANIFEST_BYTES - head.length - tail.length)}${tail}`;
    expect(text.length).toBe(MAX_MANIFEST_BYTES);
    expect(decodeManifest(text).errors).toEqual([]);
  });
});
