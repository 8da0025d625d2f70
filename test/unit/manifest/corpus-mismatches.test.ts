// Issue 18, the corpus mismatches (test/fixtures/corpus/known-mismatches.json): each fix with the
// message kube-apiserver v1.37.2 gave for the corpus document (test/fixtures/corpus/verdicts.json).
import { describe, expect, it } from 'vitest';
import { parseManifestFile } from '../../../agent/manifest/parse-file.js';

const parse = (text: string): ReturnType<typeof parseManifestFile> => parseManifestFile(text, 'p.yaml', { nodeName: 'node-a' });
const messages = (ds: readonly { message: string }[]): string[] => ds.map((d) => d.message);
const pod = (spec: string, meta = ''): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n${meta}spec:\n${spec}`;

describe('emptyDir.medium the kubelet does not know (kyverno disallow-host-path pod-bad)', () => {
  const text = pod('  containers: [{name: c, image: busybox:1.37}]\n  volumes:\n  - name: empty\n    emptyDir: {medium: memory, sizeLimit: 20Mi}\n');

  it('accepts the manifest, as the API server does, with a warning saying what the kubelet does', () => {
    const result = parse(text);
    expect(result.errors).toEqual([]);
    expect(messages(result.warnings)).toContain(
      'spec.volumes[0].emptyDir.medium: unknown storage medium "memory": the kubelet admits the pod but cannot set up the volume (FailedMount), so its containers never start',
    );
  });

  it('still takes the media the kubelet knows without a warning', () => {
    for (const medium of ['Memory', 'HugePages', 'HugePages-2Mi', '""']) {
      const result = parse(pod(`  containers: [{name: c, image: busybox:1.37}]\n  volumes:\n  - name: e\n    emptyDir: {medium: ${medium}}\n`));
      expect(result.errors, medium).toEqual([]);
      expect(messages(result.warnings).filter((m) => m.includes('medium')), medium).toEqual([]);
    }
  });
});

describe('procMount: Unmasked with hostUsers: false (kyverno disallow-proc-mount-strict badpod06)', () => {
  it('accepts it: the pod has its own user namespace', () => {
    const result = parse(pod('  hostUsers: false\n  containers:\n  - name: c\n    image: busybox:1.37\n    securityContext: {procMount: Unmasked}\n'));
    expect(result.errors).toEqual([]);
  });

  it('refuses it without hostUsers: false, with the API server message', () => {
    const result = parse(pod('  containers:\n  - name: c\n    image: busybox:1.37\n    securityContext: {procMount: Unmasked}\n'));
    expect(messages(result.errors)).toContain('spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`');
  });
});

describe('Windows hostProcess containers (validateWindowsHostProcessPod)', () => {
  const hp = (v: boolean): string => `    securityContext: {windowsOptions: {hostProcess: ${v}}}\n`;

  it('refuses a mix of hostProcess and other containers, and hostNetwork false (kyverno badpod01-new)', () => {
    const result = parse(
      pod(`  initContainers:\n  - name: i\n    image: busybox:1.37\n${hp(true)}  containers:\n  - name: a\n    image: busybox:1.37\n${hp(false)}  - name: b\n    image: busybox:1.37\n`),
    );
    expect(messages(result.errors)).toEqual([
      'spec: Invalid value: "": If pod contains any hostProcess containers then all containers must be HostProcess containers',
      'spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers',
    ]);
  });

  it('refuses a hostProcess pod without hostNetwork (gatekeeper psp-host-process)', () => {
    const result = parse(pod(`  containers:\n  - name: nginx\n    image: nginx\n${hp(true)}`));
    expect(messages(result.errors)).toEqual(['spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers']);
  });

  it('counts the pod-level hostProcess for containers that do not set it, and checks both agree', () => {
    const result = parse(
      pod(`  hostNetwork: true\n  securityContext: {windowsOptions: {hostProcess: true}}\n  containers:\n  - name: a\n    image: busybox:1.37\n  - name: b\n    image: busybox:1.37\n${hp(false)}`),
    );
    expect(messages(result.errors)).toEqual([
      'spec.containers[1].securityContext.windowsOptions.hostProcess: Invalid value: false: pod hostProcess value must be identical if both are specified, was true',
      'spec: Invalid value: "": If pod contains any hostProcess containers then all containers must be HostProcess containers',
    ]);
  });

  it('checks a DaemonSet template at its own path', () => {
    const text =
      'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n        image: busybox:1.37\n        securityContext: {windowsOptions: {hostProcess: true}}\n';
    expect(messages(parse(text).errors)).toContain(
      'spec.template.spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers',
    );
  });
});

