// gRPC plugins of the tests' own, on unix sockets, with the protos nodelet ships
// (agent/plugins/protos): a small CSI driver (Identity GetPluginInfo/Probe, Node NodeGetInfo),
// a registrar (the Registration service a plugin serves in plugins_registry) for the watcher's
// failure paths, and a device plugin (ListAndWatch). Each records the calls it got.
import { rm } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { pluginServices, unary, unixClient } from '../../agent/plugins/grpc-api.js';

export interface GrpcTestServer {
  readonly calls: string[];
  close(): Promise<void>;
}

async function serve(socket: string, add: (server: grpc.Server) => void): Promise<grpc.Server> {
  await rm(socket, { force: true });
  const server = new grpc.Server();
  add(server);
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return server;
}

function closer(server: grpc.Server, socket: string): () => Promise<void> {
  return async () => {
    server.forceShutdown();
    await rm(socket, { force: true });
  };
}

export interface CsiPluginOptions {
  readonly name: string;
  readonly nodeId: string;
  readonly maxVolumesPerNode?: number;
  readonly topology?: Record<string, string>;
}

/** A CSI driver's controller-less node plugin, answering what registration asks. */
export async function startCsiPlugin(socket: string, opts: CsiPluginOptions): Promise<GrpcTestServer> {
  const calls: string[] = [];
  const s = pluginServices();
  const server = await serve(socket, (srv) => {
    srv.addService(s.csiIdentity.service, {
      GetPluginInfo: (_c: unknown, cb: grpc.sendUnaryData<object>) => {
        calls.push('GetPluginInfo');
        cb(null, { name: opts.name, vendor_version: '0.0.1', manifest: {} });
      },
      Probe: (_c: unknown, cb: grpc.sendUnaryData<object>) => {
        calls.push('Probe');
        cb(null, { ready: { value: true } });
      },
    });
    srv.addService(s.csiNode.service, {
      NodeGetInfo: (_c: unknown, cb: grpc.sendUnaryData<object>) => {
        calls.push('NodeGetInfo');
        cb(null, { node_id: opts.nodeId, max_volumes_per_node: String(opts.maxVolumesPerNode ?? 0), accessible_topology: opts.topology ? { segments: opts.topology } : null });
      },
    });
  });
  return { calls, close: closer(server, socket) };
}

export interface RegistrarInfo {
  readonly type: string;
  readonly name: string;
  readonly endpoint: string;
  readonly supported_versions: readonly string[];
}

export interface TestRegistrar extends GrpcTestServer {
  readonly notifications: { plugin_registered: boolean; error: string }[];
  /** Resolves at the next NotifyRegistrationStatus. */
  nextNotification(): Promise<{ plugin_registered: boolean; error: string }>;
}

/** A registration socket answering GetInfo with `info`, recording NotifyRegistrationStatus. */
export async function startRegistrar(socket: string, info: RegistrarInfo): Promise<TestRegistrar> {
  const calls: string[] = [];
  const notifications: { plugin_registered: boolean; error: string }[] = [];
  const waiters: ((n: { plugin_registered: boolean; error: string }) => void)[] = [];
  const server = await serve(socket, (srv) => {
    srv.addService(pluginServices().registration.service, {
      GetInfo: (_c: unknown, cb: grpc.sendUnaryData<object>) => {
        calls.push('GetInfo');
        cb(null, info);
      },
      NotifyRegistrationStatus: (call: grpc.ServerUnaryCall<{ plugin_registered: boolean; error: string }, object>, cb: grpc.sendUnaryData<object>) => {
        calls.push('NotifyRegistrationStatus');
        const n = { plugin_registered: call.request.plugin_registered, error: call.request.error };
        notifications.push(n);
        for (const w of waiters.splice(0)) w(n);
        cb(null, {});
      },
    });
  });
  return {
    calls,
    notifications,
    nextNotification: () => new Promise((resolve) => waiters.push(resolve)),
    close: closer(server, socket),
  };
}

/** A device plugin: serves ListAndWatch with `devices` (and later `update`s), and registers at kubelet.sock. */
export async function startDevicePlugin(socket: string, devices: { ID: string; health: string }[]): Promise<GrpcTestServer & { update(next: { ID: string; health: string }[]): void }> {
  const calls: string[] = [];
  const streams = new Set<grpc.ServerWritableStream<object, object>>();
  let current = devices;
  const server = await serve(socket, (srv) => {
    srv.addService(pluginServices().devicePlugin.service, {
      GetDevicePluginOptions: (_c: unknown, cb: grpc.sendUnaryData<object>) => cb(null, {}),
      ListAndWatch: (call: grpc.ServerWritableStream<object, object>) => {
        calls.push('ListAndWatch');
        streams.add(call);
        call.write({ devices: current });
        call.on('cancelled', () => streams.delete(call));
      },
    });
  });
  return {
    calls,
    update: (next) => {
      current = next;
      for (const s of streams) s.write({ devices: next });
    },
    close: async () => {
      for (const s of streams) s.end();
      await closer(server, socket)();
    },
  };
}

/** Register at the kubelet's device-plugins/kubelet.sock, as a device plugin does. */
export async function registerDevicePlugin(kubeletSocket: string, req: { version: string; endpoint: string; resource_name: string }): Promise<void> {
  const client = unixClient(pluginServices().deviceRegistration, kubeletSocket);
  try {
    await unary(client, 'Register', { ...req, options: {} }, 5000);
  } finally {
    client.close();
  }
}
