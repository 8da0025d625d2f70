#!/usr/bin/env node
// `npm run build` step: tsc compiles only TypeScript, so the .proto files that gRPC adapters
// load at run time (agent/**/protos/*.proto) are copied beside the compiled modules in dist/.
import { cpSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (!statSync(full).isDirectory()) continue;
    if (name === 'protos') cpSync(full, path.join(repoRoot, 'dist', path.relative(repoRoot, full)), { recursive: true });
    else walk(full);
  }
}
walk(path.join(repoRoot, 'agent'));
