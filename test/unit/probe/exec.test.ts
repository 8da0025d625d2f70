// Exec probes through the runtime port. The port is faked here (the runner only decides what a
// result means); test/integration/probes.test.ts runs the same probes in real containers.
import { describe, expect, it } from 'vitest';
import { expandCommandOnlyStatic, runExecProbe } from '../../../agent/probe/runners/exec.js';
import { ExecTimeoutError } from '../../../agent/runtime/pod-runtime.js';
import { RuntimeError } from '../../../agent/core/errors.js';

type ExecResult = { exitCode: number; stdout: string; stderr: string };

function execPort(answer: (cmd: readonly string[], opts: { timeoutMs: number }) => ExecResult | Error) {
  const calls: { id: string; cmd: readonly string[]; timeoutMs: number }[] = [];
  return {
    calls,
    exec: async (id: string, cmd: readonly string[], opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecResult> => {
      calls.push({ id, cmd, timeoutMs: opts.timeoutMs });
      const r = answer(cmd, opts);
      if (r instanceof Error) throw r;
      return r;
    },
  };
}

describe('expandCommandOnlyStatic (kubelet ExpandContainerCommandOnlyStatic)', () => {
  const env = [
    { name: 'FILE', value: '/tmp/healthy' },
    { name: 'FROM_FIELD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'TWICE', value: 'first' },
    { name: 'TWICE', value: 'second' },
  ];
  it.each([
    [['cat', '$(FILE)'], ['cat', '/tmp/healthy']],
    [['echo', '$(FROM_FIELD)'], ['echo', '']],
    [['echo', '$(TWICE)'], ['echo', 'second']],
    [['echo', '$(UNKNOWN)'], ['echo', '$(UNKNOWN)']],
    [['echo', '$$(FILE)'], ['echo', '$(FILE)']],
    [['sh', '-c', 'test -f $(FILE) && echo ok'], ['sh', '-c', 'test -f /tmp/healthy && echo ok']],
  ])('%j → %j', (command, expected) => {
    expect(expandCommandOnlyStatic(command, env)).toEqual(expected);
  });
});

describe('runExecProbe', () => {
  it('exit 0 is success with the combined output', async () => {
    const port = execPort(() => ({ exitCode: 0, stdout: 'out\n', stderr: 'err\n' }));
    expect(await runExecProbe(port, 'c1', ['true'], 1000)).toEqual({ result: 'success', output: 'out\nerr\n' });
    expect(port.calls).toEqual([{ id: 'c1', cmd: ['true'], timeoutMs: 1000 }]);
  });

  it('a non-zero exit is a failure whose output the event shows', async () => {
    const port = execPort(() => ({ exitCode: 1, stdout: '', stderr: 'cat: /tmp/healthy: No such file or directory\n' }));
    expect(await runExecProbe(port, 'c1', ['cat', '/tmp/healthy'], 1000)).toEqual({ result: 'failure', output: 'cat: /tmp/healthy: No such file or directory\n' });
  });

  it('a timeout is a failure worded as cri-dockerd does', async () => {
    const port = execPort(() => new ExecTimeoutError('timed out', 1000));
    expect(await runExecProbe(port, 'c1', ['sleep', '5'], 1000)).toEqual({ result: 'failure', output: 'command "sleep 5" timed out' });
  });

  it('a runtime error is an error (not counted, retried)', async () => {
    const port = execPort(() => new RuntimeError('container abc is not running', { retryable: false }));
    expect(await runExecProbe(port, 'c1', ['true'], 1000)).toEqual({ result: 'unknown', output: '', error: 'container abc is not running' });
  });

  it('keeps 10 KiB of output', async () => {
    const port = execPort(() => ({ exitCode: 1, stdout: 'x'.repeat(50_000), stderr: '' }));
    const outcome = await runExecProbe(port, 'c1', ['yes'], 1000);
    expect(outcome.output).toHaveLength(10 * 1024);
  });

  it('rethrows when the worker stops it', async () => {
    const abort = new AbortController();
    abort.abort(new Error('stopped'));
    const port = execPort(() => new Error('aborted'));
    await expect(runExecProbe(port, 'c1', ['true'], 1000, abort.signal)).rejects.toThrow('aborted');
  });
});
