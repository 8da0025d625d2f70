// reporterFixture (test/fake-apiserver/harness.ts) behind ApiProxy, so the reporter talks to
// an API server that accepts `$setElementOrder` and serves the node's pod watch. `proxy.pause()`
// is the outage (it pauses the fake too).
import { FakeApiServer } from '../fake-apiserver/fake-apiserver.js';
import { reporterFixture, type FixtureOptions, type ReporterFixture } from '../fake-apiserver/harness.js';
import { ApiProxy } from './api-proxy.js';

export interface ProxiedFixture extends ReporterFixture {
  readonly proxy: ApiProxy;
}

export async function proxiedReporterFixture(opts: Omit<FixtureOptions, 'fake'> = {}): Promise<ProxiedFixture> {
  // The fake's timestamps follow the fixture's clock once it exists.
  const clock: { now?: () => number } = {};
  const fake = await FakeApiServer.start({ now: () => (clock.now ? clock.now() : Date.now()) });
  const proxy = await ApiProxy.start(fake);
  const nodeName = opts.nodeName ?? 'node-a';
  const { path } = await proxy.writeKubeconfig({ nodeName, ...(opts.kubeconfig ?? {}) });
  const fx = await reporterFixture({ ...opts, fake, deps: { kubeconfigPath: path, ...(opts.deps ?? {}) } });
  clock.now = () => fx.clock.now();
  const stop = fx.stop;
  return Object.assign(fx, {
    proxy,
    stop: async () => {
      await stop();
      await proxy.close();
    },
  });
}
