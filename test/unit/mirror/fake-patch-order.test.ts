// The fake API server's `$setElementOrder/<list>`, which the kubelet's two-way status diffs carry.
import { describe, expect, it } from 'vitest';
import { applyStrategicMergePatch, PatchError } from '../../fake-apiserver/patch.js';

describe('fake strategic merge: $setElementOrder', () => {
  it('merges by key, then orders the listed elements as given', () => {
    const target = { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Initialized', status: 'True' }] } };
    const patch = { status: { '$setElementOrder/conditions': [{ type: 'Initialized' }, { type: 'Ready' }], conditions: [{ type: 'Ready', status: 'True' }] } };
    expect(applyStrategicMergePatch(target, patch)).toEqual({ status: { conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }] } });
  });

  it('refuses it on a list that is not merged by key', () => {
    expect(() => applyStrategicMergePatch({ spec: { containers: [] } }, { spec: { '$setElementOrder/tolerations': [{ key: 'a' }] } })).toThrow(PatchError);
  });
});
