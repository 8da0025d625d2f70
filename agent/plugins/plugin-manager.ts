// Plugin registration for the agent: the kubelet root directory's plugin directories, the
// plugin watcher on plugins_registry/ with the CSI handler, and the device plugin Registration
// server on device-plugins/kubelet.sock. The node status and the API server reporter read
// state(); onChange tells them when it changed.
import type { Logger } from '../log/logger.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { CsiDrivers } from './csi-handler.js';
import { DeviceManager } from './device-manager.js';
import type { KubeletDirs } from './kubelet-dirs.js';
import type { NodePluginState } from './node-plugins.js';
import { PluginWatcher, type PluginHandler } from './plugin-watcher.js';
import { PLUGIN_TYPE } from './registration.js';

export class PluginManager {
  readonly csi: CsiDrivers;
  readonly devices: DeviceManager;
  readonly watcher: PluginWatcher;
  readonly #dirs: KubeletDirs;
  readonly #log: Logger;

  constructor(deps: { dirs: KubeletDirs; clock: Pick<Clock, 'monotonic' | 'setInterval'>; logger: Logger }) {
    this.#dirs = deps.dirs;
    this.#log = deps.logger;
    this.csi = new CsiDrivers({ logger: deps.logger });
    this.devices = new DeviceManager({ dir: deps.dirs.devicePlugins, logger: deps.logger });
    this.watcher = new PluginWatcher({ dir: deps.dirs.pluginsRegistry, handlers: new Map<string, PluginHandler>([
        [PLUGIN_TYPE.csi, this.csi],
        [PLUGIN_TYPE.device, this.devices],
      ]), clock: deps.clock, logger: deps.logger });
  }

  /** A failure here is logged, never fatal: pods run without plugins. */
  async start(): Promise<void> {
    try {
      await this.devices.start();
    } catch (err) {
      this.#log.error({ path: this.#dirs.devicePlugins, err: errorMessage(err) }, 'device plugin registration is off');
    }
    try {
      await this.watcher.start();
    } catch (err) {
      this.#log.error({ path: this.#dirs.pluginsRegistry, err: errorMessage(err) }, 'plugin registration is off');
    }
  }

  async stop(): Promise<void> {
    this.watcher.stop();
    await this.devices.stop();
  }

  state(): NodePluginState {
    return { csiDrivers: this.csi.list(), deviceResources: this.devices.resources() };
  }

  onChange(listener: () => void): void {
    this.csi.onChange(listener);
    this.devices.onChange(listener);
  }
}
