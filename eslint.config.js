// Lint runs inside `npm test`. typescript-eslint's recommended type-aware rules, the project
// rule that agent/ never uses `any`, and the layer rules below: no import cycle in agent/, and
// no import from a higher layer.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

/**
 * The layers of agent/, lowest first (paths relative to agent/; a folder or one file). A module
 * may import its own layer's folder and any lower layer, never a sibling folder of its own layer
 * nor a higher one. The order is what the code is: each line names why it sits where it does.
 */
export const LAYERS = [
  // Data types, labels, hashing, clock, errors, the logger, the version; metrics.ts only wraps
  // prom-client (it belongs in core/; it stays in api/ while api/ is being edited).
  ['core', 'generated', 'log', 'version.ts', 'api/metrics.ts'],
  // Manifest decoding, validation, defaults and identity; the in-memory event store; the host
  // filesystem (hostPath checks, atomic writes, mount-safe removal, subPath binds).
  ['manifest', 'events', 'host'],
  // Image credentials (keyring, helpers, provider plugins), the pull limiter and image GC: used
  // by the runtime adapter, so below it. The kubelet's container-log layout on the host, which
  // the runtime adapter keeps in step with each container. The kubelet streaming protocols
  // (SPDY/3.1, remotecommand, port-forward), over byte streams only. QoS: class, OOM score and
  // cgroup names (pure), and the cgroup adapter that creates the kubepods hierarchy.
  ['images', 'podlogs', 'streaming', 'qos'],
  // Pure stages over a decoded manifest (config, pod status, Pod → ContainerSpec) and the
  // runtime adapter, which knows ContainerSpec (core/) and never a Pod translation.
  ['config', 'status', 'translate', 'runtime'],
  // Probes run through the runtime; the manifest source; the node's identity and its store;
  // systemd notification.
  // Container and node usage (cgroups, filesystems) for the summary API, metrics and eviction.
  ['probe', 'source', 'node', 'systemd', 'stats'],
  // Lifecycle hooks (run with the probe runners) and housekeeping; the eviction manager and the
  // graceful node shutdown manager, which decide and call back into the agent.
  ['lifecycle', 'eviction', 'shutdown'],
  // Kubelet plugin registration: the root dir layout, the plugin watcher, CSI and device plugins.
  ['plugins'],
  // Pod workers: plan, execute, one pass, and the relist diff.
  ['sync'],
  // The DaemonSet controller and the API-server reporter, over node identity and pod status.
  ['daemonset', 'mirror'],
  // The agent: pods in memory, admission, the pod workers and the DaemonSet controller.
  ['agent.ts'],
  // The local API: its server, handlers and the client the CLI uses.
  ['api'],
  // The kubelet's HTTPS endpoint (10250): authn/authz, logs, exec/attach/port-forward, stats.
  ['kubelet-server'],
  // The API's view of the agent.
  ['api-backend.ts'],
  // The composition root.
  ['main.ts'],
  // The CLI (`nodelet run` starts main).
  ['cli'],
];

/**
 * no-restricted-paths zones: for each path of each layer, every path of its own layer (but
 * itself) and of every higher layer is forbidden. A folder of a higher layer that holds a file
 * of a lower one (api/ holds api/metrics.ts) gets a zone of its own with that file excepted.
 */
function layerZones() {
  const zones = [];
  LAYERS.forEach((layer, rank) => {
    const forbidden = LAYERS.slice(rank).flat();
    const allowed = LAYERS.slice(0, rank).flat();
    for (const target of layer) {
      const message = `agent/${target} is layer ${rank} of LAYERS in eslint.config.js: it imports only from lower layers.`;
      const from = forbidden.filter((p) => p !== target);
      const plain = from.filter((p) => !allowed.some((low) => low.startsWith(`${p}/`)));
      if (plain.length > 0) zones.push({ target: `agent/${target}`, from: plain.map((p) => `agent/${p}`), message });
      for (const folder of from.filter((p) => !plain.includes(p))) {
        const except = allowed.filter((low) => low.startsWith(`${folder}/`)).map((low) => `./${low.slice(folder.length + 1)}`);
        zones.push({ target: `agent/${target}`, from: `agent/${folder}`, except, message });
      }
    }
  });
  return zones;
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'manifests/schema/**', 'agent/generated/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['agent/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    // Layers: agent/ only (tests and benchmarks may import anything). Type-only imports count
    // for the zones; import-x/no-cycle follows value imports (a type-only cycle is erased by tsc).
    files: ['agent/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // import-x parses an imported file only if its extension is listed here, with this parser.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // `./x.js` in a .ts file means `./x.ts` (NodeNext). import-x's own resolver (unrs-resolver,
      // a native binary inside the npm package, so it works offline) maps it; no tsconfig paths.
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones() }],
    },
  },
  {
    files: ['agent/cli/**/*.ts', 'bench/**/*.ts', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
