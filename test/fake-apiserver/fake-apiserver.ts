// FakeApiServer — a test double, not a real API server.
//
// The fast tests (fake clock, injected failures) run nodelet's reporting against this
// in-process HTTPS server; the slower ones run against a real kube-apiserver
// (test/helpers/kube-cluster.ts), and test/integration/fake-vs-real-apiserver.test.ts replays
// the reporter's request log against both and requires the same answers. It implements only
// the calls nodelet makes, and for those it follows kube-apiserver's rules instead of
// accepting whatever arrives:
//
// - TLS with client certificates: connections without a certificate from the fake's CA are
//   refused during the handshake. The identity is the certificate's CN (user) and O (groups),
//   read like kube-apiserver's x509 authenticator; a bearer token, if sent, is recorded (so
//   tests can check it was sent) but, as in kube-apiserver's authenticator order, a valid
//   client certificate already identifies the caller.
// - Resources: nodes, nodes/status, pods (list across namespaces with fieldSelector),
//   pods/status, core/v1 events, coordination.k8s.io/v1 leases, in namespaces that must exist.
// - resourceVersion on every write; PUT with a stale resourceVersion, and PATCH whose body
//   carries a stale metadata.resourceVersion, get 409 Conflict; a PATCH that changes
//   metadata.uid gets 422 (kubelet uses it as a precondition); DELETE preconditions (uid,
//   resourceVersion) get 409; create of an existing name gets 409 AlreadyExists; a missing
//   object 404. Every failure is a Status object {kind: Status, apiVersion: v1, status:
//   Failure, message, reason, details, code} with kube-apiserver's message formats.
// - Node identities (user system:node:<name> in group system:nodes) get the Node authorizer's
//   pod-list rule (only with fieldSelector spec.nodeName=<self>) and NodeRestriction
//   admission (plugin/pkg/admission/noderestriction): mirror pods only (annotation, nodeName,
//   one controller owner reference to its own Node with the right uid, no blockOwnerDeletion,
//   no service account, secret, configmap, clustertrustbundle or PVC references), pod status
//   only for its own pods and without label changes, its own Node only (no taint changes, no
//   forbidden labels), its own lease in kube-node-lease only. Users in system:masters skip
//   those checks; any other user is forbidden everything.
// - Pod validation nodelet can run into: name, containers, images, no ephemeral containers on
//   create, a mirror pod must have spec.nodeName, the mirror annotation cannot be added,
//   removed or changed afterwards. Create resets pod status to {phase: Pending, qosClass}.
// - Graceful pod deletion (deletionTimestamp) like `kubectl delete pod`; grace 0 removes the
//   pod at once. Deleting a Node deletes what it owns (the garbage collector's effect).
// - Patches: see patch.ts for the merge-patch and strategic-merge-patch subset. JSON patch,
//   apply patches, watch, labelSelector and unknown query parameters are refused (400/415).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { applyMergePatch, applyStrategicMergePatch, isObject, type Json, type JsonObject, PatchError } from './patch.js';
import { createTestPki, issueClientCert, type CertPair, type TestPki } from './pki.js';
import { listenMutualTls } from './tls-listen.js';

export type ResourceName = 'nodes' | 'pods' | 'events' | 'leases' | 'csinodes';

interface ResourceDef {
  readonly name: ResourceName;
  readonly group: '' | 'coordination.k8s.io' | 'storage.k8s.io';
  readonly kind: string;
  readonly namespaced: boolean;
  readonly hasStatus: boolean;
  /** PUT without resourceVersion allowed (strategy AllowUnconditionalUpdate). */
  readonly unconditionalUpdate: boolean;
  /** DELETE answers with the object instead of a Status (ReturnDeletedObject). */
  readonly returnsDeleted: boolean;
}

const RESOURCES: Readonly<Record<ResourceName, ResourceDef>> = {
  nodes: { name: 'nodes', group: '', kind: 'Node', namespaced: false, hasStatus: true, unconditionalUpdate: true, returnsDeleted: false },
  pods: { name: 'pods', group: '', kind: 'Pod', namespaced: true, hasStatus: true, unconditionalUpdate: true, returnsDeleted: true },
  events: { name: 'events', group: '', kind: 'Event', namespaced: true, hasStatus: false, unconditionalUpdate: true, returnsDeleted: false },
  leases: { name: 'leases', group: 'coordination.k8s.io', kind: 'Lease', namespaced: true, hasStatus: false, unconditionalUpdate: false, returnsDeleted: false },
  csinodes: { name: 'csinodes', group: 'storage.k8s.io', kind: 'CSINode', namespaced: false, hasStatus: false, unconditionalUpdate: false, returnsDeleted: false },
};

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PATCH_TYPES: Readonly<Record<string, 'merge' | 'strategic'>> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};
const KNOWN_QUERY = new Set(['fieldSelector', 'gracePeriodSeconds', 'fieldManager', 'fieldValidation', 'resourceVersion', 'timeout']);

/** Labels NodeRestriction lets a node set on itself (kubeletapis.IsKubeletLabel), kept apart from nodelet's copy on purpose. */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname', 'kubernetes.io/os', 'kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type', 'kubernetes.io/instance-type', 'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region', 'failure-domain.kubernetes.io/zone', 'failure-domain.kubernetes.io/region',
  'topology.kubernetes.io/zone', 'topology.kubernetes.io/region',
]);

export interface Identity {
  readonly user: string;
  readonly groups: readonly string[];
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType?: string;
  readonly user: string;
  /** The Authorization header as received (tests check a token was sent, and never logged). */
  readonly authorization?: string;
  readonly body?: Json;
  readonly status: number;
  /** The answer's body (an object, a list or a Status). */
  readonly response?: Json;
  /** Milliseconds of the fake's clock. */
  readonly at: number;
}

