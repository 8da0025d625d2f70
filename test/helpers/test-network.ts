// A Docker bridge network of a test's own for pods (podNetwork: <name>), with a /24 inside
// 198.18.0.0/15 (the benchmarking range, RFC 2544): traffic stays between the host and the
// test's containers. Each network gets a free /24 (another test's may hold one) and is removed
// by the test that made it.
import { randomInt } from 'node:crypto';
import type Docker from 'dockerode';

export interface TestNetwork {
  readonly name: string;
  readonly subnet: string;
  /** The bridge's address on the host: where the host's traffic to pods comes from. */
  readonly gateway: string;
  remove(): Promise<void>;
}

/** Creates `nlt-<tag>-<pid>` on a free 198.18.0.0/15 /24; Docker refuses an overlapping pool, so another is tried. */
export async function createTestNetwork(docker: Docker, tag: string): Promise<TestNetwork> {
  const name = `nlt-${tag}-${process.pid}`;
  for (let attempt = 0; ; attempt++) {
    const block = randomInt(0, 512);
    const prefix = `198.${18 + (block >> 8)}.${block & 255}`;
    const subnet = `${prefix}.0/24`;
    const gateway = `${prefix}.1`;
    try {
      const network = await docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: gateway }] },
        Labels: { 'io.nodelet.test': tag },
      });
      return { name, subnet, gateway, remove: () => network.remove().then(() => undefined) };
    } catch (err) {
      if (attempt < 20 && /overlap/i.test(String(err))) continue;
      throw err;
    }
  }
}

/** True when `ip` is in the /24 `subnet` (a.b.c.0/24). */
export function inSubnet24(ip: string, subnet: string): boolean {
  return ip.split('.').slice(0, 3).join('.') === subnet.split('.').slice(0, 3).join('.');
}
