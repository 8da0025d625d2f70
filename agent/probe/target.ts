// Where a probe or an HTTP hook goes and how its outcome reads, shared by the runners and the
// lifecycle hooks. Pure: ports, hosts, Go-style addresses and error texts (kubelet's probe
// output is Go's error text, and users grep events for it).
import type { Container, Pod } from 'kubernetes-types/core/v1.js';

/**
 * One run of a probe handler (pkg/probe: Result + output + error). `error` set means the
 * probe could not be carried out at all (kubelet's "errored" case): the run is retried, then
 * reported and thrown away rather than counted as a failure.
 */
export interface ProbeOutcome {
  readonly result: 'success' | 'warning' | 'failure' | 'unknown';
  readonly output: string;
  readonly error?: string;
}

/** The Kubernetes minor version nodelet's behaviour follows (User-Agent `kube-probe/1.30`). */
export const KUBE_VERSION = '1.30';

export function kubeUserAgent(purpose: 'probe' | 'lifecycle'): string {
  return `kube-${purpose}/${KUBE_VERSION}`;
}

/** pkg/probe/exec maxReadLength and pkg/probe/http maxRespBodyLength: 10 KiB. */
export const MAX_PROBE_OUTPUT_BYTES = 10 * 1024;

/** Keeps at most 10 KiB (as UTF-8) of probe output. */
export function truncateOutput(text: string, limit = MAX_PROBE_OUTPUT_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  return bytes.subarray(0, limit).toString('utf8');
}

/** Shown when a network probe has no address to go to (pod network `none`, or an IP nobody told us). */
export const NO_POD_IP_MESSAGE =
  'the pod has no IP address to probe (its network is "none" or its address is not known); set host, use hostNetwork, or use an exec probe';

/**
 * The host a probe or hook goes to when the handler names none: the pod IP, which for a
 * hostNetwork pod is the node's first IP (127.0.0.1 when the node reported none).
 */
export function defaultPodHost(pod: Pod, hostIPs: readonly string[], podIPs: readonly string[]): string | undefined {
  if (pod.spec?.hostNetwork) return hostIPs[0] ?? '127.0.0.1';
  return podIPs[0];
}

export type PortResolution = { readonly ok: true; readonly port: number } | { readonly ok: false; readonly error: string };

/**
 * pkg/probe ResolveContainerPort: a number, or the name of one of the container's ports.
 * Hooks (lifecycle/handlers.go resolvePort) also accept a numeric string.
 */
export function resolveContainerPort(port: number | string | undefined, container: Pick<Container, 'ports'>, opts: { numericStrings?: boolean } = {}): PortResolution {
  let value: number;
  if (typeof port === 'number') {
    value = port;
  } else if (typeof port === 'string') {
    const named = container.ports?.find((p) => p.name === port);
    if (named) value = named.containerPort;
    else if (opts.numericStrings && /^[+-]?\d+$/.test(port)) value = Number(port);
    else return { ok: false, error: `port "${port}" not found` };
  } else {
    return { ok: false, error: 'intOrString had no kind: {Type:0 IntVal:0 StrVal:}' };
  }
  if (Number.isInteger(value) && value > 0 && value < 65536) return { ok: true, port: value };
  return { ok: false, error: `invalid port number: ${value}` };
}

/** net.JoinHostPort: IPv6 literals in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's net error text for a failed dial, e.g. `dial tcp 10.0.0.5:80: connect: connection refused`. */
export function dialErrorMessage(err: unknown, hostPort: string): string {
  const e = err as NodeJS.ErrnoException & { hostname?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${hostPort}: connect: network is unreachable`;
    case 'EADDRNOTAVAIL':
      return `dial tcp ${hostPort}: connect: cannot assign requested address`;
    case 'ETIMEDOUT':
      return `dial tcp ${hostPort}: i/o timeout`;
    case 'ECONNRESET':
      return `read tcp ${hostPort}: read: connection reset by peer`;
    case 'EPIPE':
      return `write tcp ${hostPort}: write: broken pipe`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${e.hostname ?? hostPort}: no such host`;
    default:
      return e instanceof Error ? e.message : String(err);
  }
}

/** kubelet's format.Pod: `name_namespace(uid)`. */
export function formatPod(pod: { readonly name: string; readonly namespace: string; readonly uid: string }): string {
  return `${pod.name}_${pod.namespace}(${pod.uid})`;
}

