// A gRPC readiness probe through the whole agent, against grpc-node's own health service
// (grpc-health-check on an @grpc/grpc-js server) that the test runs on the node's address: a
// host-network pod's probe goes to the node's first IP, as the kubelet's does. NOT_SERVING keeps
// the container unready with the kubelet's message; SERVING makes it ready.
import { afterEach, describe, expect, it } from 'vitest';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { ApiClient } from '../../agent/api/client.js';
import { hostAddresses } from '../../agent/main.js';
import { waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { busyboxSh, hostNetworkPod, useTestAgents } from '../helpers/pod-fixtures.js';

const agent = useTestAgents();
let server: Server | undefined;
afterEach(() => {
  server?.forceShutdown();
  server = undefined;
});

function ready(a: TestAgent): boolean | undefined {
  const pod = a.running.agent.pods().find((p) => p.metadata?.name === `grpc-${a.config.nodeName}`);
  return pod?.status?.containerStatuses?.find((c) => c.name === 'app')?.ready;
}

describe('gRPC probes (grpc-js)', () => {
  it('a readiness probe follows the health service: NOT_SERVING unready with the kubelet message, SERVING ready', async () => {
    const host = hostAddresses()[0] ?? '127.0.0.1';
    server = new Server();
    const health = new HealthImplementation({ app: 'NOT_SERVING' });
    health.addToServer(server);
    const s = server;
    const port = await new Promise<number>((resolve, reject) => s.bindAsync(`${host.includes(':') ? `[${host}]` : host}:0`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));

    const a = await agent();
    await a.write('grpc.yaml', hostNetworkPod('grpc', 1, busyboxSh('app', 'sleep 3600', `    readinessProbe:\n      grpc: { port: ${port}, service: app }\n      periodSeconds: 1`)));
    const client = new ApiClient(a.config.apiSocket);
    const unhealthy = await waitUntil(async () => (await client.listEvents()).find((e) => e.reason === 'Unhealthy' && e.involvedObject.name === `grpc-${a.config.nodeName}`), 'an Unhealthy event');
    expect(unhealthy.message).toBe('Readiness probe failed: service unhealthy (responded with "NOT_SERVING")');
    expect(ready(a)).toBe(false);

    health.setStatus('app', 'SERVING');
    await waitUntil(async () => ready(a) === true || undefined, 'ready', 15_000);
  });
});
