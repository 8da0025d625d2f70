import { describe, it, expect } from 'vitest';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { podQosClass, type QosClass } from '../../../agent/status/qos.js';

type Res = { requests?: Record<string, string>; limits?: Record<string, string> };
const c = (name: string, resources?: Res): Container => ({ name, image: 'busybox:1.36', ...(resources ? { resources } : {}) });
const both = (cpu: string, memory: string): Res => ({ requests: { cpu, memory }, limits: { cpu, memory } });

describe('podQosClass (kubelet GetPodQOS)', () => {
  const cases: [string, PodSpec, QosClass][] = [
    ['no resources anywhere', { containers: [c('a'), c('b')] }, 'BestEffort'],
    ['only zero quantities', { containers: [c('a', { requests: { cpu: '0', memory: '0' } })] }, 'BestEffort'],
    ['only resources kubelet does not rank', { containers: [c('a', { limits: { 'ephemeral-storage': '1Gi' }, requests: { 'ephemeral-storage': '1Gi' } })] }, 'BestEffort'],
    ['requests only', { containers: [c('a', { requests: { cpu: '100m' } })] }, 'Burstable'],
    ['requests below limits', { containers: [c('a', { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '64Mi' } })] }, 'Burstable'],
    ['cpu and memory limited and requested equally', { containers: [c('a', both('500m', '128Mi'))] }, 'Guaranteed'],
    ['equal values spelled differently', { containers: [c('a', { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1024Mi' } })] }, 'Guaranteed'],
    ['limits without requests (not defaulted)', { containers: [c('a', { limits: { cpu: '1', memory: '1Gi' } })] }, 'Burstable'],
    ['one container without limits', { containers: [c('a', both('1', '1Gi')), c('b')] }, 'Burstable'],
    ['memory limit missing', { containers: [c('a', { requests: { cpu: '1' }, limits: { cpu: '1' } })] }, 'Burstable'],
    ['init container without limits', { containers: [c('a', both('1', '1Gi'))], initContainers: [c('init')] }, 'Burstable'],
    ['init container guaranteed too', { containers: [c('a', both('1', '1Gi'))], initContainers: [c('init', both('2', '2Gi'))] }, 'Guaranteed'],
    ['init container with requests only', { containers: [c('a')], initContainers: [c('init', { requests: { memory: '10Mi' } })] }, 'Burstable'],
  ];
  it.each(cases)('%s → %s', (_, spec, want) => {
    expect(podQosClass(spec)).toBe(want);
  });

  it('treats a missing spec as BestEffort', () => {
    expect(podQosClass(undefined)).toBe('BestEffort');
  });
});
