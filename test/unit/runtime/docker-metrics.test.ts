// Every Docker API request the runtime makes is timed and, when it fails, counted in the
// agent's metrics (nodelet_docker_api_*), through the observer main.ts passes: the real
// prom-client registry, a stand-in for dockerode (no engine needed for the wiring).
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { createMetrics, observeDockerCall } from '../../../agent/api/metrics.js';
import { DockerRuntime } from '../../../agent/runtime/docker/docker-runtime.js';

const NODE = 'unit-docker-metrics';

/** The few dockerode calls the test makes: ping and list succeed, stop fails with a 500. */
function fakeDocker(): Docker {
  const engineError = Object.assign(new Error('(HTTP code 500) server error - boom'), { statusCode: 500, json: { message: 'boom' } });
  return {
    ping: () => Promise.resolve('OK'),
    version: () => Promise.resolve({ Version: '28.0.0', ApiVersion: '1.48' }),
    listContainers: () => Promise.resolve([]),
    getContainer: () => ({ stop: () => Promise.reject(engineError) }),
  } as unknown as Docker;
}

function sample(text: string, name: string, operation: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`operation="${operation}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('DockerRuntime metrics', () => {
  it('times every request by operation and counts the failed ones', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const runtime = new DockerRuntime({ docker: fakeDocker(), nodeName: NODE, observe: (op, call) => observeDockerCall(metrics, op, call) });

    await runtime.ping();
    await runtime.version();
    await runtime.listPods();
    await runtime.listPods();
    await expect(runtime.stopContainer('abc', 1)).rejects.toThrow('boom');

    const text = await metrics.registry.metrics();
    expect(sample(text, 'nodelet_docker_api_duration_seconds_count', 'ping')).toBe(1);
    expect(sample(text, 'nodelet_docker_api_duration_seconds_count', 'version')).toBe(1);
    expect(sample(text, 'nodelet_docker_api_duration_seconds_count', 'containerList')).toBe(2);
    expect(sample(text, 'nodelet_docker_api_duration_seconds_count', 'containerStop')).toBe(1);
    expect(sample(text, 'nodelet_docker_api_errors_total', 'containerStop')).toBe(1);
    expect(sample(text, 'nodelet_docker_api_errors_total', 'containerList')).toBeUndefined();
    // The metrics and the runtime's own counters (the idle-cost benchmark) agree.
    expect(runtime.stats().total).toBe(5);
  });
});
