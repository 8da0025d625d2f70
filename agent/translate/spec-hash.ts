// The container hash stored in the `annotation.io.kubernetes.container.hash` label. A running
// container whose stored hash differs from its desired container's hash is replaced
// ("definition changed"). Pod-level changes are covered by the pod UID, which hashes the
// pod-level spec (see manifest/identity.ts), so the container object alone is enough here.
import type { Container } from 'kubernetes-types/core/v1.js';
import { hashObject } from '../core/hash.js';

export function containerSpecHash(container: Container): string {
  return hashObject(container, 16);
}
