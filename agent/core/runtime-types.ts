// Types of the runtime side: what we ask Docker to run (ContainerSpec), what Docker says
// exists (ObservedPod, rebuilt from container labels), and the plan that links the two.
// Data only. The Docker adapter lowers ContainerSpec to dockerode options; the planner
// never sees dockerode types.

export const CONTAINER_ROLES = ['sandbox', 'init', 'sidecar', 'app'] as const;
/** sandbox = the pause container; sidecar = init container with restartPolicy Always. */
export type ContainerRole = (typeof CONTAINER_ROLES)[number];

export interface MountSpec {
  /** bind: a host path; volume: a Docker named volume (used for emptyDir medium Memory). */
  readonly kind: 'bind' | 'volume';
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** unset = rprivate (Docker's default), HostToContainer = rslave, Bidirectional = rshared. */
  readonly propagation?: 'rslave' | 'rshared';
  /**
   * A bind source the executor must create right before it creates the container, when
   * missing: 'file' = an empty file, mode 0666, parent directories 0750 (the termination-message
   * file). Docker's Binds would otherwise create a missing source as a root-owned directory.
   */
  readonly createIfMissing?: 'file';
  /**
   * Set for a `subPath`/`subPathExpr` mount: `source` is then the bind target under the pod
   * directory (`volume-subpaths/...`), which the executor must bind-mount from the subPath,
   * opened without following symlinks, before every start of the container. Never the joined
   * path itself: a container that writes to the volume could turn a component into a symlink.
   */
  readonly subPath?: SubPathSource;
}

/** kubelet's subpath.Subpath: what to resolve and bind for one subPath mount. */
export interface SubPathSource {
  /** The volume's host directory (kubelet's VolumePath), as configured (may hold symlinks). */
  readonly volumePath: string;
  /** The subPath after expansion, cleaned and relative ('.' for the volume itself), no '..'. */
  readonly subPath: string;
  /** The volumeMount's name (= the volume's name). */
  readonly volumeName: string;
  readonly containerName: string;
  /** Index of the mount in the container's volumeMounts. */
  readonly mountIndex: number;
}

export interface PortBinding {
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly hostPort: number;
  readonly hostIP?: string;
}

/**
 * Namespaces of a container. 'sandbox' means: join the pod's pause container, whose ID the
 * executor fills in when it lowers the spec (the sandbox may be created in the same pass).
 */
export interface NamespaceSpec {
  /** For the sandbox itself: 'host', 'none' or a Docker network name. Others: 'sandbox'. */
  readonly network: { readonly mode: 'host' } | { readonly mode: 'none' } | { readonly mode: 'network'; readonly name: string } | { readonly mode: 'sandbox' };
  readonly ipc: 'host' | 'shareable' | 'sandbox';
  /** 'private' = own PID namespace (the default); 'sandbox' = shareProcessNamespace. */
  readonly pid: 'host' | 'private' | 'sandbox';
}

export interface ResourceSpec {
  /** bytes; limits.memory */
  readonly memory?: number;
  /** microseconds per cpuPeriod; from limits.cpu */
  readonly cpuQuota?: number;
  readonly cpuPeriod?: number;
  /** from requests.cpu with kubelet's formula (min 2) */
  readonly cpuShares?: number;
}

/** SecuritySpec.seccomp value of a Localhost profile: `localhost/<absolute path>`; the Docker adapter reads the file. */
export const LOCALHOST_SECCOMP_PREFIX = 'localhost/';

export interface SecuritySpec {
  readonly privileged: boolean;
  readonly user?: string;
  readonly groupAdd: readonly string[];
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly readonlyRootfs: boolean;
  /** allowPrivilegeEscalation=false → no-new-privileges */
  readonly noNewPrivileges: boolean;
  /**
   * 'unconfined' (kubelet's default without seccompDefault, and Unconfined), or
   * `localhost/<absolute path>` for a Localhost profile (the Docker adapter reads the file and
   * passes its JSON); unset = Docker's default profile (RuntimeDefault).
   */
  readonly seccomp?: string;
  readonly sysctls: Readonly<Record<string, string>>;
}

/** The single translation target for one Docker container (podman's SpecGenerator role). */
export interface ContainerSpec {
  /** Docker container name, cri-dockerd style `k8s_<container>_<pod>_<ns>_<uid>_<attempt>`. */
  readonly dockerName: string;
  readonly image: string;
  /** pod `command` → Docker Entrypoint; undefined keeps the image's ENTRYPOINT. */
  readonly entrypoint?: readonly string[];
  /** pod `args` → Docker Cmd; undefined keeps the image's CMD. */
  readonly cmd?: readonly string[];
  /** `NAME=value`, in order. */
  readonly env: readonly string[];
  readonly workingDir?: string;
  readonly tty: boolean;
  readonly openStdin: boolean;
  readonly stdinOnce: boolean;
  readonly mounts: readonly MountSpec[];
  readonly namespaces: NamespaceSpec;
  /** Only on the sandbox: hostPort bindings of all containers of the pod. */
  readonly portBindings: readonly PortBinding[];
  /** Only on the sandbox (UTS and DNS belong to the pod). */
  readonly hostname?: string;
  readonly domainname?: string;
  readonly dns?: { readonly servers: readonly string[]; readonly searches: readonly string[]; readonly options: readonly string[] };
  /** `host:ip` entries for /etc/hosts (hostAliases). */
  readonly extraHosts: readonly string[];
  readonly resources: ResourceSpec;
  readonly security: SecuritySpec;
  /** Seconds Docker waits between SIGTERM and SIGKILL when we stop it. */
  readonly stopTimeout: number;
  readonly labels: Readonly<Record<string, string>>;
  /** HostConfig.CgroupParent: the pod's QoS cgroup (qos/cgroup-names.ts); unset = Docker's default. */
  readonly cgroupParent?: string;
  /** HostConfig.OomScoreAdj (qos/oom-score.ts); unset = inherit (0). */
  readonly oomScoreAdj?: number;
}

export type ObservedState = 'created' | 'running' | 'exited' | 'unknown';

/** One Docker container that carries nodelet's labels, decoded from labels + inspect. */
export interface ObservedContainer {
  readonly id: string;
  /** Kubernetes container name, `POD` for the sandbox. */
  readonly name: string;
  readonly role: ContainerRole;
  readonly podUid: string;
  readonly podName: string;
  readonly podNamespace: string;
  /** ID of the sandbox this container joined (empty for the sandbox itself). */
  readonly sandboxId: string;
  readonly state: ObservedState;
  readonly specHash: string;
  /** Attempt number (restart count of this container name in this pod). */
  readonly restartCount: number;
  readonly image: string;
  readonly imageId?: string;
  readonly exitCode?: number;
  readonly oomKilled?: boolean;
  /** Docker's State.Error (e.g. a start failure). */
  readonly error?: string;
  /** ms since epoch */
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** The init process's host PID while running (Docker's State.Pid): where stats find the cgroups and netns. */
  readonly pid?: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Docker's HostConfig.NetworkMode (`host`, `none`, a network name, `container:<id>`). */
  readonly networkMode?: string;
  /**
   * The container's own addresses on its network (a sandbox's pod IPs), IPv4 before IPv6, read
   * with the inspect: empty on host, none and joined networks, and when the network gave none.
   */
  readonly ips?: readonly string[];
}

