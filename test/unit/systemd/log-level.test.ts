import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../../agent/log/logger.js';
import { controlLogLevel } from '../../../agent/systemd/log-level.js';

function sinkLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  // pino writes synchronously to a plain Writable.
  return { logger: createLogger({ level: 'info', stream }), lines };
}

describe('controlLogLevel', () => {
  it('changes the level of the root and of every child made before, at any depth', () => {
    const { logger, lines } = sinkLogger();
    const setLevel = controlLogLevel(logger);
    const component = logger.child({ component: 'manifests' });
    const pod = component.child({ pod: 'default/web' });
    component.debug('before');
    setLevel('debug');
    component.debug('component');
    pod.debug('pod');
    logger.debug('root');
    expect(lines.map((l) => l.msg)).toEqual(['component', 'pod', 'root']);
  });

  it('children made after the change start at the new level', () => {
    const { logger, lines } = sinkLogger();
    const setLevel = controlLogLevel(logger);
    const component = logger.child({ component: 'agent' });
    setLevel('warn');
    component.child({ pod: 'p' }).info('hidden');
    logger.child({ component: 'late' }).info('hidden too');
    component.warn('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });
});
