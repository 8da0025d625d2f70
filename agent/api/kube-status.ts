// Errors travel as Kubernetes Status objects, so the CLI can print them the way kubectl prints
// an API server's errors (`Error from server (NotFound): pods "web" not found`). Pure.

export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: { readonly name?: string; readonly kind?: string };
  readonly code: number;
}

/** metav1.StatusReason for the HTTP codes the API uses (apimachinery's errors package). */
const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function statusReason(code: number): string {
  return REASONS[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

export function failureStatus(code: number, message: string, details?: { name?: string; kind?: string }): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: statusReason(code),
    ...(details === undefined ? {} : { details }),
    code,
  };
}

/** `pods "web" not found`, the API server's NotFound message. */
export function notFoundMessage(resource: string, name: string): string {
  return `${resource} "${name}" not found`;
}

export function isKubeStatus(value: unknown): value is KubeStatus {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return v.kind === 'Status' && typeof v.message === 'string' && typeof v.code === 'number';
}