/** A failure injected by a test, answered before any other processing. */
export type Intercept = { readonly status: number; readonly message: string; readonly reason?: string } | { readonly delayMs: number } | undefined;

export interface FakeApiServerOptions {
  readonly pki?: TestPki;
  /** Clock for creationTimestamp and deletionTimestamp; Date.now by default. */
  readonly now?: () => number;
  readonly namespaces?: readonly string[];
}

export interface KubeconfigOptions {
  /** The identity of the client certificate; default system:node:<nodeName> in system:nodes. */
  readonly nodeName: string;
  readonly user?: string;
  readonly groups?: readonly string[];
  /** Also send a bearer token. */
  readonly token?: string;
  /**
   * Deliver the client certificate through an exec credential plugin instead of the
   * kubeconfig: a node script that prints an ExecCredential.
   */
  readonly viaExecPlugin?: boolean;
  /** Sign the client certificate with another CA (the fake must refuse it). */
  readonly signer?: CertPair;
  /** Use the server URL with `localhost` instead of 127.0.0.1. */
  readonly server?: string;
}

export interface WrittenKubeconfig {
  readonly path: string;
  readonly client: CertPair;
}

class ApiFailure extends Error {
  constructor(readonly status: JsonObject) {
    super(String(status.message));
  }
  get code(): number {
    return Number(this.status.code);
  }
}

interface FieldError {
  readonly field: string;
  readonly type: 'Required' | 'Invalid' | 'Forbidden';
  readonly detail?: string;
  readonly value?: Json;
}

function statusObject(code: number, reason: string, message: string, details?: JsonObject): JsonObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function qualifiedResource(def: ResourceDef): string {
  return def.group ? `${def.name}.${def.group}` : def.name;
}

function notFound(def: ResourceDef | { name: string; group: string }, name: string): ApiFailure {
  const qr = def.group ? `${def.name}.${def.group}` : def.name;
  return new ApiFailure(statusObject(404, 'NotFound', `${qr} "${name}" not found`, { name, ...(def.group ? { group: def.group } : {}), kind: def.name }));
}

function alreadyExists(def: ResourceDef, name: string): ApiFailure {
  return new ApiFailure(statusObject(409, 'AlreadyExists', `${qualifiedResource(def)} "${name}" already exists`, { name, ...(def.group ? { group: def.group } : {}), kind: def.name }));
}

