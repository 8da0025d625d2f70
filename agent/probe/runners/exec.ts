// Exec probe (pkg/probe/exec + prober.go): the command runs inside the container through the
// runtime port (Docker exec, cri-dockerd's ExecSync), exit 0 is success, and the combined
// output (10 KiB at most) is what the Unhealthy event shows.
import type { EnvVar } from 'kubernetes-types/core/v1.js';
import type { PodRuntime } from '../../runtime/pod-runtime.js';
import { ExecTimeoutError } from '../../runtime/pod-runtime.js';
import { errorMessage } from '../../core/errors.js';
import { expandVars } from '../../translate/expand.js';
import { truncateOutput, type ProbeOutcome } from '../target.js';

/**
 * kubecontainer.ExpandContainerCommandOnlyStatic: `$(VAR)` with the literal `value`s of the
 * container's env list only (a valueFrom variable maps to the empty string, later entries win,
 * unknown names stay as written). The exec does see the container's real environment; this
 * expansion happens before, in the agent, as kubelet does.
 */
export function expandCommandOnlyStatic(command: readonly string[], env: readonly EnvVar[] | undefined): string[] {
  const values = new Map<string, string>();
  for (const e of env ?? []) values.set(e.name, e.value ?? '');
  return command.map((arg) => expandVars(arg, (name) => values.get(name)));
}

/** Docker exec with kubelet's semantics; rejects only when `signal` aborts (the worker stopped). */
export async function runExecProbe(
  runtime: Pick<PodRuntime, 'exec'>,
  containerId: string,
  command: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeOutcome> {
  try {
    const r = await runtime.exec(containerId, command, { timeoutMs, signal });
    const output = truncateOutput(r.stdout + r.stderr);
    return { result: r.exitCode === 0 ? 'success' : 'failure', output };
  } catch (err) {
    if (signal?.aborted) throw err;
    // cri-dockerd's exec timeout error; kubelet turns it into a failure (ExecProbeTimeout, GA).
    if (err instanceof ExecTimeoutError) return { result: 'failure', output: `command "${command.join(' ')}" timed out` };
    return { result: 'unknown', output: '', error: errorMessage(err) };
  }
}
