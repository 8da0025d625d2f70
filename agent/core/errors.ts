// One error base with stable codes; callers branch on `code`, never on message text.

export const ERROR_CODES = [
  'NLT_MANIFEST_INVALID',
  'NLT_CONFIG_INVALID',
  'NLT_RUNTIME_UNAVAILABLE',
  'NLT_RUNTIME',
  'NLT_IMAGE_PULL',
  'NLT_NOT_FOUND',
  'NLT_HOSTPATH',
  'NLT_API_UNAVAILABLE',
  'NLT_STATE',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class NodeletError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'NodeletError';
  }
}

export class RuntimeError extends NodeletError {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable: boolean; code?: ErrorCode; cause?: unknown }) {
    super(options.code ?? 'NLT_RUNTIME', message, { cause: options.cause });
    this.retryable = options.retryable;
    this.name = 'RuntimeError';
  }
}

export class ConfigError extends NodeletError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NLT_CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }
}

export function isNodeletError(e: unknown, code?: ErrorCode): e is NodeletError {
  return e instanceof NodeletError && (code === undefined || e.code === code);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The errno code (`ENOENT`...) of a Node.js system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object' || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** ENOENT or ENOTDIR: the path (or a directory on it) does not exist (any more). */
export function isGoneError(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
