#!/usr/bin/env bash
# Makes a real Docker Engine available to nodelet's tests, demo and benchmarks.
#
#   engine.sh up [--lease PID]   ensure an engine answers and the local images exist;
#                                prints `export DOCKER_HOST=...` lines on stdout
#   engine.sh release PID        drop a test run's lease; stops the private engine when the
#                                last lease goes and a test run (not a person) started it
#   engine.sh down [--force]     stop the private engine (never an engine we did not start;
#                                without --force, not while a test run holds a lease)
#   engine.sh restart --lease PID  restart the private engine under a test run's pods, only
#                                when a test run started it and PID's run is its only user;
#                                otherwise exit 3 and touch nothing (a person's engine stays up)
#   engine.sh env                print `export DOCKER_HOST=...` for the engine `up` would use
#   engine.sh status             human-readable state
#
# An engine that already answers ($DOCKER_HOST, else /var/run/docker.sock) is used as is.
# Otherwise, as root, docker.io and busybox-static are installed when missing and a private
# dockerd is started with all of its state in $NODELET_ENGINE_DIR. See test/engine/README.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Everything of the private engine lives in one directory outside the checkout: its overlay
# mounts and root-owned files must not be walked by grep/editors or removed by `git clean`.
ENGINE_DIR=${NODELET_ENGINE_DIR:-/var/lib/nodelet-test-engine}
DATA_ROOT=$ENGINE_DIR/data
EXEC_ROOT=$ENGINE_DIR/run       # short on purpose: containerd puts unix sockets below it
SOCKET=$ENGINE_DIR/docker.sock
PIDFILE=$ENGINE_DIR/dockerd.pid
LOGFILE=$ENGINE_DIR/dockerd.log
CONFIG_FILE=$ENGINE_DIR/daemon.json
LEASE_DIR=$ENGINE_DIR/leases
AUTO_STOP_MARKER=$ENGINE_DIR/auto-stop   # present when a test run (not a person) started it
LOCKFILE=$ENGINE_DIR/lock
PRIVATE_HOST=unix://$SOCKET
SYSTEM_HOST=unix:///var/run/docker.sock

START_TIMEOUT=${NODELET_ENGINE_START_TIMEOUT:-60}
STOP_TIMEOUT=${NODELET_ENGINE_STOP_TIMEOUT:-30}
PING_TIMEOUT=5

