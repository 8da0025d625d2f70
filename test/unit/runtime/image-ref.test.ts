// kubelet's applyDefaultImageTag over distribution/reference's grammar: default tag and the
// InvalidImageName messages.
import { describe, expect, it } from 'vitest';
import { applyDefaultImageTag } from '../../../agent/runtime/docker/image-ref.js';

const SHA = 'sha256:' + 'a'.repeat(64);

describe('applyDefaultImageTag: valid references', () => {
  const cases: Array<[string, string]> = [
    ['busybox', 'busybox:latest'],
    ['busybox:1.37', 'busybox:1.37'],
    ['library/busybox', 'library/busybox:latest'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['registry.k8s.io/etcd', 'registry.k8s.io/etcd:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/team/app:v1.2-rc.1', 'localhost:5000/team/app:v1.2-rc.1'],
    ['[::1]:5000/app:dev', '[::1]:5000/app:dev'],
    ['index.docker.io/library/nginx', 'index.docker.io/library/nginx:latest'],
    [`busybox@${SHA}`, `busybox@${SHA}`],
    [`busybox:1.37@${SHA}`, `busybox:1.37@${SHA}`],
    ['My.Registry.example/app:1', 'My.Registry.example/app:1'],
    ['a__b/c--d.e_f:TAG_1', 'a__b/c--d.e_f:TAG_1'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => {
      expect(applyDefaultImageTag(input)).toEqual({ ok: true, image: expected });
    });
  }
});

describe('applyDefaultImageTag: kubelet InvalidImageName messages', () => {
  const prefix = (img: string): string => `Failed to apply default image tag "${img}": couldn't parse image reference "${img}": `;
  const cases: Array<[string, string]> = [
    ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['team/App:1', 'invalid reference format: repository name (team/App) must be lowercase'],
    ['busybox:', 'invalid reference format'],
    ['bad image', 'invalid reference format'],
    ['-busybox', 'invalid reference format'],
    ['busybox:-tag', 'invalid reference format'],
    [`busybox:${'x'.repeat(129)}`, 'invalid reference format'],
    ['a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
    [`busybox@sha256:${'a'.repeat(40)}`, 'invalid checksum digest length'],
    [`busybox@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    [`busybox@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    [`registry.example/${'a'.repeat(250)}`, 'repository name must not be more than 255 characters'],
  ];
  for (const [input, why] of cases) {
    it(`${input.slice(0, 40)} → ${why.slice(0, 60)}`, () => {
      expect(applyDefaultImageTag(input)).toEqual({ ok: false, message: prefix(input) + why });
    });
  }

  it('an empty image is an invalid reference', () => {
    expect(applyDefaultImageTag('')).toEqual({ ok: false, message: prefix('') + 'invalid reference format' });
  });
});
