// install.sh creates the API socket groups the config names (apiSocketGroup,
// apiReadOnlySocketGroup) when they are missing, and leaves existing ones and gids alone. The
// two functions run from the script itself, with getent and groupadd stubbed on PATH.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..', '..');
const INSTALL = join(REPO, 'scripts', 'install.sh');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodelet-install-groups-'));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  // getent knows "existing"; groupadd records what it was asked to create.
  writeFileSync(join(dir, 'getent'), '#!/bin/sh\n[ "$2" = existing ]\n');
  writeFileSync(join(dir, 'groupadd'), `#!/bin/sh\necho "$*" >> ${join(dir, 'created')}\n`);
  chmodSync(join(dir, 'getent'), 0o755);
  chmodSync(join(dir, 'groupadd'), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function ensureGroups(config: string): { created: string[]; stderr: string } {
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, config);
  const script = `set -euo pipefail
log() { printf '%s\\n' "$*" >&2; }
die() { printf 'error: %s\\n' "$*" >&2; exit 1; }
eval "$(sed -n '/^config_groups() {/,/^}/p;/^ensure_groups() {/,/^}/p' ${JSON.stringify(INSTALL)})"
ensure_groups`;
  let stderr = '';
  try {
    execFileSync('bash', ['-c', script], { env: { PATH: `${dir}:${process.env.PATH ?? ''}`, NODE: process.execPath, LIB_DIR: dir, CONFIG_FILE: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    stderr = String((err as { stderr: Buffer }).stderr);
  }
  let created: string[] = [];
  try {
    created = readFileSync(join(dir, 'created'), 'utf8').trim().split('\n');
  } catch {
    // none created
  }
  return { created, stderr };
}

describe('install.sh: API socket groups', () => {
  it('creates the missing groups the config names, as system groups', () => {
    expect(ensureGroups('apiSocketGroup: nodelet\napiReadOnlySocketGroup: nodelet-ro\n').created).toEqual(['--system nodelet', '--system nodelet-ro']);
  });

  it('leaves existing groups, gids and a config without groups alone', () => {
    expect(ensureGroups('apiSocketGroup: existing\napiReadOnlySocketGroup: "65534"\n').created).toEqual([]);
    expect(ensureGroups('# all commented out\n#apiSocketGroup: nodelet\n').created).toEqual([]);
  });

  it('refuses a name that is not a group name', () => {
    const r = ensureGroups('apiSocketGroup: "bad name; rm -rf /"\n');
    expect(r.created).toEqual([]);
    expect(r.stderr).toContain('is not a valid group name');
  });

  it('stops on a config it cannot read', () => {
    const r = ensureGroups('apiSocketGroup: [unclosed\n');
    expect(r.stderr).toContain('cannot read the API socket groups from');
  });
});
