// Re-records test/fixtures/corpus/verdicts.json against the real kube-apiserver v1.37.2 (not in
// CI; `npm run corpus:verdicts`). For every Pod and DaemonSet document of the corpus:
//   kubectl create --dry-run=server --validate=strict -o json -f -   (the document alone)
// then, on an object the API server accepted, the kubelet's static-pod rules
// (static-pod-rules.ts) on the object as the API server decoded it.
//
// The admission plugins that resolve references to other objects are off
// (ServiceAccount, Priority, RuntimeClass, LimitRanger, ResourceQuota, NamespaceLifecycle) and
// so is PodSecurity: the kubelet runs none of them on a static pod, and without a controller
// manager there is not even a default ServiceAccount. What remains is decoding, strict field
// validation, defaulting and validation: what the kubelet's decoder and ValidatePodCreate do.
// --allow-privileged=true as on a kubeadm control plane and in the kubelet itself, which
// always allows privileged containers (and hostProcess) for its own validation.
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKubeCluster, type KubeCluster } from '../helpers/kube-cluster.js';
import {
  VERDICTS_FILE,
  corpusKind,
  documentId,
  fileOf,
  headOf,
  readSources,
  splitDocuments,
  type ReasonClass,
  type RecordedVerdict,
  type VerdictsFile,
} from './corpus.js';
import { kubeletRefusals } from './static-pod-rules.js';

const DISABLED_ADMISSION = ['NamespaceLifecycle', 'ServiceAccount', 'Priority', 'RuntimeClass', 'LimitRanger', 'ResourceQuota', 'PodSecurity'];

let cluster: KubeCluster;

beforeAll(async () => {
  cluster = await startKubeCluster({ apiserverFlags: [`--disable-admission-plugins=${DISABLED_ADMISSION.join(',')}`, '--allow-privileged=true'] });
}, 30 * 60_000);

afterAll(async () => {
  await cluster?.stop();
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function kubectl(args: readonly string[], input: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cluster.binaries.kubectl, [`--kubeconfig=${cluster.adminKubeconfig}`, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

function classify(message: string): ReasonClass {
  if (/no matches for kind|resource mapping not found/.test(message)) return 'api-version';
  if (/strict decoding error|unknown field|duplicate field/.test(message)) return 'unknown-field';
  if (/cannot be handled as a|error converting YAML to JSON|error parsing|json: cannot unmarshal|yaml: /.test(message)) return 'decode';
  if (/ is invalid: /.test(message)) return 'api-validation';
  return 'api-other';
}

async function pool<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

it('records the verdict of every Pod and DaemonSet document of the corpus', async () => {
  const sources = readSources();
  const version = await cluster.kubectl(['version', '-o', 'json']);
  const serverVersion = (JSON.parse(version) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion ?? 'unknown';
  const jobs: { source: (typeof sources.files)[number]; index: number; line: number; text: string }[] = [];
  for (const source of sources.files) {
    const text = await readFile(fileOf(source), 'utf8');
    for (const chunk of splitDocuments(text)) {
      if (corpusKind(headOf(chunk.text))) jobs.push({ source, index: chunk.index, line: chunk.line, text: chunk.text });
    }
  }
  const documents = await pool(jobs, 4, async ({ source, index, line, text }): Promise<RecordedVerdict> => {
    const head = headOf(text);
    const kind = corpusKind(head) ?? 'Pod';
    const run = await kubectl(['create', '--dry-run=server', '--validate=strict', '-o', 'json', '-f', '-'], text);
    const warnings = run.stderr.split('\n').filter((l) => l.startsWith('Warning: ')).map((l) => l.slice('Warning: '.length));
    const errorText = run.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning: ')).join('\n').trim();
    const base = {
      id: documentId(source, index),
      repo: source.repo,
      path: source.path,
      commit: source.commit,
      licence: sources.licences[source.repo] ?? 'unknown',
      document: index,
      line,
      kind,
      apiVersion: head.apiVersion ?? '',
      ...(head.name === undefined ? {} : { name: head.name }),
    };
    if (run.code !== 0) {
      return { ...base, verdict: 'invalid', reason: classify(errorText), apiserver: { accepted: false, message: errorText, warnings }, kubelet: [] };
    }
    const refusals = kubeletRefusals(kind, JSON.parse(run.stdout) as Record<string, unknown>);
    const first = refusals[0];
    return {
      ...base,
      verdict: first ? 'invalid' : 'valid',
      ...(first ? { reason: first.reason } : {}),
      apiserver: { accepted: true, warnings },
      kubelet: refusals.map((r) => r.message),
    };
  });
  const file: VerdictsFile = {
    recordedWith: `kube-apiserver ${serverVersion} --allow-privileged=true (kubectl create --dry-run=server --validate=strict; admission off: ${DISABLED_ADMISSION.join(', ')}) + kubelet static-pod rules (test/corpus/static-pod-rules.ts)`,
    recordedAt: new Date().toISOString(),
    rules: [
      'API server: decoding, strict field validation, defaulting and create validation of the document alone',
      'kubelet: invalid pod: name is needed for the pod (DaemonSets too: nodelet generates no names)',
      'kubelet: spec.nodeName is set, so spec.schedulingGates are refused (ValidatePodCreate)',
      'kubelet: static pods may not reference <resource> (HasAPIObjectReference); for DaemonSets on spec.template.spec, as nodelet runs their pods as static pods',
    ],
    documents,
  };
  writeFileSync(VERDICTS_FILE, `${JSON.stringify(file, null, 1)}\n`);
  expect(documents.length).toBe(jobs.length);
}, 60 * 60_000);
