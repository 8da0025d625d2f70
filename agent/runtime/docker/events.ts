// Docker's /events stream for nodelet's containers on this node, as RuntimeEvents. The engine
// may restart under us: the stream then reconnects forever with capped exponential backoff and
// brackets the gap with 'disconnected' / 'reconnected', because events lost in the gap are
// only recovered by the caller's relist.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LABELS } from '../../core/labels.js';
import { errorMessage } from '../../core/errors.js';
import { backoffDelay } from '../../core/backoff.js';
import type { ContainerEventAction, RuntimeEvent } from '../pod-runtime.js';
import { jsonLines } from './json-lines.js';

const ACTIONS: readonly ContainerEventAction[] = ['create', 'start', 'die', 'oom', 'destroy'];

export interface EventStreamOptions {
  readonly docker: Docker;
  readonly nodeName: string;
  readonly signal: AbortSignal;
  /** Wraps each /events request (the runtime's API-call counter and metrics). */
  readonly request?: <T>(open: () => Promise<T>) => Promise<T>;
  readonly logger?: { debug(obj: object, msg?: string): void };
  /** Reconnect delays: first, and the cap (defaults 1 s and 30 s). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** A stream that stayed up this long resets the backoff (default 10 s). */
  readonly healthyAfterMs?: number;
}

/** Docker's /events filter for this node's managed containers and the actions nodelet reacts to. */
export function eventFilters(nodeName: string): Record<string, string[]> {
  return {
    type: ['container'],
    event: [...ACTIONS],
    label: [`${LABELS.managed}=true`, `${LABELS.node}=${nodeName}`],
  };
}

/**
 * One /events message → a RuntimeEvent, or undefined when it is not a container lifecycle
 * event of a nodelet container on `nodeName` (the engine filter should already ensure that;
 * checking again keeps a shared engine's other agents out if the filter is ever widened).
 */
export function fromDockerEvent(raw: unknown, nodeName: string): RuntimeEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const msg = raw as { Type?: unknown; Action?: unknown; Actor?: { ID?: unknown; Attributes?: unknown }; time?: unknown; timeNano?: unknown };
  if (msg.Type !== 'container') return undefined;
  const action = ACTIONS.find((a) => a === msg.Action);
  if (!action) return undefined;
  const attrs = (typeof msg.Actor?.Attributes === 'object' && msg.Actor.Attributes !== null ? msg.Actor.Attributes : {}) as Record<string, unknown>;
  if (attrs[LABELS.managed] !== 'true' || attrs[LABELS.node] !== nodeName) return undefined;
  const podUid = attrs[LABELS.podUid];
  const containerId = msg.Actor?.ID;
  if (typeof podUid !== 'string' || !podUid || typeof containerId !== 'string') return undefined;
  const at =
    typeof msg.timeNano === 'number' ? Math.floor(msg.timeNano / 1e6) : typeof msg.time === 'number' ? msg.time * 1000 : 0;
  return { type: 'container', action, podUid, containerId, at };
}

/** The event stream; see PodRuntime.events. Never throws: engine trouble becomes 'disconnected'. */
export async function* dockerEvents(opts: EventStreamOptions): AsyncGenerator<RuntimeEvent, void, undefined> {
  const { docker, nodeName, signal, logger } = opts;
  const policy = opts.backoff ?? { initialMs: 1000, maxMs: 30_000 };
  const healthyAfterMs = opts.healthyAfterMs ?? 10_000;
  /** Reconnects in a row without a healthy stream; the next wait is backoffDelay(failures + 1). */
  let failures = 0;
  let down = false;
  let firstAttempt = true;

  while (!signal.aborted) {
    if (!firstAttempt) {
      try {
        await sleep(backoffDelay(policy, ++failures), undefined, { signal });
      } catch {
        return; // aborted while waiting
      }
    }
    firstAttempt = false;

    let stream: Readable;
    try {
      const open = (): Promise<NodeJS.ReadableStream> => docker.getEvents({ filters: eventFilters(nodeName), abortSignal: signal });
      stream = (await (opts.request ? opts.request(open) : open())) as unknown as Readable;
    } catch (e) {
      if (signal.aborted) return;
      logger?.debug({ err: errorMessage(e), retryInMs: backoffDelay(policy, failures + 1) }, 'docker events: connect failed');
      if (!down) {
        down = true;
        yield { type: 'disconnected', error: errorMessage(e) };
      }
      continue;
    }

    if (down) {
      down = false;
      logger?.debug({}, 'docker events: reconnected');
      yield { type: 'reconnected' };
    }
    const connectedAt = performance.now(); // monotonic: a clock step must not fake a healthy stream
    let endError = 'docker event stream ended';
    const onAbort = (): void => {
      stream.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // A malformed line comes as { status } and is no event; the periodic relist covers it.
      for await (const message of jsonLines(stream)) {
        const event = fromDockerEvent(message, nodeName);
        if (event) yield event;
      }
    } catch (e) {
      endError = `docker event stream failed: ${errorMessage(e)}`;
    } finally {
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
    }
    if (signal.aborted) return;
    // A stream that dies right after connecting must not turn into a tight reconnect loop.
    if (performance.now() - connectedAt >= healthyAfterMs) failures = 0;
    logger?.debug({ err: endError, retryInMs: backoffDelay(policy, failures + 1) }, 'docker events: disconnected');
    down = true;
    yield { type: 'disconnected', error: endError };
  }
}
