// The shipped unit, the example config and the install script must agree with each other and
// with the agent's defaults. (The unit's syntax is checked by `systemd-analyze verify` in
// test/e2e/systemd-vm.test.ts, with the real systemd.)
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import { resolveConfig } from '../../../agent/config/config.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const unitText = readFileSync(join(REPO, 'systemd', 'nodelet.service'), 'utf8');
const exampleText = readFileSync(join(REPO, 'systemd', 'config.yaml.example'), 'utf8');
const installText = readFileSync(join(REPO, 'scripts', 'install.sh'), 'utf8');
const uninstallText = readFileSync(join(REPO, 'scripts', 'uninstall.sh'), 'utf8');

/** `Key=value` settings of one section (the last one wins, as in systemd for these keys). */
function section(name: string): Map<string, string> {
  const out = new Map<string, string>();
  let current = '';
  for (const raw of unitText.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      current = header[1];
      continue;
    }
    const eq = line.indexOf('=');
    if (current === name && eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

function shellVariable(text: string, name: string): string | undefined {
  return new RegExp(`^${name}=(\\S+)$`, 'm').exec(text)?.[1];
}

const defaults = resolveConfig({ flags: {}, env: {}, hostname: 'node1' });

describe('systemd/nodelet.service', () => {
  const unit = section('Unit');
  const service = section('Service');

  it.each([
    ['Type', 'notify'],
    ['NotifyAccess', 'all'],
    ['Restart', 'always'],
    ['KillMode', 'mixed'],
    ['ExecReload', '/bin/kill -HUP $MAINPID'],
  ])('%s=%s', (key, value) => {
    expect(service.get(key)).toBe(value);
  });

  it('starts after Docker and wants it, without being bound to it', () => {
    expect(unit.get('After')).toContain('docker.service');
    expect(unit.get('Wants')).toContain('docker.service');
    expect(unit.has('Requires')).toBe(false);
    expect(unit.has('BindsTo')).toBe(false);
  });

  it('has a watchdog', () => {
    expect(service.get('WatchdogSec')).toMatch(/^\d+s$/);
  });

  it('its directories are the agent defaults', () => {
    expect(`/var/lib/${service.get('StateDirectory') ?? ''}`).toBe(defaults.stateDir);
    expect(`/run/${service.get('RuntimeDirectory') ?? ''}`).toBe(dirname(defaults.apiSocket));
    expect(dirname(defaults.apiReadOnlySocket)).toBe(dirname(defaults.apiSocket));
    expect(`/etc/${service.get('ConfigurationDirectory') ?? ''}`).toBe(shellVariable(installText, 'CONFIG_DIR'));
  });

  it('runs the command install.sh creates', () => {
    expect(service.get('ExecStart')).toBe(`${shellVariable(installText, 'COMMAND') ?? '?'} run`);
  });

  it('keeps nodelet in the filesystem dockerd sees (no private mounts or /tmp)', () => {
    for (const key of ['ProtectSystem', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelModules', 'ProtectKernelTunables', 'ReadOnlyPaths', 'TemporaryFileSystem', 'MemoryDenyWriteExecute', 'PrivateMounts', 'ProtectProc']) {
      expect(service.has(key), key).toBe(false);
    }
  });

  it('lets nodelet bind-mount subPaths (mount and umount2 are in @mount, not in @system-service)', () => {
    expect(service.get('SystemCallFilter')?.split(/\s+/)).toEqual(expect.arrayContaining(['@system-service', '@mount']));
  });
});

describe('systemd/config.yaml.example', () => {
  it('means the defaults as installed, with everything commented out', () => {
    const file = yaml.load(exampleText) ?? undefined;
    const config = resolveConfig({ flags: {}, env: {}, file, hostname: 'node1' });
    expect(config).toEqual(defaults);
  });

  it('is a valid config once every setting is uncommented', () => {
    // Settings are `#key:` or `#  nested`; prose comments are `# text`.
    const uncommented = exampleText
      .split('\n')
      .map((l) => (/^#(?! )/.test(l) || /^# {2}/.test(l) ? l.slice(1) : l))
      .join('\n');
    const file = yaml.load(uncommented) as Record<string, unknown>;
    expect(Object.keys(file)).toContain('nodeTaints');
    const config = resolveConfig({ flags: {}, env: {}, file, configFile: '/etc/nodelet/config.yaml', hostname: 'node1' });
    expect(config.manifestDir).toBe(defaults.manifestDir);
    expect(config.stateDir).toBe(defaults.stateDir);
    expect(config.logLevel).toBe(defaults.logLevel);
    expect(config.nodeLabels).toEqual({ disktype: 'ssd', 'topology.kubernetes.io/zone': 'zone-a' });
  });
});

describe('scripts', () => {
  it('uninstall.sh removes what install.sh puts in place', () => {
    for (const name of ['LIB_DIR', 'COMMAND', 'CONFIG_DIR', 'CONFIG_FILE', 'MANIFEST_DIR', 'UNIT_FILE', 'COMMAND_MARKER']) {
      expect(shellVariable(uninstallText, name), name).toBe(shellVariable(installText, name));
    }
  });

  it('the manifest directory is the agent default', () => {
    expect(shellVariable(installText, 'MANIFEST_DIR')).toBe(defaults.manifestDir);
  });
});
