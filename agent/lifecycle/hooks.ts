// postStart / preStop handlers (k/k pkg/kubelet/lifecycle/handlers.go, kuberuntime_container.go
// executePreStopHook): exec in the container, an HTTP GET (the probe runner's request, with
// `User-Agent: kube-lifecycle/1.30`), or sleep. The message of a failure is kubelet's, word for
// word; the events the executor records deliberately leave it out, as kubelet does (hook
// output may carry secrets).
import type { Container, LifecycleHandler } from 'kubernetes-types/core/v1.js';
import type { PodRuntime } from '../runtime/pod-runtime.js';
import { errorMessage } from '../core/errors.js';
import { buildHttpGetRequest, httpGet } from '../probe/runners/http.js';
import { formatPod } from '../probe/target.js';
import { goQuote } from '../manifest/field-issue.js';
import { MINIMUM_GRACE_PERIOD_SECONDS } from '../core/termination.js';

/** setTimeout's ceiling: an exec hook without a deadline waits this long at most (~24.8 days). */
const NO_DEADLINE_MS = 2_147_483_647;

/**
 * killContainer's arithmetic: what the preStop hook used (whole seconds, truncated) comes off
 * the grace period, and the container still gets at least 2 s after SIGTERM.
 */
export function graceAfterPreStop(graceSeconds: number, hookElapsedMs: number): number {
  return Math.max(MINIMUM_GRACE_PERIOD_SECONDS, graceSeconds - Math.trunc(Math.max(0, hookElapsedMs) / 1000));
}

export interface HookTarget {
  readonly pod: { readonly name: string; readonly namespace: string; readonly uid: string };
  readonly container: Pick<Container, 'name' | 'ports'>;
  readonly containerId: string;
  /** Where an httpGet without `host` goes (the pod IP; a hostNetwork pod's node IP); undefined = no address. */
  readonly podHost?: string;
}

export interface HookDeps {
  readonly runtime: Pick<PodRuntime, 'exec'>;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type HookResult =
  | { readonly ok: true }
  /** `message` is kubelet's; `timedOut`: the deadline (preStop's grace period) ended the hook. */
  | { readonly ok: false; readonly message: string; readonly timedOut: boolean };

/** handlerRunner.Run. `signal` bounds the hook (preStop: the grace period); postStart has none, as in kubelet. */
export async function runLifecycleHandler(handler: LifecycleHandler, target: HookTarget, deps: HookDeps, signal?: AbortSignal): Promise<HookResult> {
  const { container } = target;
  const where = `for Container ${goQuote(container.name)} in Pod ${goQuote(formatPod(target.pod))}`;
  const failed = (message: string): HookResult => ({ ok: false, message, timedOut: signal?.aborted ?? false });

  if (handler.exec) {
    const command = handler.exec.command ?? [];
    let error: string | undefined;
    let output = '';
    try {
      const r = await deps.runtime.exec(target.containerId, command, { timeoutMs: NO_DEADLINE_MS, signal });
      output = r.stdout + r.stderr;
      // cri-dockerd / remote runtime: a non-zero exit is a CodeExitError.
      if (r.exitCode !== 0) error = `command '${command.join(' ')}' exited with ${r.exitCode}: ${r.stderr}`;
    } catch (err) {
      error = signal?.aborted ? 'context deadline exceeded' : errorMessage(err);
    }
    if (error === undefined) return { ok: true };
    return failed(`Exec lifecycle hook ([${command.join(' ')}]) ${where} failed - error: ${error}, message: ${goQuote(output)}`);
  }

  if (handler.httpGet) {
    const path = handler.httpGet.path ?? '';
    const built = buildHttpGetRequest(handler.httpGet, container, target.podHost, 'lifecycle');
    let error: string | undefined;
    if (!built.ok) {
      error = built.reason === 'no-host' ? `failed to find networking container: ${built.message}` : built.message;
    } else {
      try {
        // kubelet only fails an HTTP hook that got no response; the status code is not checked.
        await httpGet(built.request, { signal, readBody: false });
      } catch (err) {
        error = signal?.aborted ? 'context deadline exceeded' : errorMessage(err);
      }
    }
    if (error === undefined) return { ok: true };
    return failed(`HTTP lifecycle hook (${path}) ${where} failed - error: ${error}`);
  }

  if (handler.sleep) {
    const seconds = handler.sleep.seconds;
    try {
      await deps.sleep(Math.max(0, seconds) * 1000, signal);
      return { ok: true };
    } catch {
      return failed(`Sleep lifecycle hook (${seconds}) ${where} failed - error: container terminated before sleep hook finished`);
    }
  }

  const kind = handler.tcpSocket ? 'tcpSocket is not supported as a lifecycle handler' : 'no action set';
  return failed(`Cannot run handler: invalid handler: ${kind}`);
}

/**
 * executePreStopHook: runs the hook for at most `graceSeconds`, and returns the grace left for
 * docker stop (never below 2 s) with the hook's result.
 */
export async function runPreStopHook(
  handler: LifecycleHandler,
  target: HookTarget,
  deps: HookDeps & { readonly now: () => number },
  graceSeconds: number,
): Promise<{ readonly remainingGraceSeconds: number; readonly result: HookResult }> {
  const started = deps.now();
  const result = await runLifecycleHandler(handler, target, deps, AbortSignal.timeout(Math.max(1, graceSeconds) * 1000));
  return { remainingGraceSeconds: graceAfterPreStop(graceSeconds, deps.now() - started), result };
}
