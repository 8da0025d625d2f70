// The root pino logger: JSON lines on stdout (journald ships them), secrets redacted.
// Components get `logger.child({ component })`, pods `child({ pod: 'ns/name', uid })`.
import { pino, destination, stdSerializers, stdTimeFunctions, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

export type { Logger };

export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are never logged, at any depth, whatever their type: credentials in
 * kubeconfigs, registry auth, HTTP request headers.
 */
export const SENSITIVE_KEY = /password|passwd|secret|token|authorization|cookie|api[-_]?key|private[-_]?key|client-key|credential|^auth$|authconfig|registry-auth/i;

/**
 * pino formats a child's bindings without the log formatter, so credentials given as bindings
 * are caught by name at the top level only (bindings are `component`, `pod`, `uid` in practice).
 */
export const BINDING_REDACT_PATHS: readonly string[] = ['password', 'passwd', 'token', 'secret', 'authorization', 'cookie', 'apiKey', 'api_key', 'credentials', 'credential'];

/** Deeper than any Pod or Docker request we log; a deeper value is not walked, it is dropped. */
const MAX_DEPTH = 32;

/**
 * A copy of `value` with every secret replaced, wherever it sits, since pod objects, container
 * specs and Docker create requests show up in log lines at every depth (pino's path-based
 * redaction only reaches the depths it was told about):
 * - `env: [{ name, value }]` (Pod containers) and `env`/`Env: ['NAME=value']` (runtime specs,
 *   Docker): the value, not the name;
 * - `httpHeaders: [{ name, value }]` (probes, lifecycle hooks) and any `headers` object or
 *   list: every header value;
 * - keys matching SENSITIVE_KEY.
 * Only plain objects and arrays are walked (errors go through the err serializer below; Maps,
 * Dates and Buffers print no secrets of ours). Unchanged subtrees are shared, not copied.
 */
export function redactSecrets(value: unknown): unknown {
  return redactIn(value, undefined, 0, new Set());
}

function redactIn(value: unknown, key: string | undefined, depth: number, path: Set<object>): unknown {
  if (value === null || value === undefined) return value;
  if (key !== undefined && SENSITIVE_KEY.test(key)) return REDACTED;
  if (typeof value !== 'object') return value;
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  if (path.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[too deep to log]';
  if (key === 'env' || key === 'Env') return mapArray(value, redactEnvEntry) ?? walk(value, depth, path);
  if (key === 'httpHeaders' || key === 'headers') return redactHeaders(value);
  return walk(value, depth, path);
}

function walk(value: object, depth: number, path: Set<object>): unknown {
  path.add(value);
  try {
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      value.forEach((item: unknown, i) => {
        const next = redactIn(item, undefined, depth + 1, path);
        if (next !== item) (out ??= [...(value as unknown[])])[i] = next;
      });
      return out ?? value;
    }
    let out: Record<string, unknown> | undefined;
    for (const [k, item] of Object.entries(value)) {
      const next = redactIn(item, k, depth + 1, path);
      if (next !== item) (out ??= { ...(value as Record<string, unknown>) })[k] = next;
    }
    return out ?? value;
  } finally {
    path.delete(value);
  }
}

/** `NAME=value` → `NAME=[REDACTED]`; `{ name, value }` → the value replaced (valueFrom only names a source). */
function redactEnvEntry(entry: unknown): unknown {
  if (typeof entry === 'string') {
    const eq = entry.indexOf('=');
    return eq < 0 ? entry : `${entry.slice(0, eq + 1)}${REDACTED}`;
  }
  if (isPlainObject(entry) && 'value' in entry) return { ...entry, value: REDACTED };
  return entry;
}

function redactHeaders(headers: object): unknown {
  if (Array.isArray(headers)) {
    return headers.map((h: unknown) => (isPlainObject(h) && 'value' in h ? { ...h, value: REDACTED } : typeof h === 'string' ? h : REDACTED));
  }
  return Object.fromEntries(Object.keys(headers).map((name) => [name, REDACTED]));
}

function mapArray(value: object, fn: (item: unknown) => unknown): unknown[] | undefined {
  return Array.isArray(value) ? value.map((item: unknown) => fn(item)) : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function createLogger(opts: { level: LevelWithSilent; stream?: DestinationStream; base?: Record<string, unknown> }): Logger {
  return pino(
    {
      level: opts.level,
      base: { ...(opts.base ?? {}) },
      timestamp: stdTimeFunctions.isoTime,
      // Every line's object passes through redactSecrets; an error passes once serialized (its
      // own properties can carry a request).
      // The serialized error is spread into a plain object, which redactSecrets walks.
      serializers: { err: (err: unknown) => redactSecrets(err instanceof Error ? { ...stdSerializers.err(err) } : err) },
      redact: { paths: [...BINDING_REDACT_PATHS], censor: REDACTED },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactSecrets(object) as Record<string, unknown>,
      },
    },
    opts.stream ?? destination({ dest: 1, sync: false }),
  );
}
