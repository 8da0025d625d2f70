#!/usr/bin/env bash
# Builds the "containerized VM" image of the systemd e2e test (test/e2e/systemd-vm.test.ts):
# a Debian root filesystem with systemd as init, docker.io, busybox-static and procps, made
# with debootstrap and imported into the engine at $DOCKER_HOST. Prints the image name on stdout.
#
# The build runs once: the root filesystem is kept as a tarball under $NODELET_VM_CACHE
# (default /var/cache/nodelet-test-vm), keyed by a hash of this script, of test/vm/files/ and
# of the suite. Later runs import the tarball (a few seconds), or do nothing when the engine
# already has the image. Progress goes to stderr.
#
# No mirror name is written anywhere: debootstrap gets the mirror the host's own apt uses for
# that suite (/etc/apt/sources.list and /etc/apt/sources.list.d/), read at run time, or its
# built-in default when the host names none. Needs root (debootstrap, chroot).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FILES_DIR=$SCRIPT_DIR/files
CACHE_DIR=${NODELET_VM_CACHE:-/var/cache/nodelet-test-vm}
IMAGE_REPO=nodelet-test-vm
# procps: /bin/kill, which the unit's ExecReload uses, as on any ordinary host.
PACKAGES=systemd,systemd-sysv,dbus,docker.io,busybox-static,procps

log() { printf 'vm-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $(id -u) == 0 ]] || die "building the VM image needs root (debootstrap)"
[[ -n ${DOCKER_HOST:-} ]] || die "DOCKER_HOST is not set"
export DOCKER_CONTEXT=

# The host's own Debian release, when debootstrap knows it (the copied node binary then finds
# the same C library inside); otherwise (not Debian) Debian stable of this writing.
host_suite() {
  local id= codename=
  if [[ -r /etc/os-release ]]; then
    id=$(. /etc/os-release && printf '%s' "${ID:-}")
    codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
  fi
  if [[ $id == debian && -n $codename && -e /usr/share/debootstrap/scripts/$codename ]]; then
    printf '%s\n' "$codename"
  else
    printf 'bookworm\n'
  fi
}
SUITE=${NODELET_VM_SUITE:-$(host_suite)}

# The first mirror the host's apt uses for $SUITE (one-line and deb822 formats), if any.
host_mirror() {
  local suite=$1 file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $file ]] || continue
    # deb [options] URI suite components...
    awk -v s="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if ($(i + 1) == s) { print $i; exit } }' "$file"
  done | head -n 1 | grep . && return 0
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -r $file ]] || continue
    # deb822 stanzas: URIs: and Suites: fields, stanzas separated by blank lines.
    awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0; deb = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/ && $i ~ /[[:space:]]deb([[:space:]]|$)/) deb = 1
          if ($i ~ /^URIs:/) { split($i, u, /[[:space:]]+/); uri = u[2] }
          if ($i ~ /^Suites:/) { n = split($i, x, /[[:space:]]+/); for (j = 2; j <= n; j++) if (x[j] == s) ok = 1 }
        }
        if (deb && ok && uri != "") { print uri; exit } }' "$file"
  done | head -n 1 | grep . && return 0
  return 1
}

content_key() {
  {
    sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
    (cd "$FILES_DIR" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    printf '%s %s\n' "$SUITE" "$(dpkg --print-architecture 2>/dev/null || uname -m)"
  } | sha256sum | cut -c1-16
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "debootstrap is missing and apt-get is not available to install it"
  log "installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -y -q -o DPkg::Lock::Timeout=300)
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || ! "${apt[@]}" install --no-install-recommends debootstrap >&2; then
    "${apt[@]}" update >&2
    "${apt[@]}" install --no-install-recommends debootstrap >&2
  fi
}

# Everything the test needs that debootstrap does not do: engine settings, the two helper
# units, a small journal, and no units that only make sense on a real console.
customize() {
  local root=$1
  cp -a "$FILES_DIR/." "$root/"
  systemctl --root="$root" enable nodelet-vm-cgroups.service nodelet-vm-images.service docker.service containerd.service >/dev/null 2>&1 ||
    die "cannot enable the units in $root"
  systemctl --root="$root" mask \
    getty@tty1.service console-getty.service serial-getty@.service systemd-logind.service \
    apt-daily.timer apt-daily-upgrade.timer systemd-timesyncd.service >/dev/null 2>&1 || true
  # systemd generates a machine id at every boot of an empty file: each VM gets its own.
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  # Persistent journal: `journalctl -u nodelet` after the machine restarts still shows the first boot.
  mkdir -p "$root/var/log/journal"
  mkdir -p "$root/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=persistent\nSystemMaxUse=64M\n' >"$root/etc/systemd/journald.conf.d/nodelet-vm.conf"
  mkdir -p "$root/var/lib/nodelet-vm"
  # Nothing of the build host's apt state is needed inside.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
}

build_rootfs_tar() {
  local key=$1 out=$2 work
  ensure_debootstrap
  work=$(mktemp -d "$CACHE_DIR/build-$key.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the trap must remove this very directory
  trap "umount -R '$work/rootfs/proc' 2>/dev/null || true; umount -R '$work/rootfs/sys' 2>/dev/null || true; rm -rf '$work'" EXIT
  local mirror=() m
  if m=$(host_mirror "$SUITE"); then
    mirror=("$m")
    log "debootstrap $SUITE from the host's apt mirror"
  else
    log "debootstrap $SUITE from debootstrap's default mirror"
  fi
  local t0=$SECONDS
  # Its hundreds of progress lines are shown only when it fails.
  if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$work/rootfs" "${mirror[@]}" >"$work/debootstrap.out" 2>&1; then
    tail -n 40 "$work/debootstrap.out" >&2
    tail -n 20 "$work/rootfs/debootstrap/debootstrap.log" >&2 2>/dev/null || true
    die "debootstrap $SUITE failed (output above)"
  fi
  log "debootstrap took $((SECONDS - t0)) s"
  customize "$work/rootfs"
  tar --numeric-owner --xattrs -C "$work/rootfs" -cf "$out.tmp" .
  mv "$out.tmp" "$out"
  rm -rf "$work"
  trap - EXIT
}

main() {
  mkdir -p "$CACHE_DIR"
  exec 9>"$CACHE_DIR/lock"
  flock -w 3600 9 || die "timed out waiting for $CACHE_DIR/lock"
  local key image tarball
  key=$(content_key)
  image=$IMAGE_REPO:$key
  tarball=$CACHE_DIR/rootfs-$key.tar
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "image $image is up to date"
    printf '%s\n' "$image"
    return 0
  fi
  if [[ ! -f $tarball ]]; then
    log "building the root filesystem ($SUITE, key $key) into $CACHE_DIR; this takes a few minutes once"
    build_rootfs_tar "$key" "$tarball"
    # Older builds are dead weight.
    find "$CACHE_DIR" -maxdepth 1 -name 'rootfs-*.tar' ! -name "rootfs-$key.tar" -delete
  fi
  local t0=$SECONDS
  docker import \
    --change 'CMD ["/sbin/init"]' \
    --change 'ENV container=docker' \
    --change "LABEL io.nodelet.test-vm.image=$key" \
    --message "nodelet test VM ($SUITE)" \
    "$tarball" "$image" >/dev/null
  log "imported $image in $((SECONDS - t0)) s"
  # Images of older keys lost their purpose.
  docker image ls --filter "label=io.nodelet.test-vm.image" --format '{{.Repository}}:{{.Tag}}' |
    grep -vxF "$image" | xargs -r docker image rm >/dev/null 2>&1 || true
  printf '%s\n' "$image"
}

main "$@"
