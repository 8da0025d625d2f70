#!/usr/bin/env bash
# Installs nodelet on this host as a systemd service. Run as root from a built checkout
# (`npm ci && npm run build`) or from an unpacked bundle (scripts/bundle.sh):
#
#   sudo scripts/install.sh [--no-start] [--node /path/to/node]
#
#   /usr/local/lib/nodelet            the agent: dist/, package.json, production node_modules
#   /usr/local/bin/nodelet            the `nodelet` command (runs it with the Node.js checked here)
#   /etc/nodelet/config.yaml          commented example; an existing file is never overwritten
#   /etc/kubernetes/manifests/        the manifest directory
#   /etc/systemd/system/nodelet.service, enabled and started (restarted on an upgrade)
#
# Idempotent: run it again to upgrade or repair; an unchanged install is left alone. Restarting
# nodelet never stops pods. See README.md, "Install on a host"; scripts/uninstall.sh undoes it.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIB_DIR=/usr/local/lib/nodelet
COMMAND=/usr/local/bin/nodelet
CONFIG_DIR=/etc/nodelet
CONFIG_FILE=$CONFIG_DIR/config.yaml
MANIFEST_DIR=/etc/kubernetes/manifests
UNIT_FILE=/etc/systemd/system/nodelet.service
# The marker uninstall.sh looks for before it removes the command.
COMMAND_MARKER='# Installed by nodelet scripts/install.sh'
START_WAIT=${NODELET_INSTALL_WAIT:-90}
# What this run changed (set by the steps below; a restart is needed only when something did).
TREE_CHANGED=0
COMMAND_CHANGED=0

log() { printf 'nodelet install: %s\n' "$*" >&2; }
die() { printf 'nodelet install: error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit "${1:-0}"
}

START=1
NODE=
while (($# > 0)); do
  case $1 in
    --no-start) START=0; shift ;;
    --node) NODE=${2:?--node needs the path of a node binary}; shift 2 ;;
    --node=*) NODE=${1#--node=}; shift ;;
    -h | --help) usage 0 ;;
    *) log "unknown argument: $1"; usage 2 ;;
  esac
done

# --- Node.js ------------------------------------------------------------------------------

# The minimum comes from package.json's engines.node (">=20.19").
required_node() {
  local v
  v=$(sed -nE 's/^[[:space:]]*"node":[[:space:]]*">=[[:space:]]*([0-9]+(\.[0-9]+){0,2})".*/\1/p' "$SRC/package.json" | head -n 1)
  printf '%s\n' "${v:-20.19}"
}