function conflict(def: ResourceDef, name: string, why: string): ApiFailure {
  return new ApiFailure(statusObject(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": ${why}`, { name, ...(def.group ? { group: def.group } : {}), kind: def.name }));
}

function forbidden(def: ResourceDef, name: string, why: string): ApiFailure {
  const qr = qualifiedResource(def);
  const message = name ? `${qr} "${name}" is forbidden: ${why}` : `${qr} is forbidden: ${why}`;
  return new ApiFailure(statusObject(403, 'Forbidden', message, { name, ...(def.group ? { group: def.group } : {}), kind: def.name }));
}

function badRequest(message: string): ApiFailure {
  return new ApiFailure(statusObject(400, 'BadRequest', message));
}

function fieldErrorText(e: FieldError): string {
  switch (e.type) {
    case 'Required':
      return `${e.field}: Required value${e.detail ? `: ${e.detail}` : ''}`;
    case 'Forbidden':
      return `${e.field}: Forbidden: ${e.detail ?? ''}`;
    case 'Invalid':
      return `${e.field}: Invalid value: ${JSON.stringify(e.value ?? null)}: ${e.detail ?? ''}`;
  }
}

function invalid(def: ResourceDef, name: string, errors: readonly FieldError[]): ApiFailure {
  const kind = def.group ? `${def.kind}.${def.group}` : def.kind;
  const texts = errors.map(fieldErrorText);
  const joined = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const causes = errors.map((e) => ({ reason: `FieldValue${e.type}`, message: fieldErrorText(e).slice(e.field.length + 2), field: e.field }));
  return new ApiFailure(statusObject(422, 'Invalid', `${kind} "${name}" is invalid: ${joined}`, { name, ...(def.group ? { group: def.group } : {}), kind: def.kind, causes }));
}

function apiTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function meta(o: JsonObject): JsonObject {
  if (!isObject(o.metadata)) o.metadata = {};
  return o.metadata as JsonObject;
}

function strMap(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function list(v: Json | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function clone<T extends Json>(v: T): T {
  return structuredClone(v);
}

function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: Json | undefined): string {
  const sort = (x: Json | undefined): Json | undefined => {
    if (Array.isArray(x)) return x.map((e) => sort(e) ?? null);
    if (isObject(x)) {
      const out: JsonObject = {};
      for (const k of Object.keys(x).sort()) {
        const s = sort(x[k]);
        if (s !== undefined) out[k] = s;
      }
      return out;
    }
    return x;
  };
  return JSON.stringify(sort(v) ?? null);
}

export class FakeApiServer {
  readonly pki: TestPki;
  readonly requests: RecordedRequest[] = [];
  readonly #now: () => number;
  readonly #store = new Map<string, JsonObject>();
  readonly #namespaces: Set<string>;
  readonly #sockets = new Set<Socket>();
  #server?: https.Server;
  #port = 0;
  #rv = 1;
  #intercept?: (req: { method: string; path: string }) => Intercept;
  readonly #ownedDirs: string[] = [];

  private constructor(pki: TestPki, opts: FakeApiServerOptions) {
    this.pki = pki;
    this.#now = opts.now ?? Date.now;
    this.#namespaces = new Set(opts.namespaces ?? ['default', 'kube-system', 'kube-public', NODE_LEASE_NAMESPACE]);
  }

  static async start(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const fake = new FakeApiServer(opts.pki ?? (await createTestPki()), opts);
    if (!opts.pki) fake.#ownedDirs.push(fake.pki.dir);
    await fake.resume();
    return fake;
  }

  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  get running(): boolean {
    return this.#server !== undefined;
  }

  /** Starts (again) listening on the same port; the stored objects are kept. */
  async resume(): Promise<void> {
    if (this.#server) return;
    const { server, port } = await listenMutualTls(this.pki, this.#port, this.#sockets, (req, res) => void this.#handle(req, res));
    this.#port = port;
    this.#server = server;
  }

  /** An outage: stops listening and cuts every open connection. */
  async pause(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await closed;
  }

  /** Stops for good and removes the temp dirs it made (keys, kubeconfigs). */
  async close(): Promise<void> {
    await this.pause();
    await Promise.all(this.#ownedDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }

  /** Answers matching requests with an error or a delay first (tests only). */
  intercept(fn: ((req: { method: string; path: string }) => Intercept) | undefined): void {
    this.#intercept = fn;
  }

  addNamespace(ns: string): void {
    this.#namespaces.add(ns);
  }

  // ---- Store access for tests (acting as other cluster components, e.g. kubectl) ----

  get(resource: ResourceName, namespace: string | undefined, name: string): JsonObject | undefined {
    const o = this.#store.get(this.#key(RESOURCES[resource], namespace ?? '', name));
    return o ? clone(o) : undefined;
  }

  list(resource: ResourceName, namespace?: string): JsonObject[] {
    const prefix = `${resource}/`;
    return [...this.#store.entries()]
      .filter(([k, o]) => k.startsWith(prefix) && (namespace === undefined || meta(o).namespace === namespace))
      .map(([, o]) => clone(o));
  }

  /** Changes an object as another writer would (bumps resourceVersion). */
  modify(resource: ResourceName, namespace: string | undefined, name: string, mutate: (o: JsonObject) => void): JsonObject {
    const key = this.#key(RESOURCES[resource], namespace ?? '', name);
    const o = this.#store.get(key);
    if (!o) throw new Error(`fake: no ${resource} ${namespace ?? ''}/${name}`);
    mutate(o);
    meta(o).resourceVersion = String(++this.#rv);
    return clone(o);
  }

  /**
   * `kubectl delete` as an admin: pods are deleted gracefully (deletionTimestamp) unless
   * gracePeriodSeconds is 0; deleting a Node also deletes what it owns (garbage collector).
   */
  delete(resource: ResourceName, namespace: string | undefined, name: string, gracePeriodSeconds?: number): void {
    const def = RESOURCES[resource];
    const o = this.#store.get(this.#key(def, namespace ?? '', name));
    if (!o) throw new Error(`fake: no ${resource} ${namespace ?? ''}/${name}`);
    this.#deleteObject(def, o, gracePeriodSeconds);
  }

  /** Requests of one kind, e.g. ('PATCH', '/api/v1/nodes/n1/status'). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  /**
   * Issues a client certificate and writes a kubeconfig for it into a temp dir: the CA as
   * certificate-authority-data, the certificate and key as client-*-data (or from an exec plugin).
   */
  async writeKubeconfig(opts: KubeconfigOptions): Promise<WrittenKubeconfig> {
    const dir = await mkdtemp(join(tmpdir(), 'fake-apiserver-kubeconfig-'));
    this.#ownedDirs.push(dir);
    const user = opts.user ?? `system:node:${opts.nodeName}`;
    const groups = opts.groups ?? ['system:nodes'];
    const client = await issueClientCert(this.pki, `client-${opts.nodeName}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`, user, groups, opts.signer);
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    let userEntry: JsonObject;
    if (opts.viaExecPlugin) {
      const script = join(dir, 'credential-plugin.mjs');
      const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { clientCertificateData: client.cert, clientKeyData: client.key, ...(opts.token ? { token: opts.token } : {}) } };
      await writeFile(script, `process.stdout.write(${JSON.stringify(JSON.stringify(credential))});\n`);
      userEntry = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [script], interactiveMode: 'Never' } };
    } else {
      userEntry = { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key), ...(opts.token ? { token: opts.token } : {}) };
    }
    const kubeconfig = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: opts.server ?? this.url, 'certificate-authority-data': b64(this.pki.ca.cert) } }],
      users: [{ name: user, user: userEntry }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user } }],
      'current-context': 'fake',
    };
    const path = join(dir, 'kubeconfig');
    await writeFile(path, JSON.stringify(kubeconfig, null, 2), { mode: 0o600 });
    return { path, client };
  }

  // ---- HTTP ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake');
    const query = Object.fromEntries(url.searchParams.entries());
    const identity = this.#identity(req);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() || undefined;
    const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined;
    const method = req.method ?? 'GET';
    let body: Json | undefined;
    let status = 500;
    let answer: Json;
    try {
      const raw = await readBody(req);
      const cut = this.#intercept?.({ method, path: url.pathname });
      if (cut && 'delayMs' in cut) await new Promise((r) => setTimeout(r, cut.delayMs));
      else if (cut) throw new ApiFailure(statusObject(cut.status, cut.reason ?? 'InternalError', cut.message));
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw) as Json;
        } catch {
          throw badRequest('the body of the request could not be decoded as JSON');
        }
      }
      const out = this.#route(method, url.pathname, query, contentType, body, identity);
      status = out.status;
      answer = out.body;
    } catch (err) {
      if (err instanceof ApiFailure) {
        status = err.code;
        answer = err.status;
      } else {
        status = 500;
        answer = statusObject(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.requests.push({ method, path: url.pathname, query, contentType, user: identity.user, authorization, body, status, response: answer, at: this.#now() });
    if (res.destroyed) return;
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer));
  }

  #identity(req: IncomingMessage): Identity {
    const cert = (req.socket as TLSSocket).getPeerCertificate();
    const cn = cert.subject?.CN;
    const o = cert.subject?.O;
    const user = Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? '');
    const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
    return { user, groups: [...groups, 'system:authenticated'] };
  }

  #route(method: string, path: string, query: Record<string, string>, contentType: string | undefined, body: Json | undefined, who: Identity): { status: number; body: Json } {
    for (const q of Object.keys(query)) {
      if (q === 'watch') throw badRequest('watch is not implemented by the fake API server');
      if (q === 'labelSelector') throw badRequest('labelSelector is not implemented by the fake API server');
      if (!KNOWN_QUERY.has(q)) throw badRequest(`the fake API server does not implement the query parameter ${JSON.stringify(q)}`);
    }
    const r = parsePath(path);
    if (!r) throw new ApiFailure(statusObject(404, 'NotFound', 'the server could not find the requested resource', {}));
    const def = RESOURCES[r.resource];
    if (r.namespace !== undefined && !def.namespaced && r.resource !== 'pods') throw new ApiFailure(statusObject(404, 'NotFound', 'the server could not find the requested resource', {}));
    if (r.subresource !== undefined && (r.subresource !== 'status' || !def.hasStatus)) throw new ApiFailure(statusObject(404, 'NotFound', 'the server could not find the requested resource', {}));
    const node = nodeIdentity(who);
    const admin = who.groups.includes('system:masters');
    if (!node && !admin) throw forbidden(def, r.name ?? '', `User "${who.user}" cannot ${verbOf(method, r.name)} resource "${def.name}" in API group "${def.group}"${r.namespace ? ` in the namespace "${r.namespace}"` : ' at the cluster scope'}`);
    const ns = def.namespaced ? (r.namespace ?? '') : '';

    if (r.name === undefined) {
      if (method === 'GET') return { status: 200, body: this.#list(def, r.namespace, query, node) };
      if (method === 'POST') {
        if (def.namespaced && r.namespace === undefined) throw new ApiFailure(statusObject(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
        requireJson(contentType);
        return { status: 201, body: this.#create(def, ns, body, node) };
      }
      throw new ApiFailure(statusObject(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    }
    if (def.namespaced && r.namespace === undefined) throw new ApiFailure(statusObject(404, 'NotFound', 'the server could not find the requested resource', {}));
    const existing = this.#store.get(this.#key(def, ns, r.name));
    switch (method) {
      case 'GET':
        if (!existing) throw notFound(def, r.name);
        return { status: 200, body: clone(existing) };
      case 'PUT': {
        requireJson(contentType);
        if (!isObject(body)) throw badRequest('the body of the request must be an object');
        return { status: 200, body: this.#update(def, ns, r.name, r.subresource, existing, clone(body), node, true) };
      }
      case 'PATCH': {
        const type = PATCH_TYPES[contentType ?? ''];
        if (!type) {
          throw new ApiFailure(statusObject(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`));
        }
        if (!isObject(body)) throw badRequest('the body of the request must be a JSON object');
        if (!existing) throw notFound(def, r.name);
        let patched: Json;
        try {
          patched = type === 'merge' ? applyMergePatch(clone(existing), body) : applyStrategicMergePatch(clone(existing), body);
        } catch (err) {
          if (err instanceof PatchError) throw badRequest(err.message);
          throw err;
        }
        if (!isObject(patched)) throw badRequest('the patch did not produce an object');
        return { status: 200, body: this.#update(def, ns, r.name, r.subresource, existing, patched, node, false) };
      }
      case 'DELETE': {
        if (!existing) throw notFound(def, r.name);
        const opts = isObject(body) ? body : {};
        const grace = query.gracePeriodSeconds !== undefined ? Number(query.gracePeriodSeconds) : typeof opts.gracePeriodSeconds === 'number' ? opts.gracePeriodSeconds : undefined;
        const pre = isObject(opts.preconditions) ? opts.preconditions : {};
        const m = meta(existing);
        if (typeof pre.uid === 'string' && pre.uid !== m.uid) {
          throw conflict(def, r.name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${String(m.uid)}). The object might have been deleted and then recreated`);
        }
        if (typeof pre.resourceVersion === 'string' && pre.resourceVersion !== m.resourceVersion) {
          throw conflict(def, r.name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${String(m.resourceVersion)}). The object might have been modified`);
        }
        if (node) this.#admitDelete(def, node, existing);
        const remaining = this.#deleteObject(def, existing, grace);
        if (def.returnsDeleted) return { status: 200, body: clone(remaining ?? existing) };
        return { status: 200, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: r.name, ...(def.group ? { group: def.group } : {}), kind: def.name, uid: String(m.uid) } } };
      }
      default:
        throw new ApiFailure(statusObject(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    }
  }

  #key(def: ResourceDef, ns: string, name: string): string {
    return `${def.name}/${def.namespaced ? ns : ''}/${name}`;
  }

  #list(def: ResourceDef, namespace: string | undefined, query: Record<string, string>, node: string | undefined): JsonObject {
    const selectors = parseFieldSelector(query.fieldSelector ?? '', def);
    if (node && def.name === 'pods') {
      // The Node authorizer (AuthorizeNodeWithSelectors): a node lists only its own pods.
      const own = selectors.some((s) => s.field === 'spec.nodeName' && s.op === '=' && s.value === node);
      if (!own) throw forbidden(def, '', `User "system:node:${node}" cannot list resource "pods" in API group "" ${namespace ? `in the namespace "${namespace}"` : 'at the cluster scope'}: can only list/watch pods with spec.nodeName field selector`);
    }
    const items = [...this.#store.entries()]
      .filter(([k]) => k.startsWith(`${def.name}/`))
      .map(([, o]) => o)
      .filter((o) => namespace === undefined || meta(o).namespace === namespace)
      .filter((o) => selectors.every((s) => (fieldValue(o, s.field) === s.value) === (s.op === '=')))
      .map((o) => {
        const { kind: _k, apiVersion: _a, ...rest } = clone(o);
        return rest;
      });
    return { kind: `${def.kind}List`, apiVersion: def.group ? `${def.group}/v1` : 'v1', metadata: { resourceVersion: String(this.#rv) }, items };
  }

  #create(def: ResourceDef, ns: string, body: Json | undefined, node: string | undefined): JsonObject {
    if (!isObject(body)) throw badRequest('the body of the request must be an object');
    const obj = clone(body);
    checkTypeMeta(def, obj);
    const m = meta(obj);
    if (def.namespaced) {
      if (m.namespace !== undefined && m.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      m.namespace = ns;
      // NamespaceLifecycle admission runs first.
      if (!this.#namespaces.has(ns)) throw notFound({ name: 'namespaces', group: '' }, ns);
    } else {
      delete m.namespace;
    }
    if (m.resourceVersion !== undefined && m.resourceVersion !== '') throw new ApiFailure(statusObject(500, 'InternalError', 'Internal error occurred: resourceVersion should not be set on objects to be created'));
    const name = typeof m.name === 'string' ? m.name : '';
    if (def.name === 'pods') admitMirrorPodServiceAccount(def, obj, name);
    if (node) this.#admitCreate(def, node, obj, name);
    const errors = [...validateMeta(m), ...validateCreate(def, obj)];
    if (errors.length > 0) throw invalid(def, name, errors);
    if (this.#store.has(this.#key(def, ns, name))) throw alreadyExists(def, name);
    m.uid = randomUUID();
    m.resourceVersion = String(++this.#rv);
    m.creationTimestamp = apiTime(this.#now());
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    obj.apiVersion = def.group ? `${def.group}/v1` : 'v1';
    obj.kind = def.kind;
    if (def.name === 'pods') {
      m.generation = 1;
      obj.status = { phase: 'Pending', qosClass: qosClass(obj) };
    }
    this.#store.set(this.#key(def, ns, name), obj);
    return clone(obj);
  }

  #update(def: ResourceDef, ns: string, name: string, subresource: string | undefined, existing: JsonObject | undefined, next: JsonObject, node: string | undefined, isPut: boolean): JsonObject {
    if (!existing) throw notFound(def, name);
    checkTypeMeta(def, next);
    const m = meta(next);
    const old = meta(existing);
    if (m.name !== undefined && m.name !== name) throw badRequest(`the name of the object (${String(m.name)}) does not match the name on the URL (${name})`);
    if (def.namespaced && m.namespace !== undefined && m.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    // Optimistic concurrency: the resourceVersion the writer read (PUT body, or a PATCH that carries one).
    const rv = typeof m.resourceVersion === 'string' ? m.resourceVersion : '';
    if (isPut && rv === '' && !def.unconditionalUpdate) throw invalid(def, name, [{ field: 'metadata.resourceVersion', type: 'Invalid', value: 0, detail: 'must be specified for an update' }]);
    if (rv !== '' && rv !== old.resourceVersion) throw conflict(def, name, 'the object has been modified; please apply your changes to the latest version and try again');
    if (isPut && typeof m.uid === 'string' && m.uid !== '' && m.uid !== old.uid) {
      throw conflict(def, name, `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${String(old.uid)}`);
    }
    const errors: FieldError[] = [];
    if (m.uid !== undefined && m.uid !== '' && m.uid !== old.uid) errors.push({ field: 'metadata.uid', type: 'Invalid', value: m.uid, detail: 'field is immutable' });
    // Fields the server owns.
    m.name = name;
    if (def.namespaced) m.namespace = ns;
    m.uid = old.uid ?? null;
    m.creationTimestamp = old.creationTimestamp ?? null;
    if (old.generation !== undefined) m.generation = old.generation;
    next.apiVersion = existing.apiVersion ?? null;
    next.kind = existing.kind ?? null;
    if (subresource === 'status') {
      // Status strategies: only status (and metadata) change; pods keep owner references and deletion.
      next.spec = clone(existing.spec ?? {});
      if (def.name === 'pods') {
        m.ownerReferences = clone(old.ownerReferences ?? null);
        if (m.ownerReferences === null) delete m.ownerReferences;
        if (old.deletionTimestamp !== undefined) m.deletionTimestamp = old.deletionTimestamp;
        else delete m.deletionTimestamp;
        const status = isObject(next.status) ? next.status : {};
        if (status.qosClass === undefined && isObject(existing.status) && existing.status.qosClass !== undefined) status.qosClass = existing.status.qosClass;
        next.status = status;
      }
    } else if (def.hasStatus) {
      next.status = clone(existing.status ?? {});
    }
    if (node) this.#admitUpdate(def, node, subresource, existing, next, name);
    errors.push(...validateMeta(m), ...validateUpdate(def, next, existing));
    if (errors.length > 0) throw invalid(def, name, errors);
    const unchanged = sameJson({ ...next, metadata: { ...m, resourceVersion: null } }, { ...existing, metadata: { ...old, resourceVersion: null } });
    m.resourceVersion = unchanged ? (old.resourceVersion ?? null) : String(++this.#rv);
    this.#store.set(this.#key(def, ns, name), next);
    return clone(next);
  }

  /** Removes an object, or starts a graceful pod deletion; returns what remains (undefined when gone). */
  #deleteObject(def: ResourceDef, o: JsonObject, requestedGrace: number | undefined): JsonObject | undefined {
    const m = meta(o);
    const key = this.#key(def, typeof m.namespace === 'string' ? m.namespace : '', String(m.name));
    if (def.name === 'pods') {
      // podStrategy.CheckGracefulDelete.
      const spec = isObject(o.spec) ? o.spec : {};
      const phase = isObject(o.status) ? o.status.phase : undefined;
      let grace = requestedGrace ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
      if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
      if (grace < 0) grace = 1;
      if (grace > 0) {
        if (m.deletionTimestamp === undefined || Number(m.deletionGracePeriodSeconds) > grace) {
          m.deletionTimestamp = apiTime(this.#now() + grace * 1000);
          m.deletionGracePeriodSeconds = grace;
          m.resourceVersion = String(++this.#rv);
        }
        return o;
      }
    }
    this.#store.delete(key);
    if (def.name === 'nodes') {
      // The garbage collector removes what the Node owned (mirror pods, its lease).
      for (const [k, other] of [...this.#store.entries()]) {
        if (list(meta(other).ownerReferences).some((r) => r.uid === m.uid)) this.#store.delete(k);
      }
    }
    return undefined;
  }

  // ---- NodeRestriction admission (and the Node authorizer's write rules) ----

  #admitCreate(def: ResourceDef, node: string, obj: JsonObject, name: string): void {
    switch (def.name) {
      case 'pods':
        return this.#admitPodCreate(def, node, obj, name);
      case 'nodes':
        return this.#admitNode(def, node, name, obj, undefined);
      case 'leases':
        return admitLease(def, node, String(meta(obj).namespace), name);
      case 'csinodes':
        return admitCsiNode(def, node, name);
      case 'events':
        return;
    }
  }

  #admitPodCreate(def: ResourceDef, node: string, pod: JsonObject, name: string): void {
    const m = meta(pod);
    const spec = isObject(pod.spec) ? pod.spec : {};
    const fail = (why: string): never => {
      throw forbidden(def, name, why);
    };
    if (!(MIRROR_ANNOTATION in strMap(m.annotations))) fail(`pod does not have "${MIRROR_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
    if (spec.nodeName !== node) fail(`node "${node}" can only create pods with spec.nodeName set to itself`);
    const owners = list(m.ownerReferences);
    if (owners.length > 1) fail(`node "${node}" can only create pods with a single owner reference set to itself`);
    const owner = owners[0];
    if (!owner) return fail(`node "${node}" can only create pods with an owner reference set to itself`);
    if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) fail(`node "${node}" can only create pods with an owner reference set to itself`);
    if (owner.controller !== true) fail(`node "${node}" can only create pods with a controller owner reference set to itself`);
    if (owner.blockOwnerDeletion === true) fail(`node "${node}" must not set blockOwnerDeletion on an owner reference`);
    const nodeObj = this.#store.get(this.#key(RESOURCES.nodes, '', node));
    if (!nodeObj) throw notFound(RESOURCES.nodes, node);
    const nodeUid = String(meta(nodeObj).uid);
    if (owner.uid !== nodeUid) fail(`node ${node} UID mismatch: expected ${String(owner.uid)} got ${nodeUid}`);
    if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') fail(`node "${node}" can not create pods that reference a service account`);
    const refs = podReferences(spec);
    if (refs.secrets) fail(`node "${node}" can not create pods that reference secrets`);
    if (refs.configMaps) fail(`node "${node}" can not create pods that reference configmaps`);
    if (refs.clusterTrustBundles) fail(`node "${node}" can not create pods that reference clustertrustbundles`);
    if (refs.pvcs) fail(`node "${node}" can not create pods that reference persistentvolumeclaims`);
  }

  #admitNode(def: ResourceDef, node: string, name: string, next: JsonObject, old: JsonObject | undefined): void {
    if (name !== node) throw forbidden(def, name, `node "${node}" is not allowed to modify node "${name}"`);
    const spec = isObject(next.spec) ? next.spec : {};
    if (!old) {
      if (spec.configSource !== undefined && spec.configSource !== null) throw forbidden(def, name, `node "${node}" is not allowed to create pods with a non-nil configSource`);
      const bad = forbiddenLabels(modifiedLabels(strMap(meta(next).labels), {}));
      if (bad.length > 0) throw forbidden(def, name, `node "${node}" is not allowed to set the following labels: ${bad.join(', ')}`);
      return;
    }
    const oldSpec = isObject(old.spec) ? old.spec : {};
    if (!sameJson(spec.taints ?? null, oldSpec.taints ?? null)) throw forbidden(def, name, `node "${node}" is not allowed to modify taints`);
    const bad = forbiddenLabels(modifiedLabels(strMap(meta(next).labels), strMap(meta(old).labels)));
    if (bad.length > 0) throw forbidden(def, name, `is not allowed to modify labels: ${bad.join(', ')}`);
  }

  #admitUpdate(def: ResourceDef, node: string, subresource: string | undefined, old: JsonObject, next: JsonObject, name: string): void {
    switch (def.name) {
      case 'nodes':
        return this.#admitNode(def, node, name, next, old);
      case 'leases':
        return admitLease(def, node, String(meta(old).namespace), name);
      case 'csinodes':
        return admitCsiNode(def, node, name);
      case 'events':
        return;
      case 'pods': {
        if (subresource !== 'status') throw forbidden(def, name, `unexpected operation "UPDATE", node "${node}" can only create and delete mirror pods`);
        const spec = isObject(old.spec) ? old.spec : {};
        if (spec.nodeName !== node) throw forbidden(def, name, `node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
        if (!sameJson(strMap(meta(old).labels), strMap(meta(next).labels))) throw forbidden(def, name, `node "${node}" cannot update labels through pod status`);
        return;
      }
    }
  }

  #admitDelete(def: ResourceDef, node: string, existing: JsonObject): void {
    const name = String(meta(existing).name);
    if (def.name === 'pods') {
      const spec = isObject(existing.spec) ? existing.spec : {};
      if (spec.nodeName !== node) throw forbidden(def, name, `node "${node}" can only delete pods with spec.nodeName set to itself`);
    } else if (def.name === 'nodes') {
      if (name !== node) throw forbidden(def, name, `node "${node}" is not allowed to modify node "${name}"`);
    } else if (def.name === 'leases') {
      admitLease(def, node, String(meta(existing).namespace), name);
    } else if (def.name === 'csinodes') {
      admitCsiNode(def, node, name);
    }
  }
}

/** NodeRestriction admitCSINode: a node may only write the CSINode named after it. */
function admitCsiNode(def: ResourceDef, node: string, name: string): void {
  if (name !== node) throw forbidden(def, name, 'can only access CSINode with the same name as the requesting node');
}

function admitLease(def: ResourceDef, node: string, namespace: string, name: string): void {
  if (namespace !== NODE_LEASE_NAMESPACE) throw forbidden(def, name, `can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
  if (name !== node) throw forbidden(def, name, 'can only access node lease with the same name as the requesting node');
}

/** NodeIdentifier: user system:node:<name> in group system:nodes. */
function nodeIdentity(who: Identity): string | undefined {
  if (!who.groups.includes('system:nodes') || !who.user.startsWith('system:node:')) return undefined;
  return who.user.slice('system:node:'.length) || undefined;
}

function verbOf(method: string, name: string | undefined): string {
  switch (method) {
    case 'GET':
      return name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return method.toLowerCase();
  }
}

function modifiedLabels(a: Record<string, string>, b: Record<string, string>): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(a)) if (b[k] !== v) out.add(k);
  for (const [k, v] of Object.entries(b)) if (a[k] !== v) out.add(k);
  return [...out];
}

function forbiddenLabels(keys: readonly string[]): string[] {
  const within = (ns: string, d: string): boolean => ns === d || ns.endsWith(`.${d}`);
  return keys
    .filter((k) => {
      const ns = k.includes('/') ? k.slice(0, k.indexOf('/')) : '';
      if (within(ns, 'node-restriction.kubernetes.io')) return true;
      const kubernetesLabel = within(ns, 'kubernetes.io') || within(ns, 'k8s.io');
      const kubeletLabel = KUBELET_LABELS.has(k) || within(ns, 'kubelet.kubernetes.io') || within(ns, 'node.kubernetes.io');
      return kubernetesLabel && !kubeletLabel;
    })
    .sort();
}

/** What podutil.VisitPodSecretNames / VisitPodConfigmapNames and the PVC/clustertrustbundle checks find. */
/**
 * The ServiceAccount admission plugin's mirror-pod rule (plugin/pkg/admission/serviceaccount,
 * Validate on create), for every user: it runs before NodeRestriction in the default plugin
 * order, so a node's mirror pod that references a Secret gets this message, not NodeRestriction's
 * (checked against kube-apiserver v1.37.2 by test/integration/fake-vs-real-apiserver.test.ts).
 */
function admitMirrorPodServiceAccount(def: ResourceDef, pod: JsonObject, name: string): void {
  if (!(MIRROR_ANNOTATION in strMap(meta(pod).annotations))) return;
  const spec = isObject(pod.spec) ? pod.spec : {};
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') throw forbidden(def, name, 'a mirror pod may not reference service accounts');
  if (podReferences(spec).secrets) throw forbidden(def, name, 'a mirror pod may not reference secrets');
  for (const v of list(spec.volumes)) {
    const projected = isObject(v.projected) ? list(v.projected.sources) : [];
    if (projected.some((src) => isObject(src.serviceAccountToken))) throw forbidden(def, name, 'a mirror pod may not use ServiceAccountToken volume projections');
  }
}

function podReferences(spec: JsonObject): { secrets: boolean; configMaps: boolean; clusterTrustBundles: boolean; pvcs: boolean } {
  const out = { secrets: list(spec.imagePullSecrets).length > 0, configMaps: false, clusterTrustBundles: false, pvcs: false };
  const containers = [...list(spec.containers), ...list(spec.initContainers), ...list(spec.ephemeralContainers)];
  for (const c of containers) {
    for (const from of list(c.envFrom)) {
      if (isObject(from.secretRef)) out.secrets = true;
      if (isObject(from.configMapRef)) out.configMaps = true;
    }
    for (const env of list(c.env)) {
      const vf = isObject(env.valueFrom) ? env.valueFrom : {};
      if (isObject(vf.secretKeyRef)) out.secrets = true;
      if (isObject(vf.configMapKeyRef)) out.configMaps = true;
    }
  }
  for (const v of list(spec.volumes)) {
    if (isObject(v.secret)) out.secrets = true;
    if (isObject(v.configMap)) out.configMaps = true;
    if (isObject(v.persistentVolumeClaim)) out.pvcs = true;
    for (const k of ['azureFile', 'cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'csi']) {
      const src = v[k];
      if (isObject(src) && (isObject(src.secretRef) || isObject(src.nodePublishSecretRef) || typeof src.secretName === 'string')) out.secrets = true;
    }
    const projected = isObject(v.projected) ? list(v.projected.sources) : [];
    for (const s of projected) {
      if (isObject(s.secret)) out.secrets = true;
      if (isObject(s.configMap)) out.configMaps = true;
      if (isObject(s.clusterTrustBundle)) out.clusterTrustBundles = true;
    }
  }
  return out;
}

function checkTypeMeta(def: ResourceDef, o: JsonObject): void {
  const apiVersion = def.group ? `${def.group}/v1` : 'v1';
  if (o.apiVersion !== undefined && o.apiVersion !== apiVersion) throw badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersion})`);
  if (o.kind !== undefined && o.kind !== def.kind) throw badRequest(`the kind in the data (${String(o.kind)}) does not match the expected kind (${def.kind})`);
}

function validateMeta(m: JsonObject): FieldError[] {
  const name = m.name;
  if (typeof name !== 'string' || name === '') return [{ field: 'metadata.name', type: 'Required', detail: 'name or generateName is required' }];
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [{ field: 'metadata.name', type: 'Invalid', value: name, detail: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character" }];
  }
  return [];
}

function validateCreate(def: ResourceDef, o: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  if (def.name === 'pods') {
    const spec = isObject(o.spec) ? o.spec : undefined;
    if (!spec) return [{ field: 'spec.containers', type: 'Required' }];
    const containers = list(spec.containers);
    if (containers.length === 0) errors.push({ field: 'spec.containers', type: 'Required' });
    containers.forEach((c, i) => {
      if (typeof c.name !== 'string' || c.name === '') errors.push({ field: `spec.containers[${i}].name`, type: 'Required' });
      else if (!DNS1123_LABEL.test(c.name)) errors.push({ field: `spec.containers[${i}].name`, type: 'Invalid', value: c.name, detail: "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character" });
      if (typeof c.image !== 'string' || c.image.trim() === '') errors.push({ field: `spec.containers[${i}].image`, type: 'Required' });
    });
    if (list(spec.ephemeralContainers).length > 0) errors.push({ field: 'spec.ephemeralContainers', type: 'Forbidden', detail: 'cannot be set on create' });
    const mirror = strMap(meta(o).annotations)[MIRROR_ANNOTATION];
    if (mirror !== undefined && mirror !== '' && !spec.nodeName) {
      errors.push({ field: `metadata.annotations[${MIRROR_ANNOTATION}]`, type: 'Invalid', value: mirror, detail: 'must set spec.nodeName if mirror pod annotation is set' });
    }
  }
  if (def.name === 'leases') errors.push(...validateLeaseSpec(o));
  if (def.name === 'events') {
    const involved = isObject(o.involvedObject) ? o.involvedObject : {};
    const ns = meta(o).namespace;
    if (typeof involved.namespace === 'string' && involved.namespace !== '' && involved.namespace !== ns) {
      errors.push({ field: 'involvedObject.namespace', type: 'Invalid', value: involved.namespace, detail: 'does not match event.namespace' });
    }
  }
  return errors;
}

function validateLeaseSpec(o: JsonObject): FieldError[] {
  const spec = isObject(o.spec) ? o.spec : {};
  const d = spec.leaseDurationSeconds;
  if (d !== undefined && d !== null && (typeof d !== 'number' || d <= 0)) return [{ field: 'spec.leaseDurationSeconds', type: 'Invalid', value: d, detail: 'must be greater than 0' }];
  if (spec.renewTime !== undefined && typeof spec.renewTime !== 'string') return [{ field: 'spec.renewTime', type: 'Invalid', value: spec.renewTime, detail: 'must be a MicroTime string' }];
  return [];
}

function validateUpdate(def: ResourceDef, next: JsonObject, old: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  if (def.name === 'pods') {
    const before = strMap(meta(old).annotations)[MIRROR_ANNOTATION];
    const after = strMap(meta(next).annotations)[MIRROR_ANNOTATION];
    const field = `metadata.annotations[${MIRROR_ANNOTATION}]`;
    if (before !== undefined && after !== before) errors.push({ field, type: 'Forbidden', detail: 'may not remove or update mirror pod annotation' });
    if (before === undefined && after !== undefined) errors.push({ field, type: 'Forbidden', detail: 'may not add mirror pod annotation' });
  }
  if (def.name === 'leases') errors.push(...validateLeaseSpec(next));
  return errors;
}

function qosClass(pod: JsonObject): string {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const containers = [...list(spec.containers), ...list(spec.initContainers)];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const res = isObject(c.resources) ? c.resources : {};
    const req = strMap(res.requests);
    const lim = strMap(res.limits);
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

interface FieldSelector {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

function parseFieldSelector(text: string, def: ResourceDef): FieldSelector[] {
  if (text.trim() === '') return [];
  const supported = new Set(['metadata.name', 'metadata.namespace', ...(def.name === 'pods' ? ['spec.nodeName'] : [])]);
  return text.split(',').map((part) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(part.trim());
    if (!m?.[1] || m[2] === undefined || m[3] === undefined) throw badRequest(`invalid selector: '${part}'; can't understand '${part}'`);
    const field = m[1].trim();
    if (!supported.has(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, op: m[2] === '!=' ? '!=' : '=', value: m[3].trim() };
  });
}

function fieldValue(o: JsonObject, field: string): string {
  const m = meta(o);
  if (field === 'metadata.name') return String(m.name ?? '');
  if (field === 'metadata.namespace') return String(m.namespace ?? '');
  const spec = isObject(o.spec) ? o.spec : {};
  return String(spec.nodeName ?? '');
}

function requireJson(contentType: string | undefined): void {
  if (contentType !== 'application/json') {
    throw new ApiFailure(statusObject(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json`));
  }
}

function parsePath(path: string): { resource: ResourceName; namespace?: string; name?: string; subresource?: string } | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') rest = parts.slice(2);
  else if (parts[0] === 'apis' && (parts[1] === 'coordination.k8s.io' || parts[1] === 'storage.k8s.io') && parts[2] === 'v1') rest = parts.slice(3);
  else return undefined;
  const core = parts[0] === 'api';
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = rest[0];
  const allowed: readonly string[] = core ? ['nodes', 'pods', 'events'] : parts[1] === 'storage.k8s.io' ? ['csinodes'] : ['leases'];
  if (!resource || !allowed.includes(resource) || rest.length > 3) return undefined;
  return { resource: resource as ResourceName, namespace, name: rest[1], subresource: rest[2] };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > 3 * 1024 * 1024) throw new ApiFailure(statusObject(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
