// Docker's streamed endpoints (image pull progress, /events) write one JSON object per line;
// chunks may split or join lines.
import type { Readable } from 'node:stream';

/** The stream's JSON lines; a line that is not JSON comes as `{ status: line }`. */
export async function* jsonLines(stream: Readable): AsyncGenerator<unknown, void, undefined> {
  let pending = '';
  const flush = function* (final: boolean): Generator<unknown, void, undefined> {
    let newline = pending.indexOf('\n');
    while (newline !== -1 || (final && pending.trim() !== '')) {
      const end = newline === -1 ? pending.length : newline;
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (line) {
        try {
          yield JSON.parse(line) as unknown;
        } catch {
          yield { status: line };
        }
      }
      newline = pending.indexOf('\n');
    }
  };
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    yield* flush(false);
  }
  yield* flush(true);
}
