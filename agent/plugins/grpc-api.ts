// The gRPC services of kubelet plugin registration, loaded from the .proto files beside this
// module (protos/: pluginregistration v1, the CSI subset, device plugin v1beta1) with
// @grpc/proto-loader. An adapter: clients and server definitions for the watcher, the CSI
// handler and the device manager. `npm run build` copies protos/ next to the compiled module.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO_DIR = fileURLToPath(new URL('./protos/', import.meta.url));

/** keepCase: the field names of the .proto files (supported_versions, node_id); int64 as strings. */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } as const;

type ServiceClientCtor = grpc.ServiceClientConstructor;

function load(file: string): grpc.GrpcObject {
  return grpc.loadPackageDefinition(loadSync(`${PROTO_DIR}${file}`, LOADER_OPTIONS));
}

function service(root: grpc.GrpcObject, path: string): ServiceClientCtor {
  let node: unknown = root;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`gRPC service ${path} is missing from the protos`);
  return node as ServiceClientCtor;
}

let loaded: { registration: ServiceClientCtor; csiIdentity: ServiceClientCtor; csiNode: ServiceClientCtor; deviceRegistration: ServiceClientCtor; devicePlugin: ServiceClientCtor } | undefined;

/** The service constructors, loaded once on first use. */
export function pluginServices(): NonNullable<typeof loaded> {
  if (!loaded) {
    const reg = load('pluginregistration.proto');
    const csi = load('csi.proto');
    const dev = load('deviceplugin.proto');
    loaded = {
      registration: service(reg, 'pluginregistration.Registration'),
      csiIdentity: service(csi, 'csi.v1.Identity'),
      csiNode: service(csi, 'csi.v1.Node'),
      deviceRegistration: service(dev, 'v1beta1.Registration'),
      devicePlugin: service(dev, 'v1beta1.DevicePlugin'),
    };
  }
  return loaded;
}

/** A gRPC target for a unix socket path (an endpoint given as unix://… is kept). */
export function unixTarget(path: string): string {
  return path.startsWith('unix:') ? path : `unix://${path}`;
}

/** A client on a unix socket; no TLS (the socket's file mode is the access control). */
export function unixClient(ctor: ServiceClientCtor, socket: string): grpc.Client {
  return new ctor(unixTarget(socket), grpc.credentials.createInsecure(), { 'grpc.enable_retries': 0 });
}

/** One unary call with a deadline, as a promise. */
export function unary<Req, Res>(client: grpc.Client, method: string, request: Req, timeoutMs: number): Promise<Res> {
  const fn = (client as unknown as Record<string, (req: Req, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Res) => void) => void>)[method];
  if (typeof fn !== 'function') return Promise.reject(new Error(`gRPC method ${method} is missing`));
  return new Promise((resolve, reject) => {
    fn.call(client, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Waits until the channel is connected (the kubelet's blocking dial), or rejects after timeoutMs. */
export function waitForReady(client: grpc.Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())));
}

/** A gRPC error as Go's status error prints it: `rpc error: code = Unavailable desc = …`. */
export function grpcErrorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'number') {
    const e = err as grpc.ServiceError;
    const name = grpc.status[e.code] ?? String(e.code);
    const code = name.toLowerCase().split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
    return `rpc error: code = ${code} desc = ${e.details || e.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
