#!/usr/bin/env bash
# Removes what scripts/install.sh installed. Run as root:
#
#   sudo scripts/uninstall.sh [--purge] [--purge-containers]
#   (installed copy: sudo /usr/local/lib/nodelet/scripts/uninstall.sh)
#
# Stops and disables nodelet.service, then removes the unit, /usr/local/lib/nodelet and the
# `nodelet` command. /etc/nodelet/config.yaml goes when it is still the untouched example;
# /etc/kubernetes/manifests goes when it is empty. Pod containers keep running: they are
# Docker's, and nodelet stopping never stops them.
#
#   --purge             also remove /etc/nodelet (an edited config too), the unit's drop-ins
#                       (/etc/systemd/system/nodelet.service.d) and the state in /var/lib/nodelet
#   --purge-containers  also remove every container and volume labelled io.nodelet.managed=true
#                       (all of nodelet's pods on this Docker Engine), with the docker CLI
#
# Manifests are never deleted: a non-empty /etc/kubernetes/manifests stays, as it may be shared.
set -euo pipefail

LIB_DIR=/usr/local/lib/nodelet
COMMAND=/usr/local/bin/nodelet
CONFIG_DIR=/etc/nodelet
CONFIG_FILE=$CONFIG_DIR/config.yaml
MANIFEST_DIR=/etc/kubernetes/manifests
STATE_DIR=/var/lib/nodelet
RUNTIME_DIR=/run/nodelet
UNIT_FILE=/etc/systemd/system/nodelet.service
DROPIN_DIR=/etc/systemd/system/nodelet.service.d
COMMAND_MARKER='# Installed by nodelet scripts/install.sh'
MANAGED_LABEL=io.nodelet.managed=true

log() { printf 'nodelet uninstall: %s\n' "$*" >&2; }
die() { printf 'nodelet uninstall: error: %s\n' "$*" >&2; exit 1; }

PURGE=0
PURGE_CONTAINERS=0
while (($# > 0)); do
  case $1 in
    --purge) PURGE=1 ;;
    --purge-containers) PURGE_CONTAINERS=1 ;;
    -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

[[ $(id -u) == 0 ]] || die "run as root: sudo $0"

systemd_running() { [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; }

remove_service() {
  if systemd_running; then
    if systemctl cat nodelet.service >/dev/null 2>&1; then
      # KillMode=mixed and nodelet's own SIGTERM handling leave every container running.
      systemctl disable --now --quiet nodelet.service || true
      log "stopped and disabled nodelet.service (pod containers keep running)"
    fi
  fi
  if [[ -e $UNIT_FILE ]]; then
    rm -f "$UNIT_FILE"
    log "removed $UNIT_FILE"
  fi
  if ((PURGE)) && [[ -d $DROPIN_DIR ]]; then
    rm -rf "$DROPIN_DIR"
    log "removed $DROPIN_DIR"
  fi
  if systemd_running; then
    systemctl daemon-reload
    systemctl reset-failed nodelet.service >/dev/null 2>&1 || true
  fi
}

remove_config() {
  if ((PURGE)); then
    [[ -d $CONFIG_DIR ]] && { rm -rf "$CONFIG_DIR"; log "removed $CONFIG_DIR"; }
    return 0
  fi
  if [[ -f $CONFIG_FILE ]]; then
    if [[ -f $LIB_DIR/systemd/config.yaml.example ]] && cmp -s "$CONFIG_FILE" "$LIB_DIR/systemd/config.yaml.example"; then
      rm -f "$CONFIG_FILE"
      log "removed $CONFIG_FILE (it was the unchanged example)"
    else
      log "kept $CONFIG_FILE: it was edited (--purge removes it)"
    fi
  fi
  rmdir "$CONFIG_DIR" 2>/dev/null || true
}

remove_program() {
  if [[ -e $COMMAND || -L $COMMAND ]]; then
    if grep -qF "$COMMAND_MARKER" "$COMMAND" 2>/dev/null; then
      rm -f "$COMMAND"
      log "removed $COMMAND"
    else
      log "kept $COMMAND: install.sh did not write it"
    fi
  fi
  if [[ -d $LIB_DIR ]]; then
    rm -rf "$LIB_DIR" "$LIB_DIR.old"
    log "removed $LIB_DIR"
  fi
}

# Unmounts everything mounted at or below $1, deepest first: nodelet bind-mounts every subPath
# under <stateDir>/pods/<uid>/volume-subpaths, and such a bind may show a hostPath's data.
unmount_below() {
  local dir=$1 target
  while IFS= read -r target; do
    [[ -n $target ]] || continue
    umount "$target" 2>/dev/null || umount --lazy "$target" 2>/dev/null || log "could not unmount $target"
  done < <(awk -v d="$dir" '{ t = $5; if (t == d || index(t, d "/") == 1) print t }' /proc/self/mountinfo | sort -r)
}

remove_dirs() {
  rm -rf "$RUNTIME_DIR"
  if ((PURGE)) && [[ -d $STATE_DIR ]]; then
    unmount_below "$STATE_DIR"
    # --one-file-system: never delete through a mount that could not be undone.
    rm -rf --one-file-system "$STATE_DIR"
    log "removed $STATE_DIR"
  fi
  if [[ -d $MANIFEST_DIR ]]; then
    if rmdir "$MANIFEST_DIR" 2>/dev/null; then
      log "removed the empty $MANIFEST_DIR"
      rmdir "$(dirname "$MANIFEST_DIR")" 2>/dev/null || true
    else
      log "kept $MANIFEST_DIR: it holds manifests"
    fi
  fi
}

purge_containers() {
  command -v docker >/dev/null 2>&1 || die "--purge-containers needs the docker CLI"
  local ids volumes
  ids=$(docker ps --all --quiet --filter "label=$MANAGED_LABEL")
  if [[ -n $ids ]]; then
    # shellcheck disable=SC2086 # one id per word
    docker rm --force --volumes $ids >/dev/null
    log "removed $(wc -w <<<"$ids") container(s) labelled $MANAGED_LABEL"
  else
    log "no container labelled $MANAGED_LABEL"
  fi
  volumes=$(docker volume ls --quiet --filter "label=$MANAGED_LABEL")
  if [[ -n $volumes ]]; then
    # shellcheck disable=SC2086
    docker volume rm --force $volumes >/dev/null
    log "removed $(wc -w <<<"$volumes") volume(s) labelled $MANAGED_LABEL"
  fi
}

main() {
  remove_service
  # The example to compare config.yaml with lives in $LIB_DIR: config first, program after.
  remove_config
  remove_program
  # Containers first: their state (emptyDirs, subPath binds) goes with --purge after them.
  if ((PURGE_CONTAINERS)); then
    purge_containers
  else
    log "pod containers were left running (--purge-containers removes them)"
  fi
  remove_dirs
  log "done"
}

main
