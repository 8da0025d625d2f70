#!/usr/bin/env bash
# Runs nodelet in the foreground on a copy of the bundled examples (manifests/examples, copied
# once to .cache/demo/manifests, which is the demo's manifest directory: add, edit or remove
# manifests there; `rollout undo`, `set image`... rewrite those copies, never the tracked
# examples), against the test harness's Docker Engine (an engine that already answers, or a
# private dockerd with local busybox/pause images; see test/engine/README.md). Ctrl-C stops
# the agent and, as on a real host, leaves the pods running; `npm run demo -- --clean`
# removes them, the state and the copy (the next demo starts from the examples again).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

state="${NODELET_DEMO_DIR:-$PWD/.cache/demo}"
node_name="${NODELET_DEMO_NODE:-demo}"

if [[ "${1:-}" == "--clean" ]]; then
  eval "$(bash test/engine/engine.sh env)"
  ids=$(docker ps -aq --filter "label=io.nodelet.node=$node_name")
  uids=""
  [[ -n "$ids" ]] && uids=$(docker inspect -f '{{index .Config.Labels "io.kubernetes.pod.uid"}}' $ids | sort -u)
  [[ -n "$ids" ]] && docker rm -f $ids >/dev/null
  # The pods' QoS cgroups (kubepods/[burstable|besteffort/]pod<uid>), now empty: the agent that
  # would remove them is stopped. rmdir only removes an empty cgroup.
  for uid in $uids; do
    for dir in /sys/fs/cgroup/*/kubepods/pod"$uid" /sys/fs/cgroup/*/kubepods/*/pod"$uid"; do
      [[ -d "$dir" ]] && rmdir "$dir" 2>/dev/null || true
    done
  done
  docker network rm nodelet-demo >/dev/null 2>&1 || true
  # subPath binds (and tmpfs emptyDirs) live under the state: unmount them, deepest first, and
  # never rm -rf across a mount point, which could reach a hostPath's files.
  if [[ -d "$state" ]]; then
    root="$(realpath "$state")"
    mounts_below() { awk -v r="$root/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r; }
    mounts_below | xargs -r -n1 umount -l 2>/dev/null || true
    if [[ -n "$(mounts_below)" ]]; then
      echo "demo: mounts remain below $root, not removing it:" >&2
      mounts_below >&2
      exit 1
    fi
  fi
  rm -rf "$state"
  echo "demo pods and state removed"
  exit 0
fi

[[ -f dist/agent/cli/bin.js ]] || npm run build
eval "$(bash test/engine/engine.sh up)"
mkdir -p "$state"
manifests="$state/manifests"
if [[ ! -d "$manifests" ]]; then
  # Mode 0755/0644, owned by whoever runs the demo: the agent refuses group- or
  # other-writable manifests (sshd's StrictModes). Only top-level files: the directory is
  # read non-recursively, as kubelet reads it.
  mkdir -m 0755 "$manifests.tmp.$$"
  find manifests/examples -maxdepth 1 -type f -name '*.yaml' -exec install -m 0644 -t "$manifests.tmp.$$" {} +
  mv "$manifests.tmp.$$" "$manifests"
fi
# Pods get real IPs: Docker's default bridge when the engine has one, otherwise (the private
# engine runs with --bridge=none) a bridge network of the demo's own inside 198.18.0.0/15.
pod_network=bridge
if ! docker network inspect bridge >/dev/null 2>&1; then
  pod_network=nodelet-demo
  docker network inspect "$pod_network" >/dev/null 2>&1 ||
    docker network create --driver bridge --subnet 198.18.254.0/24 "$pod_network" >/dev/null
fi
echo "nodelet demo: manifests in $manifests (a copy of manifests/examples), Docker at $DOCKER_HOST" >&2
echo "in another shell: node dist/agent/cli/bin.js --api-socket $state/nodelet.sock get pods" >&2
exec node --max-semi-space-size=4 dist/agent/cli/bin.js run \
  --manifest-dir "$manifests" \
  --state-dir "$state/state" \
  --root-dir "$state/kubelet" \
  --api-socket "$state/nodelet.sock" \
  --node-name "$node_name" \
  --pod-network "$pod_network" \
  --root-dir "$state/kubelet" \
  --pod-logs-dir "$state/log/pods" \
  --container-logs-dir "$state/log/containers" \
  --docker-host "$DOCKER_HOST" \
  "$@"
