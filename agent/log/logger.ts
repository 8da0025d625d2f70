// The root pino logger: JSON lines on stdout (journald ships them), secrets redacted.
// Components get `logger.child({ component })`, pods `child({ pod: 'ns/name', uid })`.
import { pino, destination, stdTimeFunctions, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Paths never logged in clear. Env values, probe and hook headers and anything that looks
 * like a credential are replaced, wherever a Pod object or a Docker create request appears
 * in a log line.
 */
export const REDACT_PATHS: readonly string[] = [
  '*.env[*].value',
  '*.*.env[*].value',
  '*.*.*.env[*].value',
  'pod.spec.containers[*].env[*].value',
  'pod.spec.initContainers[*].env[*].value',
  '*.httpHeaders[*].value',
  '*.*.httpHeaders[*].value',
  'spec.env',
  'Env',
  '*.Env',
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
];

export function createLogger(opts: { level: LevelWithSilent; stream?: DestinationStream; base?: Record<string, unknown> }): Logger {
  return pino(
    {
      level: opts.level,
      base: { ...(opts.base ?? {}) },
      redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.stream ?? destination({ dest: 1, sync: false }),
  );
}
