// Pure: the image settings of the config file, named and defaulted as the kubelet's
// KubeletConfiguration names them (pkg/kubelet/apis/config/v1beta1/defaults.go, validation),
// resolved apart from config.ts so the image puller's and the image GC's options stay together.
import { durationReader } from './config-duration.js';

export interface ImageGcConfig {
  /** imageGCHighThresholdPercent: GC runs at or above this usage of the Docker data-root filesystem. */
  readonly highThresholdPercent: number;
  /** imageGCLowThresholdPercent: GC frees down to this usage. */
  readonly lowThresholdPercent: number;
  /** imageMinimumGCAge: images first seen more recently are kept. */
  readonly minimumAgeMs: number;
  /** How often GC runs (the kubelet's ImageGCPeriod, 5m; configurable here for tests). */
  readonly periodMs: number;
}

export interface ImageConfig {
  readonly serializeImagePulls: boolean;
  readonly maxParallelImagePulls?: number;
  readonly imageCredentialProviderConfig?: string;
  readonly imageCredentialProviderBinDir?: string;
  /** The image pull back-off (kubelet: 10 s doubling to 300 s; not configurable there). */
  readonly imagePullBackOff: { readonly initialMs: number; readonly maxMs: number };
  readonly gc: ImageGcConfig;
}

/** Reads the image keys of the (schema-checked) config file; problems are appended to `problems`. */
export function resolveImageConfig(file: Readonly<Record<string, unknown>>, problems: string[]): ImageConfig {
  const duration = durationReader(problems);
  const maxParallel = typeof file.maxParallelImagePulls === 'number' ? file.maxParallelImagePulls : undefined;
  if (maxParallel !== undefined && maxParallel < 1) problems.push('maxParallelImagePulls: must be greater than 0');
  // defaults.go: serializeImagePulls defaults to false when maxParallelImagePulls is above 1.
  const serialize = typeof file.serializeImagePulls === 'boolean' ? file.serializeImagePulls : !(maxParallel !== undefined && maxParallel > 1);
  if (serialize && maxParallel !== undefined && maxParallel > 1) {
    problems.push('maxParallelImagePulls: maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false');
  }
  const backoff = (file.imagePullBackOff ?? {}) as { initial?: string | number; max?: string | number };
  const initialMs = duration('imagePullBackOff.initial', backoff.initial, '10s');
  const maxMs = duration('imagePullBackOff.max', backoff.max, '300s');
  if (initialMs > maxMs) problems.push('imagePullBackOff: initial must not exceed max');
  const high = typeof file.imageGCHighThresholdPercent === 'number' ? file.imageGCHighThresholdPercent : 85;
  const low = typeof file.imageGCLowThresholdPercent === 'number' ? file.imageGCLowThresholdPercent : 80;
  if (high < 0 || high > 100) problems.push(`imageGCHighThresholdPercent: invalid HighThresholdPercent ${high}, must be in range [0-100]`);
  if (low < 0 || low > 100) problems.push(`imageGCLowThresholdPercent: invalid LowThresholdPercent ${low}, must be in range [0-100]`);
  if (low > high) problems.push(`imageGCLowThresholdPercent: LowThresholdPercent ${low} can not be higher than HighThresholdPercent ${high}`);
  const providerConfig = typeof file.imageCredentialProviderConfig === 'string' && file.imageCredentialProviderConfig !== '' ? file.imageCredentialProviderConfig : undefined;
  const providerBinDir = typeof file.imageCredentialProviderBinDir === 'string' && file.imageCredentialProviderBinDir !== '' ? file.imageCredentialProviderBinDir : undefined;
  if (providerConfig !== undefined && providerBinDir === undefined) problems.push('imageCredentialProviderBinDir: must be set when imageCredentialProviderConfig is');
  const periodMs = duration('imageGCPeriod', file.imageGCPeriod, '5m');
  if (periodMs < 1000) problems.push('imageGCPeriod: must be at least 1s');
  return {
    serializeImagePulls: serialize,
    ...(maxParallel !== undefined ? { maxParallelImagePulls: maxParallel } : {}),
    ...(providerConfig !== undefined ? { imageCredentialProviderConfig: providerConfig } : {}),
    ...(providerBinDir !== undefined ? { imageCredentialProviderBinDir: providerBinDir } : {}),
    imagePullBackOff: { initialMs, maxMs },
    gc: { highThresholdPercent: high, lowThresholdPercent: low, minimumAgeMs: duration('imageMinimumGCAge', file.imageMinimumGCAge, '2m'), periodMs },
  };
}

/** The config-file schema of these keys (merged into config-file.schema.json). */
export const IMAGE_CONFIG_KEYS = [
  'serializeImagePulls',
  'maxParallelImagePulls',
  'imageCredentialProviderConfig',
  'imageCredentialProviderBinDir',
  'imagePullBackOff',
  'imageGCHighThresholdPercent',
  'imageGCLowThresholdPercent',
  'imageMinimumGCAge',
  'imageGCPeriod',
] as const;
