// The kubelet's log settings lowered to Docker create options, the way a cri-dockerd node must
// apply them: the kubelet cannot rotate a Docker container's log (ReopenContainerLog fails on
// Docker), so containerLogMaxSize/containerLogMaxFiles become the json-file driver's max-size
// and max-file, per container. The json-file driver is the only one cri-dockerd supports
// (criSupportedLogDrivers) and the one whose file the /var/log/pods link can point at.
// The kubelet's log path goes into the io.kubernetes.container.logpath label. Pure.
import type Docker from 'dockerode';
import { LOG_PATH_LABEL } from '../../podlogs/log-paths.js';

export interface ContainerLogSettings {
  /** containerLogMaxSize in bytes; negative: no size limit (the kubelet's no-op manager). */
  readonly maxSizeBytes: number;
  /** containerLogMaxFiles: the current file plus rotated ones (> 1). */
  readonly maxFiles: number;
}

/** HostConfig.LogConfig for the settings. */
export function dockerLogConfig(settings: ContainerLogSettings): Docker.HostConfig['LogConfig'] {
  if (settings.maxSizeBytes < 0) return { Type: 'json-file', Config: {} };
  return { Type: 'json-file', Config: { 'max-size': String(Math.floor(settings.maxSizeBytes)), 'max-file': String(settings.maxFiles) } };
}

/** The create options with the log driver settings and, for a container with a log path, its label. */
export function withContainerLog(options: Docker.ContainerCreateOptions, settings: ContainerLogSettings, logPath: string | undefined): Docker.ContainerCreateOptions {
  return {
    ...options,
    Labels: { ...(options.Labels ?? {}), ...(logPath !== undefined ? { [LOG_PATH_LABEL]: logPath } : {}) },
    HostConfig: { ...(options.HostConfig ?? {}), LogConfig: dockerLogConfig(settings) },
  };
}
