#!/usr/bin/env node
// Adds package-lock entries for platform-specific optional dependencies (rollup's native
// builds for other systems) that the registry mirror used here does not serve, so the lock
// is complete and `npm ci` accepts it. Each entry carries os/cpu/libc, so npm skips it on
// every machine it does not fit and never downloads it. Run after `npm install` changes the
// lock: node scripts/lock-add-foreign-optionals.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'win32', 'sunos', 'aix', 'netbsd'];
const CPU = { 'arm-eabi': 'arm', 'arm-gnueabihf': 'arm', 'arm-musleabihf': 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', loong64: 'loong64', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x' };

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [key, pkg] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const entry = `node_modules/${name}`;
    if (packages[entry]) continue;
    const tail = name.split('/').pop() ?? '';
    const os = OS.find((o) => tail.includes(`-${o}-`));
    const cpuKey = Object.keys(CPU).sort((a, b) => b.length - a.length).find((c) => tail.includes(`-${c}`));
    if (!os || !cpuKey) continue;
    const libc = tail.endsWith('-musl') || tail.includes('musleabi') ? ['musl'] : os === 'linux' ? ['glibc'] : undefined;
    packages[entry] = { version, dev: pkg.dev || undefined, optional: true, os: [os], cpu: [CPU[cpuKey]], ...(libc ? { libc } : {}) };
    added++;
    void key;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} foreign optional entries`);
