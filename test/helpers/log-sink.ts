// A pino logger whose JSON lines land in an array, for tests that check what was logged.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../agent/log/logger.js';

export function sinkLogger(level: 'debug' | 'info' = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  // pino writes synchronously to a plain Writable.
  return { logger: createLogger({ level, stream }), lines };
}
