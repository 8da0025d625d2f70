// Refreshes scripts/kubernetes-openapi/: the OpenAPI v3 documents of v1 (Pod) and apps/v1
// (DaemonSet) and the feature gates off by default, as served by the real kube-apiserver the
// tests build (test/go/kube, test/helpers/kube-cluster.ts). scripts/generate-schema.mjs reads
// them. Only the definitions reachable from Pod and DaemonSet are kept (about a tenth of the size).
//
//   npx vite-node test/tools/fetch-kubernetes-openapi.ts     (npm run schema:fetch)
//
// Run it after bumping test/go/kube to a new Kubernetes release, then npm run schema:generate.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startKubeCluster } from '../helpers/kube-cluster.js';

const OUT = fileURLToPath(new URL('../../scripts/kubernetes-openapi/', import.meta.url));

interface OpenApiDocument {
  components: { schemas: Record<string, unknown> };
}

function referencesOf(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) for (const item of node) referencesOf(item, out);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.add(value.slice(value.lastIndexOf('/') + 1));
      else referencesOf(value, out);
    }
  }
}

/** The schemas reachable from `root`, in name order. */
function reachable(schemas: Record<string, unknown>, root: string): Record<string, unknown> {
  const seen = new Set<string>();
  const queue = [root];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const refs = new Set<string>();
    referencesOf(schemas[name], refs);
    queue.push(...refs);
  }
  return Object.fromEntries([...seen].sort().map((name) => [name, schemas[name]]));
}

const cluster = await startKubeCluster();
try {
  const version = (await cluster.request('GET', '/version')).body as { gitVersion: string };
  for (const [path, file, root] of [
    ['/openapi/v3/api/v1', 'api__v1_openapi.json', 'io.k8s.api.core.v1.Pod'],
    ['/openapi/v3/apis/apps/v1', 'apis__apps__v1_openapi.json', 'io.k8s.api.apps.v1.DaemonSet'],
  ] as const) {
    const document = (await cluster.request('GET', path)).body as OpenApiDocument;
    const trimmed = { 'x-nodelet-source': `GET ${path} of kube-apiserver ${version.gitVersion}, schemas reachable from ${root}`, components: { schemas: reachable(document.components.schemas, root) } };
    await mkdir(OUT, { recursive: true });
    await writeFile(`${OUT}${file}`, `${JSON.stringify(trimmed, null, 1)}\n`);
  }
  // kubernetes_feature_enabled{name="X",stage="ALPHA"} 0: the gates off by default in this release.
  const metrics = await cluster.kubectl(['get', '--raw', '/metrics']);
  const off = [...metrics.matchAll(/^kubernetes_feature_enabled\{name="([^"]+)",stage="([^"]*)"\} 0$/gm)].map((m) => ({ name: m[1], stage: m[2] }));
  await writeFile(`${OUT}feature-gates-off.json`, `${JSON.stringify({ gitVersion: version.gitVersion, off }, null, 1)}\n`);
  console.log(`wrote ${OUT} from kube-apiserver ${version.gitVersion} (${off.length} gates off by default)`);
} finally {
  await cluster.stop();
}
