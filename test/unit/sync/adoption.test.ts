import { describe, expect, it } from 'vitest';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ObservedContainer, ObservedPod } from '../../../agent/core/runtime-types.js';
import type { DesiredPod } from '../../../agent/core/types.js';
import { adoptsLegacyPod, withRuntimeUid } from '../../../agent/sync/adoption.js';

const hash = (c: Container): string => `h:${c.image ?? ''}`;
const desired: DesiredPod = {
  uid: 'new-hash',
  namespace: 'default',
  name: 'web-n1',
  pod: { metadata: { uid: 'new-hash', annotations: { 'kubernetes.io/config.hash': 'new-hash' } }, spec: { containers: [{ name: 'app', image: 'busybox:1.37' }] } },
  origin: { kind: 'Pod', file: '/m/web.yaml' },
};

function container(name: string, role: ObservedContainer['role'], specHash: string): ObservedContainer {
  return { id: name, name, role, podUid: 'old', podName: 'web-n1', podNamespace: 'default', sandboxId: '', state: 'running', specHash, restartCount: 0, image: 'busybox:1.37' } as unknown as ObservedContainer;
}
function observed(uid: string, specHash = 'h:busybox:1.37', name = 'web-n1'): ObservedPod {
  return { uid, name, namespace: 'default', sandboxes: [], containers: [container('POD', 'sandbox', ''), container('app', 'app', specHash)] };
}

describe('adoptsLegacyPod', () => {
  it('adopts the pod running under the legacy UID when its containers match the manifest', () => {
    expect(adoptsLegacyPod(desired, 'old', [observed('old')], hash)).toBe(true);
  });
  it('does not when a container was edited meanwhile (a new pod, as the kubelet would)', () => {
    expect(adoptsLegacyPod(desired, 'old', [observed('old', 'h:busybox:1.36')], hash)).toBe(false);
  });
  it('does not when the pod already runs under the new UID, or another pod has the old UID', () => {
    expect(adoptsLegacyPod(desired, 'old', [observed('old'), observed('new-hash')], hash)).toBe(false);
    expect(adoptsLegacyPod(desired, 'old', [observed('old', 'h:busybox:1.37', 'other-n1')], hash)).toBe(false);
  });
  it('does not for DaemonSet pods or an unchanged UID', () => {
    expect(adoptsLegacyPod({ ...desired, origin: { kind: 'DaemonSet', file: 'f', owner: 'o', revision: 1, templateHash: 't' } }, 'old', [observed('old')], hash)).toBe(false);
    expect(adoptsLegacyPod(desired, 'new-hash', [observed('new-hash')], hash)).toBe(false);
  });
  it('withRuntimeUid keeps the config hash', () => {
    const a = withRuntimeUid(desired, 'old');
    expect(a.uid).toBe('old');
    expect(a.pod.metadata?.uid).toBe('old');
    expect(a.pod.metadata?.annotations?.['kubernetes.io/config.hash']).toBe('new-hash');
  });
});