/** Everything Docker holds for one pod UID (all instances, newest first per name). */
export interface ObservedPod {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly sandboxes: readonly ObservedContainer[];
  readonly containers: readonly ObservedContainer[];
}

/** `Unknown`: kubelet's reasonUnknown, a container in the created/unknown state killed before it is restarted. */
export type KillReason = 'SpecChanged' | 'PodRemoved' | 'SandboxChanged' | 'LivenessProbe' | 'StartupProbe' | 'PodCompleted' | 'PodFailed' | 'Orphaned' | 'Unknown';

/** Plan produced by the pure planner (sync/plan.ts) and carried out by sync/execute.ts. */
export type PodAction =
  /** Stop every container of the pod (apps in parallel, then sidecars in reverse order), then the sandbox. */
  | { readonly type: 'killPod'; readonly reason: KillReason; readonly message: string; readonly graceSeconds: number }
  /** Check/create hostPaths and emptyDirs; must succeed before any container starts. */
  | { readonly type: 'prepareVolumes' }
  | { readonly type: 'createSandbox'; readonly attempt: number }
  | { readonly type: 'startContainer'; readonly container: string; readonly role: Exclude<ContainerRole, 'sandbox'>; readonly restartCount: number }
  | { readonly type: 'killContainer'; readonly containerId: string; readonly container: string; readonly reason: KillReason; readonly message: string; readonly graceSeconds: number }
  /** Remove dead containers that are no longer needed (older attempts, dead sandboxes). */
  | { readonly type: 'removeContainers'; readonly containerIds: readonly string[] }
  /** After a pod is gone: remove its containers, sandbox and emptyDirs. */
  | { readonly type: 'cleanupPod' }
  /** Nothing to do for `container` until `until` (CrashLoopBackOff); the worker re-queues. */
  | { readonly type: 'backoff'; readonly container: string; readonly until: number; readonly message: string };

export interface PodPlan {
  readonly uid: string;
  readonly actions: readonly PodAction[];
  /** When the worker should look again even without an event (earliest backoff expiry). */
  readonly requeueAt?: number;
}

/**
 * Newest first among instances of one container name (or sandboxes): attempt number, then
 * creation time. kubelet sorts by CreatedAt, but that is Docker's wall clock: after a backward
 * step the newest instance would look an hour old (and a fresh sandbox older than the dead one
 * it replaced). Attempt numbers never go backwards: a start takes the highest one + 1. Ties
 * (same attempt, same millisecond) fall back to the ID, so every sort gives one order.
 */
export function newestInstanceFirst(a: ObservedContainer, b: ObservedContainer): number {
  return b.restartCount - a.restartCount || b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
