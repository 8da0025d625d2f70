// The executor's subPath step with a fake adapter: every subPath mount is prepared onto its
// target before each start, in order; the first failure ends the start with kubelet's message.
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import type { MountSpec, SubPathSource } from '../../../agent/core/runtime-types.js';
import { createLogger } from '../../../agent/log/logger.js';
import type { SubPathResult, SubPather } from '../../../agent/host/subpath.js';
import { prepareSubPathMounts } from '../../../agent/sync/execute.js';

function fake(results: Record<string, SubPathResult>): SubPather & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    prepare: (source: SubPathSource, target: string) => {
      calls.push(`${source.volumeName}:${source.subPath} -> ${target}`);
      return Promise.resolve(results[source.subPath] ?? { ok: true });
    },
  };
}

function logs(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', stream }) };
}

const sub = (subPath: string, mountIndex: number, containerName = 'app'): MountSpec => ({
  kind: 'bind',
  source: `/pods/u/volume-subpaths/data/${containerName}/${mountIndex}`,
  target: `/m${mountIndex}`,
  readOnly: false,
  subPath: { volumePath: '/pods/u/volumes/data', subPath, volumeName: 'data', containerName, mountIndex },
});
const plain: MountSpec = { kind: 'bind', source: '/srv', target: '/srv', readOnly: false };

describe('prepareSubPathMounts', () => {
  it('prepares each subPath mount onto its target, skipping plain binds', async () => {
    const sp = fake({});
    expect(await prepareSubPathMounts([sub('a', 0), plain, sub('b/c', 2)], sp, logs().logger)).toBeUndefined();
    expect(sp.calls).toEqual(['data:a -> /pods/u/volume-subpaths/data/app/0', 'data:b/c -> /pods/u/volume-subpaths/data/app/2']);
  });

  it('stops at the first failure with kubelet CreateContainerConfigError texts; the detail goes to the log only', async () => {
    const l = logs();
    const sp = fake({ bad: { ok: false, step: 'prepare', detail: 'subpath "/" not within volume path "/pods/u/volumes/data"' } });
    expect(await prepareSubPathMounts([sub('bad', 0, 'victim'), sub('after', 1, 'victim')], sp, l.logger)).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'failed to prepare subPath for volumeMount "data" of container "victim"',
    });
    expect(sp.calls).toHaveLength(1);
    expect(l.lines).toContainEqual(expect.objectContaining({ msg: 'subPath preparation failed', step: 'prepare', err: 'subpath "/" not within volume path "/pods/u/volumes/data"' }));
  });

  it('words a failed creation as kubelet does', async () => {
    const sp = fake({ x: { ok: false, step: 'create', detail: 'cannot create directory /v/x: EEXIST' } });
    expect(await prepareSubPathMounts([sub('x', 0)], sp, logs().logger)).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'failed to create subPath directory for volumeMount "data" of container "app"',
    });
  });
});
