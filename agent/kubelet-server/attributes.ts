// Pure: what a request to the kubelet endpoint asks to do, in the authorizer's terms, and the
// kubelet's answers when authentication or authorization says no. k/k pkg/kubelet/server/auth.go
// (GetRequestAttributes, with KubeletFineGrainedAuthz on, its default since 1.33) and server.go
// (InstallAuthFilter).

/** The user an authenticator found (k8s.io/apiserver user.Info). */
export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** One SubjectAccessReview's resourceAttributes. Every field but the subresource is fixed. */
export interface NodeAttributes {
  readonly verb: string;
  readonly resource: 'nodes';
  readonly subresource: string;
  readonly name: string;
  readonly path: string;
}

/** apiserver's request verb for a method; anything else (HEAD, OPTIONS) gets an empty verb. */
export function verbFor(method: string | undefined): string {
  switch (method) {
    case 'POST':
      return 'create';
    case 'GET':
      return 'get';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return '';
  }
}

/** auth.go isSubpath: the path is `prefix` or continues it with a `/`. */
function isSubpath(path: string, prefix: string): boolean {
  const trimmed = prefix.replace(/\/+$/, '');
  return path === trimmed || path.startsWith(`${trimmed}/`);
}

/**
 * The subresources tried, in order (any allow wins): stats, metrics, log and checkpoint are
 * their own; pods, healthz, configz and statusz try theirs, then proxy; everything else is proxy.
 */
export function subresourcesFor(path: string): readonly string[] {
  if (isSubpath(path, '/stats')) return ['stats'];
  if (isSubpath(path, '/metrics')) return ['metrics'];
  if (isSubpath(path, '/logs')) return ['log'];
  if (isSubpath(path, '/checkpoint')) return ['checkpoint'];
  if (isSubpath(path, '/pods') || isSubpath(path, '/runningpods')) return ['pods', 'proxy'];
  if (isSubpath(path, '/healthz')) return ['healthz', 'proxy'];
  if (isSubpath(path, '/configz')) return ['configz', 'proxy'];
  if (isSubpath(path, '/statusz')) return ['statusz', 'proxy'];
  return ['proxy'];
}

export function requestAttributes(nodeName: string, method: string | undefined, path: string): NodeAttributes[] {
  const verb = verbFor(method);
  return subresourcesFor(path).map((subresource) => ({ verb, resource: 'nodes', subresource, name: nodeName, path }));
}

/** The bodies InstallAuthFilter writes (text/plain, http.Error adds the newline). */
export const UNAUTHORIZED_BODY = 'Unauthorized';

/** 403 after every attribute set was denied: `%v` of the Go slice of subresources, and a newline. */
export function forbiddenBody(user: string, attrs: readonly NodeAttributes[]): string {
  const first = attrs[0];
  return `Forbidden (user=${user}, verb=${first?.verb ?? ''}, resource=${first?.resource ?? 'nodes'}, subresource(s)=[${attrs.map((a) => a.subresource).join(' ')}])\n`;
}

/** 500 when the authorizer failed on one attribute set (the SubjectAccessReview could not be made). */
export function authorizationErrorBody(user: string, attr: NodeAttributes): string {
  return `Authorization error (user=${user}, verb=${attr.verb}, resource=${attr.resource}, subresource=${attr.subresource})`;
}

/** 403 when no attributes could be built (never, with the mapping above; kept for parity). */
export const NO_ATTRIBUTES_BODY = 'Authorization error: could not determine attributes for request';
