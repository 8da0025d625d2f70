// Pure: the graceful node shutdown keys of the config file, named, defaulted and validated as
// the kubelet's KubeletConfiguration does (pkg/kubelet/apis/config/validation/validation.go).
// The kubelet has no command-line flags for them (config file only), and neither has nodelet.
// What the settings mean at shutdown (groups, order) is agent/shutdown/.
import { durationReader } from './config-duration.js';

/** One entry of shutdownGracePeriodByPodPriority. */
export interface ShutdownGracePeriodByPodPriority {
  readonly priority: number;
  readonly shutdownGracePeriodSeconds: number;
}

export interface ShutdownConfig {
  /** shutdownGracePeriod in ms; 0: graceful node shutdown is off (the kubelet's default). */
  readonly gracePeriodMs: number;
  /** shutdownGracePeriodCriticalPods in ms (the last part of shutdownGracePeriod); default 0. */
  readonly gracePeriodCriticalPodsMs: number;
  /** shutdownGracePeriodByPodPriority; empty by default. */
  readonly byPodPriority: readonly ShutdownGracePeriodByPodPriority[];
}

export const SHUTDOWN_CONFIG_KEYS = ['shutdownGracePeriod', 'shutdownGracePeriodCriticalPods', 'shutdownGracePeriodByPodPriority'] as const;

/** Go's time.Duration String() for whole and fractional seconds, as the kubelet's messages print them. */
function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = `${Number((rest / 1000).toFixed(3))}s`;
  return `${sign}${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}`;
}

/** Reads the shutdown keys of the (schema-checked) config file; problems are appended to `problems`. */
export function resolveShutdownConfig(file: Readonly<Record<string, unknown>>, problems: string[]): ShutdownConfig {
  const read = durationReader(problems);
  const duration = (key: string): number => read(key, file[key], '0s');
  const gracePeriodMs = duration('shutdownGracePeriod');
  const gracePeriodCriticalPodsMs = duration('shutdownGracePeriodCriticalPods');
  const byPodPriority = Array.isArray(file.shutdownGracePeriodByPodPriority) ? (file.shutdownGracePeriodByPodPriority as ShutdownGracePeriodByPodPriority[]) : [];
  problems.push(...validateShutdownConfig({ gracePeriodMs, gracePeriodCriticalPodsMs, byPodPriority }));
  return { gracePeriodMs, gracePeriodCriticalPodsMs, byPodPriority };
}

/** The kubelet's checks (GracefulNodeShutdown and GracefulNodeShutdownBasedOnPodPriority on), its messages. */
export function validateShutdownConfig(c: ShutdownConfig): string[] {
  const problems: string[] = [];
  const total = goDuration(c.gracePeriodMs);
  const critical = goDuration(c.gracePeriodCriticalPodsMs);
  if (c.gracePeriodCriticalPodsMs > c.gracePeriodMs) {
    problems.push(`shutdownGracePeriodCriticalPods: invalid configuration: shutdownGracePeriodCriticalPods ${critical} must be <= shutdownGracePeriod ${total}`);
  }
  if (c.gracePeriodMs < 0 || (c.gracePeriodMs > 0 && c.gracePeriodMs < 1000)) {
    problems.push(`shutdownGracePeriod: invalid configuration: shutdownGracePeriod ${total} must be either zero or otherwise >= 1 sec`);
  }
  if (c.gracePeriodCriticalPodsMs < 0 || (c.gracePeriodCriticalPodsMs > 0 && c.gracePeriodCriticalPodsMs < 1000)) {
    problems.push(`shutdownGracePeriodCriticalPods: invalid configuration: shutdownGracePeriodCriticalPods ${critical} must be either zero or otherwise >= 1 sec`);
  }
  if (c.byPodPriority.length > 0 && (c.gracePeriodMs > 0 || c.gracePeriodCriticalPodsMs > 0)) {
    problems.push('shutdownGracePeriodByPodPriority: invalid configuration: Cannot specify both shutdownGracePeriodByPodPriority and shutdownGracePeriod at the same time');
  }
  return problems;
}
