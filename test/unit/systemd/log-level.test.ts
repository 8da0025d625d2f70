import { describe, expect, it } from 'vitest';
import { controlLogLevel } from '../../../agent/systemd/log-level.js';
import { sinkLogger } from '../../helpers/log-sink.js';

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
