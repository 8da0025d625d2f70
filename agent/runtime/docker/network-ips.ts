// Pure: a container's own IP addresses from Docker's inspect NetworkSettings, the way
// cri-dockerd's getIPs falls back to Docker (core/sandbox_helpers.go: NetworkSettings.IPAddress,
// then GlobalIPv6Address). Those top-level fields hold only the default bridge's addresses;
// on a user-defined network (podNetwork: <name>) the address is in Networks[<name>].
import { sandboxNeedsIP, sortPodIPs } from '../../core/pod-ips.js';

interface EndpointJson {
  readonly IPAddress?: string;
  readonly GlobalIPv6Address?: string;
}

/** The part of inspect's NetworkSettings read here (dockerode's ContainerInspectInfo fits). */
export interface NetworkSettingsJson extends EndpointJson {
  readonly Networks?: Readonly<Record<string, EndpointJson | null | undefined>> | null;
}

/**
 * The addresses of a container with HostConfig.NetworkMode `networkMode`: the endpoint on that
 * network (Docker names the default bridge `bridge`, whatever the mode says), then the top-level
 * fields; IPv4 first, then IPv6, at most one of each. None on host, none and joined networks.
 */
export function networkIPs(networkMode: string, settings: NetworkSettingsJson | undefined): string[] {
  if (!settings || !sandboxNeedsIP(networkMode)) return [];
  const name = networkMode === 'default' ? 'bridge' : networkMode;
  const endpoint = settings.Networks?.[name] ?? undefined;
  const found = [endpoint?.IPAddress, endpoint?.GlobalIPv6Address, settings.IPAddress, settings.GlobalIPv6Address];
  return sortPodIPs(found.filter((ip): ip is string => ip !== undefined && ip !== ''));
}
