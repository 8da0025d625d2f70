// Image garbage collection against the real dockerd and the real filesystem of its data
// root: the thresholds decide (usage of that filesystem, here ~20 %, so a high threshold of
// 1 % triggers it without filling the disk), unused images go, least recently used first,
// an image any container uses (not nodelet's: the test's own) and the pinned sandbox image
// stay, and the kubelet's Node events appear. The engine is shared with other tests, so the
// collector is given the runtime's image store narrowed to this test's images: removals,
// usage and the in-use set are the engine's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { EventStore } from '../../agent/events/event-store.js';
import { ImageGcManager, type ImageStore } from '../../agent/images/image-gc.js';
import { createLogger } from '../../agent/log/logger.js';
import { DockerRuntime } from '../../agent/runtime/docker/docker-runtime.js';
import { systemClock } from '../../agent/core/clock.js';
import { dockerFromEnv } from '../helpers/agent-harness.js';
import { TEST_IMAGES } from '../helpers/docker-engine.js';
import { Writable } from 'node:stream';

const docker = dockerFromEnv();
const uniq = `nodelet-gc-${process.pid}-${Date.now().toString(36)}`;
const repo = (name: string): string => `${uniq}/${name}:v1`;
const containers: Docker.Container[] = [];

/** A distinct image (its own ID) committed from a busybox container with a unique label. */
async function makeImage(name: string): Promise<string> {
  const c = await docker.createContainer({ Image: TEST_IMAGES.busybox, Cmd: ['true'], Labels: { 'nodelet-gc-test': `${uniq}-${name}` } });
  await c.commit({ repo: `${uniq}/${name}`, tag: 'v1' });
  await c.remove({ force: true });
  return (await docker.getImage(repo(name)).inspect()).Id;
}

async function exists(name: string): Promise<boolean> {
  return docker
    .getImage(repo(name))
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

async function useImage(name: string, start: boolean): Promise<Docker.Container> {
  const c = await docker.createContainer({ Image: repo(name), Cmd: ['sleep', '3600'], name: `${uniq}-${name}`, HostConfig: { NetworkMode: 'none' } });
  if (start) await c.start();
  containers.push(c);
  return c;
}

function collector(policy: { highThresholdPercent: number; lowThresholdPercent: number }, events: EventStore, logs: Record<string, unknown>[]): ImageGcManager {
  const runtime = new DockerRuntime({ docker, nodeName: uniq });
  // Only this test's images are candidates; everything else is the engine's answer.
  const store: ImageStore = {
    listImages: async () => (await runtime.listImages()).filter((i) => i.repoTags.some((t) => t.startsWith(`${uniq}/`))),
    imagesInUse: () => runtime.imagesInUse(),
    imageFsStats: () => runtime.imageFsStats(),
    removeImage: (i) => runtime.removeImage(i),
  };
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) logs.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return new ImageGcManager({
    store,
    policy: { ...policy, minimumAgeMs: 0 },
    periodMs: 3_600_000,
    sandboxImage: repo('pause'),
    nodeName: uniq,
    events,
    logger: createLogger({ level: 'info', stream: sink }),
  });
}

beforeAll(async () => {
  for (const name of ['old', 'older', 'running', 'pause']) await makeImage(name);
});

afterAll(async () => {
  for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
  for (const name of ['old', 'older', 'running', 'pause']) await docker.getImage(repo(name)).remove({ force: true }).catch(() => undefined);
});

describe('image garbage collection', () => {
  it('below the high threshold nothing is removed', async () => {
    const events = new EventStore({ clock: systemClock, source: 'test' });
    const usage = await new DockerRuntime({ docker, nodeName: uniq }).imageFsStats();
    const percent = 100 - Math.trunc((usage.available * 100) / usage.capacity);
    console.log(`image filesystem usage: ${percent}% of ${usage.capacity} bytes`);
    expect(percent).toBeLessThan(99);
    await collector({ highThresholdPercent: 99, lowThresholdPercent: 98 }, events, []).garbageCollect();
    for (const name of ['old', 'older', 'running', 'pause']) expect(await exists(name)).toBe(true);
    expect(events.list()).toEqual([]);
  });

  it('over the threshold: unused images go, least recently used first; in-use and pinned images stay; FreeDiskSpaceFailed, then ImageGCFailed', async () => {
    const events = new EventStore({ clock: systemClock, source: 'test' });
    const logs: Record<string, unknown>[] = [];
    const gc = collector({ highThresholdPercent: 1, lowThresholdPercent: 1 }, events, logs);
    // `old` is in use (a created, never started container) at the first pass, so it was used
    // more recently than `older`; `running` runs throughout.
    const holder = await useImage('old', false);
    await useImage('running', true);

    await gc.runOnce();
    expect(await exists('older')).toBe(false);
    expect(await exists('old')).toBe(true);
    const nodeEvents = (): string[] => events.list((e) => e.involvedObject.kind === 'Node').map((e) => `${e.type} ${e.reason}`);
    expect(nodeEvents()).toEqual(['Warning FreeDiskSpaceFailed']);
    expect(events.list()[0]?.message).toMatch(/^Failed to garbage collect required amount of images\. Attempted to free \d+ bytes, but only found \d+ bytes eligible to free\.$/);
    expect(logs.some((l) => l['msg'] === 'Image garbage collection failed once. Stats initialization may not have completed yet')).toBe(true);

    await holder.remove({ force: true });
    await gc.runOnce();
    expect(await exists('old')).toBe(false);
    expect(await exists('running')).toBe(true);
    expect(await exists('pause')).toBe(true);
    expect(nodeEvents()).toContain('Warning ImageGCFailed');
    const removed = logs.filter((l) => l['msg'] === 'Removing image to free bytes').map((l) => (l['tags'] as string[])[0]);
    expect(removed).toEqual([repo('older'), repo('old')]);
  });
});
