// Helpers for tests that run against the real Docker Engine made available by
// test/engine/global-setup.ts (which sets DOCKER_HOST and probes privileged support once).
import Docker from 'dockerode';

/** Images test/engine/images.sh builds locally; no registry is reachable in tests. */
export const TEST_IMAGES = {
  busybox: 'busybox:1.37',
  pause: 'registry.k8s.io/pause:3.10',
} as const;

/** Set by the global setup: '1' when privileged containers can start here, '0' when not. */
export const PRIVILEGED_ENV = 'NODELET_TEST_PRIVILEGED';
/** Why privileged containers cannot start (set only when PRIVILEGED_ENV is '0'). */
export const PRIVILEGED_REASON_ENV = 'NODELET_TEST_PRIVILEGED_REASON';

export interface PrivilegedSupport {
  readonly ok: boolean;
  readonly reason?: string;
}

let cached: { readonly host: string | undefined; readonly client: Docker } | undefined;

/** A dockerode client for $DOCKER_HOST (dockerode reads it, with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH). */
export function dockerClient(): Docker {
  const host = process.env.DOCKER_HOST;
  if (cached && cached.host === host) return cached.client;
  const client = new Docker();
  cached = { host, client };
  return client;
}

/**
 * Whether privileged containers start on this engine, as probed once by the global setup.
 * Tests that need privilege skip with the reason: `it.skipIf(!privilegedSupported().ok)`.
 */
export function privilegedSupported(): PrivilegedSupport {
  const flag = process.env[PRIVILEGED_ENV];
  if (flag === '1') return { ok: true };
  if (flag === '0') return { ok: false, reason: process.env[PRIVILEGED_REASON_ENV] ?? 'privileged containers cannot start here' };
  return { ok: false, reason: `not probed: ${PRIVILEGED_ENV} is unset (run through the integration project's global setup)` };
}

/** Starts one short privileged container; the engine's refusal, if any, is the reason. */
export async function probePrivileged(docker: Docker = dockerClient()): Promise<PrivilegedSupport> {
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer({
      Image: TEST_IMAGES.busybox,
      Cmd: ['true'],
      Labels: { 'io.nodelet.test.probe': 'privileged' },
      HostConfig: { Privileged: true, NetworkMode: 'none' },
    });
    await container.start();
    const result = (await container.wait()) as { StatusCode?: number };
    if (result.StatusCode !== 0) return { ok: false, reason: `privileged probe container exited with ${String(result.StatusCode)}` };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `privileged containers cannot start on this engine: ${errorMessage(err)}` };
  } finally {
    await container?.remove({ force: true, v: true }).catch(() => undefined);
  }
}

export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Pause between attempts (default 100 ms). */
  readonly intervalMs?: number;
  /** Names the condition in the timeout error. */
  readonly description?: string;
}

type Settled<T> = Exclude<T, undefined | null | false>;

/**
 * Calls `fn` until it returns something other than undefined, null or false, and resolves
 * with that value. A throw counts as "not yet" (the container may not exist yet); the last
 * one is reported if time runs out.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitForOptions = {}): Promise<Settled<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value as Settled<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = options.description ?? 'condition';
      const cause = lastError === undefined ? '' : `; last error: ${errorMessage(lastError)}`;
      throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms${cause}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Force-removes (with volumes) every container carrying `label` ("key" or "key=value"); returns how many. */
export async function removeContainersByLabel(label: string, docker: Docker = dockerClient()): Promise<number> {
  const found = await docker.listContainers({ all: true, filters: { label: [label] } });
  const results = await Promise.allSettled(found.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  let removed = 0;
  for (const result of results) {
    if (result.status === 'fulfilled') removed += 1;
    // Gone already, or another cleanup is removing it: either way it goes.
    else if (!isStatus(result.reason, 404) && !isStatus(result.reason, 409)) throw result.reason;
  }
  return removed;
}

/** stdout and stderr of a container (not started with a TTY), demultiplexed. */
export async function containerLogs(container: Docker.Container): Promise<{ stdout: string; stderr: string }> {
  const raw = await container.logs({ stdout: true, stderr: true, follow: false });
  const out: string[] = [];
  const err: string[] = [];
  let offset = 0;
  // Docker's multiplexed stream: 8-byte header (stream type, 3 zero bytes, big-endian size), then payload.
  while (offset + 8 <= raw.length) {
    const stream = raw[offset];
    const size = raw.readUInt32BE(offset + 4);
    const payload = raw.subarray(offset + 8, offset + 8 + size).toString('utf8');
    (stream === 2 ? err : out).push(payload);
    offset += 8 + size;
  }
  return { stdout: out.join(''), stderr: err.join('') };
}

function isStatus(err: unknown, status: number): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === status;
}

function errorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const json = (err as { json?: { message?: unknown } }).json;
    if (typeof json?.message === 'string') return json.message;
  }
  return err instanceof Error ? err.message : String(err);
}