# True when version $1 (x.y.z) is at least $2 (x.y[.z]).
version_at_least() {
  local IFS=.
  local -a have=($1) want=($2)
  local i
  for i in 0 1 2; do
    local h=${have[i]:-0} w=${want[i]:-0}
    ((10#$h > 10#$w)) && return 0
    ((10#$h < 10#$w)) && return 1
  done
  return 0
}

check_node() {
  local required version
  required=$(required_node)
  if [[ -z $NODE ]]; then
    NODE=$(command -v node || true)
    [[ -n $NODE ]] || die "Node.js is not installed (no \`node\` in PATH). nodelet needs Node.js $required or later: install it (from your distribution if it is recent enough, or from nodejs.org), then run this again, or pass --node /path/to/node."
  fi
  [[ -x $NODE ]] || die "$NODE is not an executable Node.js binary"
  NODE=$(readlink -f "$NODE")
  version=$("$NODE" -e 'process.stdout.write(process.versions.node)' 2>/dev/null) ||
    die "$NODE does not run; nodelet needs Node.js $required or later"
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "cannot tell the version of $NODE (got '$version')"
  version_at_least "$version" "$required" ||
    die "Node.js $version at $NODE is too old: nodelet needs Node.js $required or later. Upgrade Node.js, or pass --node /path/to/a/newer/node."
  log "using Node.js $version ($NODE)"
}

# --- the agent ------------------------------------------------------------------------------

# Copies what nodelet runs from into $1, with production dependencies only.
stage_tree() {
  local stage=$1
  mkdir -p "$stage"
  cp -a "$SRC/package.json" "$stage/"
  if [[ -f $SRC/package-lock.json ]]; then cp -a "$SRC/package-lock.json" "$stage/"; fi
  mkdir -p "$stage/dist"
  # dist/manifests holds the JSON schema tsc copies next to the code that imports it.
  cp -a "$SRC/dist/agent" "$stage/dist/"
  if [[ -d $SRC/dist/manifests ]]; then cp -a "$SRC/dist/manifests" "$stage/dist/"; fi
  local extra
  for extra in manifests systemd README.md LICENSE; do
    if [[ -e $SRC/$extra ]]; then cp -a "$SRC/$extra" "$stage/"; fi
  done
  mkdir -p "$stage/scripts"
  cp -a "$SRC/scripts/uninstall.sh" "$stage/scripts/"
  local npm
  npm=$(command -v npm || true)
  if [[ -d $SRC/node_modules ]]; then
    cp -a "$SRC/node_modules" "$stage/"
    # Drops devDependencies (vitest, typescript, ...) without the network.
    if [[ -n $npm ]]; then
      (cd "$stage" && "$npm" prune --omit=dev --offline --ignore-scripts --no-audit --no-fund --loglevel=error >&2) ||
        die "npm prune --omit=dev failed in $stage"
    fi
  elif [[ -n $npm ]]; then
    log "no node_modules in $SRC: installing the production dependencies with npm ci"
    (cd "$stage" && "$npm" ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2) ||
      die "npm ci --omit=dev failed in $stage"
  else
    die "$SRC has no node_modules and npm is not available: run \`npm ci\` there first, or install from a bundle made by scripts/bundle.sh"
  fi
}

# A fingerprint of an installed tree: equal fingerprints mean nothing to upgrade.
tree_id() {
  (cd "$1" && find package.json package-lock.json dist systemd node_modules -type f 2>/dev/null | LC_ALL=C sort | xargs -d '\n' sha256sum) |
    sha256sum | cut -c1-16
}

install_tree() {
  [[ -f $SRC/dist/agent/cli/bin.js ]] || die "nodelet is not built: run \`npm ci && npm run build\` in $SRC first"
  [[ -f $SRC/systemd/nodelet.service ]] || die "$SRC/systemd/nodelet.service is missing"
  local parent stage
  parent=$(dirname "$LIB_DIR")
  mkdir -p "$parent"
  # Staged next to the target, so the swap below is two renames on one filesystem.
  stage=$(mktemp -d "$parent/.nodelet-stage.XXXXXX")
  # shellcheck disable=SC2064 # expanded now: $stage is local
  trap "rm -rf '$stage'" EXIT
  stage_tree "$stage"
  "$NODE" "$stage/dist/agent/cli/bin.js" --version >/dev/null ||
    die "the staged nodelet does not start with $NODE; nothing was changed"
  if [[ -d $LIB_DIR ]] && [[ $(tree_id "$LIB_DIR") == "$(tree_id "$stage")" ]]; then
    log "$LIB_DIR is up to date"
    rm -rf "$stage"
    trap - EXIT
    return 0
  fi
  chmod 0755 "$stage"
  rm -rf "$LIB_DIR.old"
  if [[ -d $LIB_DIR ]]; then mv "$LIB_DIR" "$LIB_DIR.old"; fi
  mv "$stage" "$LIB_DIR"
  trap - EXIT
  rm -rf "$LIB_DIR.old"
  TREE_CHANGED=1
  log "installed $LIB_DIR ($("$NODE" "$LIB_DIR/dist/agent/cli/bin.js" --version))"
}

install_command() {
  mkdir -p "$(dirname "$COMMAND")"
  if [[ -e $COMMAND || -L $COMMAND ]] && ! grep -qF "$COMMAND_MARKER" "$COMMAND" 2>/dev/null; then
    log "replacing $COMMAND, which another installation made"
    rm -f "$COMMAND"
  fi
  # A wrapper, not a symlink to bin.js: `#!/usr/bin/env node` would pick whatever node comes
  # first in PATH, which under systemd may be an older one than the node checked above.
  local content tmp
  # The V8 flags are agent/cli/node-flags.ts's AGENT_NODE_FLAGS (memory after a burst of pod starts).
  content=$(printf '#!/bin/sh\n%s; runs nodelet with the Node.js it was installed with.\nexec %q --max-semi-space-size=4 %q "$@"' \
    "$COMMAND_MARKER" "$NODE" "$LIB_DIR/dist/agent/cli/bin.js")
  if [[ -f $COMMAND ]] && [[ $(cat "$COMMAND") == "$content" ]]; then
    chmod 0755 "$COMMAND"
    return 0
  fi
  tmp=$(mktemp "$COMMAND.XXXXXX")
  printf '%s\n' "$content" >"$tmp"
  chmod 0755 "$tmp"
  mv "$tmp" "$COMMAND"
  COMMAND_CHANGED=1
  log "installed $COMMAND"
}

install_config() {
  mkdir -p "$CONFIG_DIR"
  chmod 0755 "$CONFIG_DIR"
  # nodelet refuses a manifest directory that group or others can write (manifest trust):
  # create it (and its parent) 0755 whatever the umask; an existing one is left as it is.
  if [[ ! -d $MANIFEST_DIR ]]; then
    [[ -d $(dirname "$MANIFEST_DIR") ]] || install -d -m 0755 "$(dirname "$MANIFEST_DIR")"
    install -d -m 0755 "$MANIFEST_DIR"
    log "created $MANIFEST_DIR (0755)"
  fi
  if [[ -e $CONFIG_FILE ]]; then
    log "keeping the existing $CONFIG_FILE"
  else
    install -m 0644 "$LIB_DIR/systemd/config.yaml.example" "$CONFIG_FILE"
    log "installed $CONFIG_FILE (all settings commented out: the defaults apply)"
  fi
}

# --- the API socket groups ---------------------------------------------------------------

# The group names (not gids) $CONFIG_FILE gives for the API sockets, one a line: apiSocketGroup
# (root-equivalent: exec in any pod, manifest edits) and apiReadOnlySocketGroup (reads only).
config_groups() {
  [[ -f $CONFIG_FILE ]] || return 0
  "$NODE" -e '
    const yaml = require(process.argv[1] + "/node_modules/js-yaml");
    const c = yaml.load(require("fs").readFileSync(process.argv[2], "utf8")) || {};
    for (const key of ["apiSocketGroup", "apiReadOnlySocketGroup"]) {
      const g = c[key];
      if (typeof g === "string" && g !== "" && !/^[0-9]+$/.test(g)) console.log(g);
    }' "$LIB_DIR" "$CONFIG_FILE" || die "cannot read the API socket groups from $CONFIG_FILE"
}

# nodelet refuses to start with a socket group that does not exist: create the missing ones as
# system groups (with no members: adding users is the administrator's decision).
ensure_groups() {
  local groups group
  groups=$(config_groups) || exit 1
  while IFS= read -r group; do
    [[ -n $group ]] || continue
    [[ $group =~ ^[a-z_][a-z0-9_-]*[$]?$ ]] || die "$CONFIG_FILE: \"$group\" is not a valid group name"
    getent group "$group" >/dev/null && continue
    groupadd --system "$group" || die "cannot create the group $group"
    log "created the system group $group (named in $CONFIG_FILE; add users with: usermod -aG $group USER)"
  done <<<"$groups"
}

# --- the service --------------------------------------------------------------------------

systemd_running() { [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; }

# Waits until the service is active (READY=1: the first sync is done), failed, or time is up.
wait_for_service() {
  local deadline=$((SECONDS + START_WAIT)) state status
  while :; do
    state=$(systemctl show -p ActiveState --value nodelet.service)
    status=$(systemctl show -p StatusText --value nodelet.service)
    case $state in
      active) log "nodelet is running: ${status:-active}"; return 0 ;;
      failed)
        journalctl -u nodelet.service -n 30 --no-pager >&2 || true
        die "nodelet.service failed to start (see above, or: journalctl -u nodelet)" ;;
    esac
    if ((SECONDS >= deadline)); then
      log "nodelet is still starting after ${START_WAIT}s (${status:-$state}); the first sync may be pulling images. Follow it with: journalctl -u nodelet -f"
      return 0
    fi
    sleep 1
  done
}

install_service() {
  local unit_changed=0
  install -d -m 0755 "$(dirname "$UNIT_FILE")"
  if ! cmp -s "$LIB_DIR/systemd/nodelet.service" "$UNIT_FILE"; then
    install -m 0644 "$LIB_DIR/systemd/nodelet.service" "$UNIT_FILE"
    unit_changed=1
    log "installed $UNIT_FILE"
  fi
  if ! systemd_running; then
    log "systemd is not running here: the unit is installed but not started. Start nodelet by hand: $COMMAND run"
    return 0
  fi
  if ((unit_changed)); then systemctl daemon-reload; fi
  systemctl enable --quiet nodelet.service
  ((START)) || { log "enabled nodelet.service; not started (--no-start)"; return 0; }
  if systemctl is-active --quiet nodelet.service; then
    if ((TREE_CHANGED || COMMAND_CHANGED || unit_changed)); then
      log "restarting nodelet.service to run the new version (pods keep running)"
      systemctl restart --no-block nodelet.service
    else
      log "nodelet.service is running and up to date"
      return 0
    fi
  else
    log "starting nodelet.service"
    systemctl start --no-block nodelet.service
  fi
  wait_for_service
}

check_docker() {
  if ! command -v dockerd >/dev/null 2>&1 && [[ ! -S /var/run/docker.sock ]]; then
    log "warning: no Docker Engine found (no dockerd, no /var/run/docker.sock); nodelet will wait for one. Set dockerHost in $CONFIG_FILE if it lives elsewhere."
  fi
}

main() {
  # Node.js first: the answer helps even before sudo.
  check_node
  [[ $(id -u) == 0 ]] || die "run as root: sudo $0"
  install_tree
  install_command
  install_config
  ensure_groups
  check_docker
  install_service
  log "done. Manifests go into $MANIFEST_DIR; settings into $CONFIG_FILE (then: systemctl reload nodelet)"
}

main