describe('AppArmor and seccomp annotations (ValidateAppArmorPodAnnotations, ValidateSeccompPodAnnotations)', () => {
  const containers = '  containers: [{name: busybox01, image: busybox:1.37}]\n';

  it('refuses a profile name that is not runtime/default, unconfined or localhost/<name> (kyverno restrict-apparmor-profiles)', () => {
    const result = parse(pod(containers, '  annotations:\n    container.apparmor.security.beta.kubernetes.io/busybox01: bar/foo\n'));
    expect(messages(result.errors)).toEqual([
      'metadata.annotations[container.apparmor.security.beta.kubernetes.io/busybox01]: Invalid value: "bar/foo": invalid AppArmor profile name: "bar/foo"',
    ]);
  });

  it('accepts the valid profile names', () => {
    for (const v of ['runtime/default', 'unconfined', 'localhost/k8s-apparmor-example-deny-write', '""']) {
      const result = parse(pod(containers, `  annotations:\n    container.apparmor.security.beta.kubernetes.io/busybox01: ${v}\n`));
      expect(result.errors, v).toEqual([]);
    }
  });

  it('refuses an annotation for a container the pod does not have', () => {
    const result = parse(pod(containers, '  annotations:\n    container.apparmor.security.beta.kubernetes.io/other: runtime/default\n'));
    expect(messages(result.errors)).toEqual(['metadata.annotations[container.apparmor.security.beta.kubernetes.io/other]: Invalid value: "other": container not found']);
  });

  it('refuses an annotation that contradicts the appArmorProfile field', () => {
    const result = parse(
      pod(
        '  securityContext: {appArmorProfile: {type: RuntimeDefault}}\n  containers: [{name: busybox01, image: busybox:1.37}]\n',
        '  annotations:\n    container.apparmor.security.beta.kubernetes.io/busybox01: unconfined\n',
      ),
    );
    expect(messages(result.errors)).toContain('spec.containers[0].securityContext.appArmorProfile.type: Forbidden: apparmor type in annotation and field must match');
  });

  it('refuses an invalid seccomp annotation', () => {
    const result = parse(pod(containers, '  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: bogus\n'));
    expect(messages(result.errors)).toContain('metadata.annotations.seccomp.security.alpha.kubernetes.io/pod: Invalid value: "bogus": must be a valid seccomp profile');
  });
});

describe('pod-level resources (validatePodResources), website pod-level-pid-limit', () => {
  it('refuses pids, which is not a standard resource name', () => {
    const result = parse(pod('  resources:\n    limits: {pids: "2048"}\n  containers: [{name: c, image: busybox:1.37}]\n'));
    expect(messages(result.errors)).toContain('spec.resources.limits[pids]: Invalid value: "pids": must be a standard resource type or fully qualified');
  });

  it('refuses a resource other than cpu, memory and hugepages at pod level', () => {
    const result = parse(pod('  resources:\n    limits: {ephemeral-storage: 1Gi}\n  containers: [{name: c, image: busybox:1.37}]\n'));
    expect(messages(result.errors).join('\n')).toMatch(/^spec\.resources\.limits\[ephemeral-storage\]: Unsupported value: "ephemeral-storage": supported values: /m);
  });

  it('accepts cpu and memory', () => {
    const result = parse(pod('  resources:\n    requests: {cpu: 500m, memory: 100Mi}\n    limits: {cpu: "1", memory: 200Mi}\n  containers: [{name: c, image: busybox:1.37}]\n'));
    expect(result.errors).toEqual([]);
  });
});

describe('seccomp annotation and field agreement on create (validateSeccompAnnotationsAndFields)', () => {
  it('refuses a pod annotation that contradicts the pod field, and a container one that contradicts its field', () => {
    const result = parse(
      pod(
        '  securityContext: {seccompProfile: {type: RuntimeDefault}}\n  containers:\n  - name: c\n    image: busybox:1.37\n    securityContext: {seccompProfile: {type: Localhost, localhostProfile: a.json}}\n',
        '  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: unconfined\n    container.seccomp.security.alpha.kubernetes.io/c: localhost/b.json\n',
      ),
    );
    expect(messages(result.errors)).toEqual([
      'spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match',
      'spec.containers[0].securityContext.seccompProfile.localhostProfile: Forbidden: seccomp profile in annotation and field must match',
    ]);
  });

  it('accepts agreeing ones (docker/default is RuntimeDefault)', () => {
    const result = parse(
      pod('  securityContext: {seccompProfile: {type: RuntimeDefault}}\n  containers: [{name: c, image: busybox:1.37}]\n', '  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: docker/default\n'),
    );
    expect(result.errors).toEqual([]);
  });
});

describe('pod-level resources against the containers (validatePodResourceConsistency)', () => {
  it('refuses a container limit above the pod limit, at the path the API server names', () => {
    const result = parse(pod('  resources:\n    limits: {memory: 100Mi}\n  containers:\n  - name: c\n    image: busybox:1.37\n    resources: {limits: {memory: 200Mi}}\n'));
    expect(messages(result.errors)).toEqual(['spec.resources.containers[0][memory].limits: Invalid value: "200Mi": must be less than or equal to pod limits of 100Mi']);
  });
});

describe('Windows options on a Linux pod (validateLinux)', () => {
  it('refuses them', () => {
    const result = parse(pod('  os: {name: linux}\n  containers:\n  - name: c\n    image: busybox:1.37\n    securityContext: {windowsOptions: {runAsUserName: x}}\n'));
    expect(messages(result.errors)).toEqual(['spec.containers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod']);
  });
});
