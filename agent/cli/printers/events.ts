// `kubectl get events`: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, oldest first (printEvent and
// printEventList in k/k pkg/printers/internalversion/printers.go).
import type { NodeletEvent } from '../../events/event-store.js';
import { ageSince } from './duration.js';
import { printTable } from './table.js';

export interface PrintEventsOptions {
  readonly now: number;
  readonly showNamespace?: boolean;
  readonly noHeaders?: boolean;
}

const HEADERS = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];

/** The table ('' when there are no events; kubectl then says "No resources found"). */
export function printEvents(events: readonly NodeletEvent[], opts: PrintEventsOptions): string {
  if (events.length === 0) return '';
  const sorted = [...events].sort((a, b) => a.lastTimestamp - b.lastTimestamp);
  const rows = sorted.map((e) => {
    const lastSeen = e.lastTimestamp > 0 ? ageSince(e.lastTimestamp, opts.now) : ageSince(e.firstTimestamp, opts.now);
    const cells = [lastSeen, e.type, e.reason, eventObject(e), e.message.trim()];
    return opts.showNamespace ? [e.involvedObject.namespace, ...cells] : cells;
  });
  const headers = opts.showNamespace ? ['NAMESPACE', ...HEADERS] : HEADERS;
  return printTable(opts.noHeaders ? [] : headers, rows);
}

/** `kind/name` in lower case, as the OBJECT column shows the involved object. */
export function eventObject(e: NodeletEvent): string {
  const kind = e.involvedObject.kind.toLowerCase();
  return e.involvedObject.name ? `${kind}/${e.involvedObject.name}` : kind;
}