log() { printf 'engine: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

now_ms() { date +%s%3N; }

# --- probing ----------------------------------------------------------------------------

# True when the engine at $1 (a DOCKER_HOST value) answers an API request.
engine_answers() {
  local host=$1
  if command -v docker >/dev/null 2>&1; then
    DOCKER_HOST=$host DOCKER_CONTEXT='' timeout "$PING_TIMEOUT" \
      docker version --format '{{.Server.Version}}' >/dev/null 2>&1
  elif command -v curl >/dev/null 2>&1 && [[ $host == unix://* ]]; then
    [[ $(timeout "$PING_TIMEOUT" curl -fsS --unix-socket "${host#unix://}" http://localhost/_ping 2>/dev/null) == OK ]]
  else
    return 1
  fi
}

# Prints the pid of the private dockerd when it runs; a pidfile naming any other process
# (a crash, then pid reuse) is stale and removed.
private_pid() {
  [[ -f $PIDFILE ]] || return 1
  local pid
  pid=$(tr -dc '0-9' <"$PIDFILE")
  if [[ -n $pid ]] && is_ours "$pid" dockerd; then
    printf '%s\n' "$pid"
    return 0
  fi
  log "removing stale pidfile $PIDFILE (pid ${pid:-?} is not our dockerd)"
  rm -f "$PIDFILE"
  return 1
}

# True when process $1 runs binary $2 with our engine directory on its command line.
# Judged by the program name (argv[0]), so a `grep dockerd $ENGINE_DIR/...` is never taken for it.
is_ours() {
  local pid=$1 name=$2 program cmdline
  program=$(head -z -n 1 "/proc/$pid/cmdline" 2>/dev/null | tr -d '\0') || return 1
  [[ ${program##*/} == "$name" ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$ENGINE_DIR/"* ]]
}

# Pids of every process started for the private engine (dockerd, containerd, shims).
our_processes() {
  local file pid program
  # One grep narrows /proc to the few command lines that mention our directory.
  for file in $(grep -lsF -- "$ENGINE_DIR/" /proc/[0-9]*/cmdline); do
    pid=${file#/proc/}
    pid=${pid%/cmdline}
    program=$(head -z -n 1 "$file" 2>/dev/null | tr -d '\0') || continue
    case ${program##*/} in
      dockerd) is_ours "$pid" dockerd && printf '%s\n' "$pid" ;;
      containerd) is_ours "$pid" containerd && printf '%s\n' "$pid" ;;
      containerd-shim*) is_ours "$pid" "${program##*/}" && printf '%s\n' "$pid" ;;
    esac
  done
  return 0
}

# The DOCKER_HOST of an engine we did not start, when one answers.
external_host() {
  # Pointing DOCKER_HOST at the private engine (after `eval "$(engine.sh env)"`) selects it.
  [[ ${DOCKER_HOST:-} == "$PRIVATE_HOST" ]] && return 1
  if [[ -n ${DOCKER_HOST:-} ]]; then
    engine_answers "$DOCKER_HOST" && { printf '%s\n' "$DOCKER_HOST"; return 0; }
    log "DOCKER_HOST=$DOCKER_HOST does not answer"
  fi
  if [[ -S /var/run/docker.sock ]] && engine_answers "$SYSTEM_HOST"; then
    printf '%s\n' "$SYSTEM_HOST"
    return 0
  fi
  return 1
}

print_env() {
  printf "export DOCKER_HOST='%s'\n" "$1"
  printf "export NODELET_ENGINE_KIND='%s'\n" "$2"
}

# --- installing -------------------------------------------------------------------------

package_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

# Lists what `ensure_packages` must install; $1 = docker when the engine is ours to start.
missing_packages() {
  local missing=()
  if [[ $1 == docker ]]; then
    command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  fi
  # NODELET_BUSYBOX names another static busybox for images.sh.
  [[ -n ${NODELET_BUSYBOX:-} ]] || package_installed busybox-static || missing+=(busybox-static)
  # The image-pull tests run a real registry (distribution) with htpasswd auth.
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
  # kubectl port-forward reaches a pod's port through nsenter (agent/runtime/netns-forward.ts).
  command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
  printf '%s\n' "${missing[@]}"
}

ensure_packages() {
  local missing
  mapfile -t missing < <(missing_packages "${1:-}" | sed '/^$/d')
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || die "missing ${missing[*]}; install them as root or run: sudo bash $0 up"
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and apt-get is not available"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  # Package lists are refreshed only when needed: a clean CI image has none, a dev box has fresh ones.
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || ! "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2; then
    "${apt[@]}" update >&2
    "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2
  fi
}

# --- private dockerd --------------------------------------------------------------------

# containerd's own pidfile survives a killed dockerd; a new dockerd adopts whatever pid it
# names, so a pid that is no longer our containerd must not be left there.
clean_stale_containerd_pidfile() {
  local file=$EXEC_ROOT/containerd/containerd.pid pid
  [[ -f $file ]] || return 0
  pid=$(tr -dc '0-9' <"$file")
  if [[ -z $pid ]] || ! is_ours "$pid" containerd; then
    rm -f "$file"
  fi
}

start_private() {
  [[ $(id -u) == 0 ]] || die "no Docker Engine answers and starting one needs root: sudo bash $0 up, then eval \"\$(bash $0 env)\""
  ensure_packages docker
  mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
  # Our own (empty) config file: /etc/docker/daemon.json may set hosts or a bridge.
  [[ -f $CONFIG_FILE ]] || printf '{}\n' >"$CONFIG_FILE"
  clean_stale_containerd_pidfile
  rm -f "$SOCKET"
  log "starting private dockerd (state in $ENGINE_DIR, log $LOGFILE)"
  local started_ms pid
  started_ms=$(now_ms)
  # No default bridge, no iptables: the host's firewall and routes stay as they are. Pods use
  # network none, host, or a bridge network a test creates inside 198.18.0.0/15. Published
  # ports (hostPort) go through docker-proxy, a userspace forwarder Docker starts per
  # published port: without iptables it is the only thing that makes a hostPort answer.
  setsid dockerd \
    --config-file="$CONFIG_FILE" \
    --data-root="$DATA_ROOT" \
    --exec-root="$EXEC_ROOT" \
    --pidfile="$PIDFILE" \
    -H "$PRIVATE_HOST" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    --userland-proxy=true \
    --containerd-namespace=nodelet-test \
    --containerd-plugins-namespace=nodelet-test-plugins \
    --shutdown-timeout=10 \
    </dev/null >>"$LOGFILE" 2>&1 9>&- &
  pid=$!
  local deadline=$(($(date +%s) + START_TIMEOUT))
  until engine_answers "$PRIVATE_HOST"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "dockerd exited during startup; last lines of $LOGFILE:"
      tail -n 40 "$LOGFILE" >&2
      exit 1
    fi
    if (($(date +%s) >= deadline)); then
      log "dockerd did not answer within ${START_TIMEOUT}s; last lines of $LOGFILE:"
      tail -n 40 "$LOGFILE" >&2
      stop_private
      exit 1
    fi
    sleep 0.1
  done
  log "private dockerd (pid $pid) answers at $PRIVATE_HOST after $(($(now_ms) - started_ms)) ms"
}

kill_and_wait() {
  local signal=$1 timeout_s=$2
  shift 2
  (($# == 0)) && return 0
  kill "-$signal" "$@" 2>/dev/null || true
  local deadline=$(($(date +%s) + timeout_s)) pid alive
  while :; do
    alive=()
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    ((${#alive[@]} == 0)) && return 0
    (($(date +%s) >= deadline)) && return 1
    sleep 0.1
  done
}

# Mounts dockerd leaves behind: its bind mount of the data root always; overlay, shm and
# netns mounts too when it was killed.
unmount_leftovers() {
  local mounts
  mapfile -t mounts < <(awk -v dir="$ENGINE_DIR/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  ((${#mounts[@]} == 0)) && return 0
  local m
  for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done
}

stop_private() {
  local pid strays
  if pid=$(private_pid); then
    log "stopping private dockerd (pid $pid)"
    if ! kill_and_wait TERM "$STOP_TIMEOUT" "$pid"; then
      log "dockerd did not exit within ${STOP_TIMEOUT}s; sending SIGKILL"
      kill_and_wait KILL 5 "$pid" || die "dockerd (pid $pid) survived SIGKILL"
    fi
  fi
  # containerd normally exits with dockerd; whatever is left (a killed dockerd's containerd
  # and shims) is ours by its command line and goes too.
  mapfile -t strays < <(our_processes)
  if ((${#strays[@]} > 0)); then
    log "stopping leftover engine processes: ${strays[*]}"
    kill_and_wait TERM 10 "${strays[@]}" || kill_and_wait KILL 5 "${strays[@]}" || true
  fi
  # Even a clean exit leaves dockerd's bind mount of the data root behind.
  unmount_leftovers
  rm -f "$PIDFILE" "$SOCKET" "$AUTO_STOP_MARKER"
  rm -rf "$LEASE_DIR"
}

# --- leases -----------------------------------------------------------------------------

live_leases() {
  [[ -d $LEASE_DIR ]] || return 0
  local file pid
  for file in "$LEASE_DIR"/*; do
    [[ -e $file ]] || continue
    pid=${file##*/}
    if kill -0 "$pid" 2>/dev/null; then printf '%s\n' "$pid"; else rm -f "$file"; fi
  done
}

# --- commands ---------------------------------------------------------------------------

with_lock() {
  mkdir -p "$ENGINE_DIR"
  exec 9>"$LOCKFILE"
  flock -w 600 9 || die "timed out waiting for $LOCKFILE"
}

cmd_up() {
  local lease=
  while (($# > 0)); do
    case $1 in
      --lease) lease=${2:?--lease needs a pid}; shift 2 ;;
      *) die "up: unknown argument $1" ;;
    esac
  done
  local host
  if host=$(external_host); then
    log "using the engine at $host"
    # Images for it still come from busybox-static, which root can install.
    [[ $(id -u) == 0 ]] && ensure_packages busybox-only
    DOCKER_HOST=$host bash "$SCRIPT_DIR/images.sh"
    print_env "$host" external
    printf "export NODELET_ENGINE_STARTED='0'\n"
    return 0
  fi
  if [[ $(id -u) != 0 ]]; then
    # A private engine root started is usable (docker group) but not ours to manage.
    if engine_answers "$PRIVATE_HOST"; then
      DOCKER_HOST=$PRIVATE_HOST bash "$SCRIPT_DIR/images.sh"
      print_env "$PRIVATE_HOST" external
      printf "export NODELET_ENGINE_STARTED='0'\n"
      return 0
    fi
    die "no Docker Engine answers and starting one needs root: sudo bash $0 up, then eval \"\$(bash $0 env)\""
  fi
  with_lock
  local started=0 pid
  if pid=$(private_pid) && engine_answers "$PRIVATE_HOST"; then
    log "reusing private dockerd (pid $pid) at $PRIVATE_HOST"
  else
    # A dockerd that runs but does not answer (wedged, or still shutting down) is replaced.
    [[ -n ${pid:-} ]] && stop_private
    start_private
    started=1
  fi
  if [[ -n $lease ]]; then
    mkdir -p "$LEASE_DIR"
    : >"$LEASE_DIR/$lease"
    ((started)) && : >"$AUTO_STOP_MARKER"
  else
    # A person asked for the engine: it stays up until they say `down`.
    rm -f "$AUTO_STOP_MARKER"
  fi
  DOCKER_HOST=$PRIVATE_HOST bash "$SCRIPT_DIR/images.sh"
  print_env "$PRIVATE_HOST" private
  printf "export NODELET_ENGINE_STARTED='%s'\n" "$started"
}

cmd_release() {
  local lease=${1:?release needs the pid given to up --lease}
  [[ -d $ENGINE_DIR ]] || return 0
  with_lock
  rm -f "$LEASE_DIR/$lease"
  local others
  others=$(live_leases | wc -l)
  if [[ -f $AUTO_STOP_MARKER ]] && ((others == 0)); then
    stop_private
    log "private engine stopped"
  elif ((others > 0)); then
    log "private engine left running: $others other test run(s) use it"
  fi
}

cmd_down() {
  local force=0
  case ${1:-} in
    '') ;;
    --force) force=1 ;;
    *) die "down: unknown argument $1" ;;
  esac
  if [[ ! -d $ENGINE_DIR ]]; then
    log "no private engine state in $ENGINE_DIR; nothing to stop"
    return 0
  fi
  with_lock
  if ! private_pid >/dev/null && [[ -z $(our_processes) ]]; then
    log "private engine is not running"
    unmount_leftovers
    rm -f "$SOCKET" "$AUTO_STOP_MARKER"
    rm -rf "$LEASE_DIR"
    return 0
  fi
  local leases
  leases=$(live_leases | tr '\n' ' ')
  if [[ -n $leases ]] && ((!force)); then
    die "test runs (pids ${leases% }) still use the private engine; it stops when they finish, or use: $0 down --force"
  fi
  stop_private
  log "private engine stopped"
}

# For the test of nodelet surviving a dockerd restart. An engine a person started (no
# auto-stop marker: `engine.sh up`, `npm run demo`) or one another test run uses is never
# stopped: exit 3, nothing touched. The restarted engine keeps the marker and PID's lease, so
# it still stops when that run releases it.
cmd_restart() {
  local lease=
  case ${1:-} in
    --lease) lease=${2:?--lease needs a pid} ;;
    *) die "usage: $0 restart --lease PID" ;;
  esac
  refuse() { log "not restarting: $*"; exit 3; }
  [[ -d $ENGINE_DIR ]] || refuse "no private engine"
  with_lock
  private_pid >/dev/null || refuse "the private engine is not running"
  [[ -f $AUTO_STOP_MARKER ]] || refuse "a person started the private engine (no $AUTO_STOP_MARKER); only an engine a test run started is restarted"
  local others
  others=$(live_leases | grep -vxF -- "$lease" | tr '\n' ' ' || true)
  [[ -z $others ]] || refuse "other test runs (pids ${others% }) use the private engine"
  stop_private
  start_private
  # stop_private dropped the marker and the leases; this run still holds its lease.
  mkdir -p "$LEASE_DIR"
  : >"$LEASE_DIR/$lease"
  : >"$AUTO_STOP_MARKER"
  log "private engine restarted"
}

cmd_env() {
  if private_pid >/dev/null 2>&1 && engine_answers "$PRIVATE_HOST"; then
    print_env "$PRIVATE_HOST" private
    return 0
  fi
  local host
  if host=$(external_host); then
    print_env "$host" external
    return 0
  fi
  die "no Docker Engine answers; run: bash $0 up"
}

cmd_status() {
  local pid host
  if pid=$(private_pid 2>/dev/null); then
    local state=answers
    engine_answers "$PRIVATE_HOST" || state='does NOT answer'
    echo "private engine: dockerd pid $pid, $state at $PRIVATE_HOST"
    echo "  state: $ENGINE_DIR (log $LOGFILE)"
    if [[ -f $AUTO_STOP_MARKER ]]; then
      echo "  started by a test run; stops when the last lease is released (leases: $(live_leases | tr '\n' ' '))"
    else
      echo "  started by hand; stops on: bash $0 down"
    fi
  else
    echo "private engine: not running"
  fi
  if host=$(external_host 2>/dev/null); then echo "external engine: answers at $host"; else echo "external engine: none answers"; fi
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up) cmd_up "$@" ;;
    release) cmd_release "$@" ;;
    down) cmd_down "$@" ;;
    restart) cmd_restart "$@" ;;
    env) cmd_env ;;
    status) cmd_status ;;
    *) die "usage: $0 up [--lease PID] | release PID | down [--force] | restart --lease PID | env | status" ;;
  esac
}

main "$@"
