// TCP probe (pkg/probe/tcp DoTCPProbe): success when a connection opens within the timeout;
// the connection is closed at once. Failures read as Go's dial errors.
import { connect } from 'node:net';
import { dialErrorMessage, joinHostPort, type ProbeOutcome } from '../target.js';

/** Rejects only when `signal` aborts (the worker stopped). */
export function runTcpProbe(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<ProbeOutcome> {
  const hostPort = joinHostPort(host, port);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const socket = connect({ host, port });
    let settled = false;
    const finish = (outcome: ProbeOutcome | { abort: unknown }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if ('abort' in outcome) reject(outcome.abort);
      else resolve(outcome);
    };
    const onAbort = (): void => finish({ abort: signal?.reason });
    const timer = setTimeout(() => finish({ result: 'failure', output: `dial tcp ${hostPort}: i/o timeout` }), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err) => finish({ result: 'failure', output: dialErrorMessage(err, hostPort) }));
  });
}
