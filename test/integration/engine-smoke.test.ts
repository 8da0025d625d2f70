// Exercises the engine harness itself: the engine answers, the local images run, and the
// pause image behaves like pause (keeps running, exits promptly on SIGTERM).
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  TEST_IMAGES,
  containerLogs,
  dockerClient,
  privilegedSupported,
  removeContainersByLabel,
  waitFor,
} from '../helpers/docker-engine.js';

const RUN_LABEL = 'io.nodelet.test.engine-smoke';
const runId = randomUUID();
const labels = { [RUN_LABEL]: runId };

describe('engine harness', () => {
  const docker = dockerClient();

  afterAll(async () => {
    await removeContainersByLabel(`${RUN_LABEL}=${runId}`);
  });

  it('points DOCKER_HOST at an engine that answers', async () => {
    expect(process.env.DOCKER_HOST).toBe(inject('dockerHost'));
    const ping = await docker.ping();
    expect(String(ping)).toBe('OK');
  });

  it('reports privileged support with a reason when it is missing', () => {
    const support = privilegedSupported();
    expect(support).toEqual(inject('privileged'));
    if (!support.ok) expect(support.reason).toMatch(/\S/);
  });

  it('runs a busybox command and returns its output and exit code', async () => {
    const container = await docker.createContainer({
      Image: TEST_IMAGES.busybox,
      Cmd: ['sh', '-c', 'echo "hello from $(id -un)"; echo oops >&2; cat /etc/group >/dev/null; exit 3'],
      Labels: labels,
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    const result = (await container.wait()) as { StatusCode: number };
    expect(result.StatusCode).toBe(3);
    const logs = await containerLogs(container);
    expect(logs).toEqual({ stdout: 'hello from root\n', stderr: 'oops\n' });
    const info = await container.inspect();
    expect(info.State.Status).toBe('exited');
    expect(info.State.ExitCode).toBe(3);
    expect(info.Config.Labels[RUN_LABEL]).toBe(runId);
    await container.remove({ v: true });
    await expect(container.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('gives busybox images the default command sh', async () => {
    const image = await docker.getImage(TEST_IMAGES.busybox).inspect();
    expect(image.Config.Cmd).toEqual(['sh']);
    const latest = await docker.getImage('busybox:latest').inspect();
    expect(latest.Id).toBe(image.Id);
  });

  it('runs the pause image until SIGTERM, then it exits 0 within 2 s', async () => {
    const container = await docker.createContainer({
      Image: TEST_IMAGES.pause,
      Labels: labels,
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    // Still running after a moment: the default command does not exit by itself.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await container.inspect()).State.Running).toBe(true);

    const started = Date.now();
    await container.kill({ signal: 'SIGTERM' });
    const state = await waitFor(
      async () => {
        const s = (await container.inspect()).State;
        return s.Running ? undefined : s;
      },
      { timeoutMs: 2_000, intervalMs: 20, description: 'pause container to exit after SIGTERM' },
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(state.ExitCode).toBe(0);
  });

  it('removes containers by label', async () => {
    const cleanupLabel = `${RUN_LABEL}.cleanup=${runId}`;
    const [key, value] = cleanupLabel.split('=') as [string, string];
    for (let i = 0; i < 2; i += 1) {
      const c = await docker.createContainer({
        Image: TEST_IMAGES.busybox,
        Cmd: ['sleep', '60'],
        Labels: { ...labels, [key]: value },
        HostConfig: { NetworkMode: 'none' },
      });
      if (i === 0) await c.start();
    }
    expect(await removeContainersByLabel(cleanupLabel)).toBe(2);
    expect(await docker.listContainers({ all: true, filters: { label: [cleanupLabel] } })).toEqual([]);
    expect(await removeContainersByLabel(cleanupLabel)).toBe(0);
  });

  it('waitFor reports the condition and the last error on timeout', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 50, intervalMs: 10, description: 'the impossible' },
      ),
    ).rejects.toThrow('waitFor: the impossible not met within 50 ms; last error: not yet');
  });
});
