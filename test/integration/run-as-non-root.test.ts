// Issue 14 item 6 against the real dockerd: runAsNonRoot is checked as the kubelet's
// verifyRunAsNonRoot does it, with the image's user read from Docker's image inspect. A
// container that would run as root (busybox names no USER), asks for uid 0, or whose image
// names its user by name is never created: it waits in CreateContainerConfigError with the
// kubelet's message, a Failed event "Error: <message>", and is retried (not CrashLoopBackOff).
// runAsUser 1000 over the same root image runs, as uid 1000.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient } from '../../agent/api/client.js';
import { TEST_IMAGES } from '../helpers/docker-engine.js';
import { dockerFromEnv, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { containersOf, useTestAgents } from '../helpers/pod-fixtures.js';
import { appPodYaml } from '../fixtures/manifest-texts.js';

const agent = useTestAgents({ file: { crashLoopBackOff: { initial: '1s', max: '2s' } } });
const docker = dockerFromEnv();
/** busybox with `USER nobody`: a user by name, which runAsNonRoot cannot verify. */
const NAMED_USER_IMAGE = `nodelet-test/nonroot-named-user:${process.pid}`;

beforeAll(async () => {
  // Same rootfs as busybox, only the config's User differs (docker commit --change 'USER nobody').
  const holder = await docker.createContainer({ Image: TEST_IMAGES.busybox, Cmd: ['true'], Labels: { 'io.nodelet.test': 'run-as-non-root' } });
  try {
    const [repo, tag] = NAMED_USER_IMAGE.split(':');
    await holder.commit({ repo, tag, changes: 'USER nobody' });
  } finally {
    await holder.remove({ force: true });
  }
});

afterAll(async () => {
  await docker.getImage(NAMED_USER_IMAGE).remove({ force: true }).catch(() => undefined);
});

function pod(name: string, image: string, podSc: string, containerSc: string): string {
  return appPodYaml(name, { image, podSecurityContext: podSc, securityContext: containerSc });
}

function podOf(a: TestAgent, name: string): Pod | undefined {
  return a.running.agent.pods().find((p) => p.metadata?.name === `${name}-${a.config.nodeName}`);
}

function appStatus(a: TestAgent, name: string): ContainerStatus | undefined {
  return podOf(a, name)?.status?.containerStatuses?.find((c) => c.name === 'app');
}

/** The kubelet's `(pod: "<name>_<namespace>(<uid>)", container: app)`. */
function where(a: TestAgent, name: string): string {
  const p = podOf(a, name);
  return `(pod: "${p?.metadata?.name}_default(${p?.metadata?.uid})", container: app)`;
}

function configErrors(a: TestAgent, message: string): number {
  return a.logs.filter((l) => l['msg'] === 'container config failed' && l['err'] === message).length;
}

describe('runAsNonRoot (kubelet verifyRunAsNonRoot)', () => {
  it('refuses root and unverifiable users with the kubelet messages, retries, and runs runAsUser 1000', async () => {
    const a = await agent();
    await a.write('root-image.yaml', pod('root-image', TEST_IMAGES.busybox, '{ runAsNonRoot: true }', '{}'));
    await a.write('uid-zero.yaml', pod('uid-zero', TEST_IMAGES.busybox, '{ runAsNonRoot: true }', '{ runAsUser: 0 }'));
    await a.write('named-user.yaml', pod('named-user', NAMED_USER_IMAGE, '{}', '{ runAsNonRoot: true }'));
    await a.write('as-1000.yaml', pod('as-1000', TEST_IMAGES.busybox, '{ runAsNonRoot: true }', '{ runAsUser: 1000 }'));

    const expected = {
      'root-image': (w: string) => `container has runAsNonRoot and image will run as root ${w}`,
      'uid-zero': (w: string) => `container's runAsUser breaks non-root policy ${w}`,
      'named-user': (w: string) => `container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root ${w}`,
    } as const;
    const client = new ApiClient(a.config.apiSocket);
    for (const [name, text] of Object.entries(expected)) {
      const message = await waitUntil(async () => (podOf(a, name) ? text(where(a, name)) : undefined), `${name} known`);
      // Retried on the pod worker's back-off: a second refusal, and the status never turns into CrashLoopBackOff.
      const seen = new Set<string>();
      await waitUntil(
        async () => {
          const w = appStatus(a, name)?.state?.waiting;
          if (w && w.reason !== 'ContainerCreating') seen.add(`${w.reason}: ${w.message}`);
          return configErrors(a, message) >= 2 ? true : undefined;
        },
        `${name} refused twice`,
        30_000,
        50,
      );
      expect([...seen]).toEqual([`CreateContainerConfigError: ${message}`]);
      expect(appStatus(a, name)?.restartCount).toBe(0);
      expect(await containersOf(a, name, 'app')).toEqual([]);
      const events = (await client.listEvents()).filter((e) => e.involvedObject.name === podOf(a, name)?.metadata?.name && e.reason === 'Failed');
      expect(events.map((e) => [e.type, e.message, e.involvedObject.fieldPath])).toContainEqual(['Warning', `Error: ${message}`, 'spec.containers{app}']);
    }

    // runAsUser 1000 decides over the image's root user: the container runs, as uid 1000.
    const running = await waitUntil(async () => (appStatus(a, 'as-1000')?.state?.running ? true : undefined), 'as-1000 running');
    expect(running).toBe(true);
    const [c] = await containersOf(a, 'as-1000', 'app');
    const inspect = await docker.getContainer(c!.Id).inspect();
    expect(inspect.Config.User).toBe('1000');
    const exec = await docker.getContainer(c!.Id).exec({ Cmd: ['id', '-u'], AttachStdout: true, AttachStderr: true });
    const out = await new Promise<string>((resolve, reject) => {
      exec.start({}, (err, stream) => {
        if (err || !stream) return reject(err ?? new Error('no exec stream'));
        const chunks: Buffer[] = [];
        stream.on('data', (b: Buffer) => chunks.push(b));
        stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
    });
    expect(out).toContain('1000');
  });
});
