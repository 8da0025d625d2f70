#!/usr/bin/env bash
# Builds the images nodelet's tests and seed examples use, from the host's busybox-static,
# and loads them into the engine at $DOCKER_HOST: no registry is ever contacted.
#
# One rootfs (busybox + applet links, /etc/passwd, /etc/group, /tmp, /pause) is imported
# three times with different image configs:
#   busybox  CMD ["sh"]                                busybox:1.37, busybox:latest, busybox:*
#   pause    ENTRYPOINT ["/pause"], USER 65535:65535   registry.k8s.io/pause:3.10, */pause:*
#   app      CMD ["/pause"] as root (idles until SIGTERM, so pods whose image would run a
#            server keep running)                      every other image named by an example
# Each image carries a content label (hash of the busybox binary and of this script); an
# image is rebuilt only when its label differs. A tag is (re)pointed only when it is missing
# or points at an image this script made, so images of a person's own engine are never replaced.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
BUSYBOX=${NODELET_BUSYBOX:-/bin/busybox}
LABEL_KEY=io.nodelet.test-engine.image
workdir=
EXAMPLE_DIRS=("$REPO_ROOT/manifests/examples" "$REPO_ROOT/test/fixtures/seed-examples")
PATH_ENV='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

log() { printf 'images: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -n ${DOCKER_HOST:-} ]] || die "DOCKER_HOST is not set"
export DOCKER_CONTEXT=
[[ -x $BUSYBOX ]] || die "no busybox at $BUSYBOX (install busybox-static, or set NODELET_BUSYBOX)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked; a container needs the static one (busybox-static)"
fi

# Like real pause: idle as PID 1, exit 0 promptly on SIGTERM/SIGINT. A PID 1 without a
# handler ignores those signals, hence the trap; `wait` returns as soon as a trapped signal
# arrives, and ash's wait also reaps orphans that a shared PID namespace hands to PID 1.
PAUSE_SCRIPT='#!/bin/sh
trap '\''kill "$child" 2>/dev/null; exit 0'\'' TERM INT
while :; do
  sleep 86400 &
  child=$!
  wait "$child"
done
'

content_hash=$( { sha256sum "$BUSYBOX" | cut -d' ' -f1; sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1; } | sha256sum | cut -c1-16)

# Canonical tag of each variant; its label tells whether the variant is current.
declare -A CANONICAL=([busybox]=busybox:1.37 [pause]=registry.k8s.io/pause:3.10 [app]=nodelet-test/app:latest)

variant_changes() {
  local label="LABEL $LABEL_KEY=$1-$content_hash"
  case $1 in
    busybox) printf '%s\n' "$label" "ENV $PATH_ENV" 'CMD ["sh"]' ;;
    pause) printf '%s\n' "$label" "ENV $PATH_ENV" 'ENTRYPOINT ["/pause"]' 'USER 65535:65535' ;;
    app) printf '%s\n' "$label" "ENV $PATH_ENV" 'CMD ["/pause"]' ;;
  esac
}

# Image names given as `image:` in the example manifests; placeholders like <...> skipped.
example_images() {
  local dir
  for dir in "${EXAMPLE_DIRS[@]}"; do
    [[ -d $dir ]] || continue
    find "$dir" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 |
      xargs -0 -r sed -nE 's/^[[:space:]-]*image:[[:space:]]*["'\'']?([^"'\''#[:space:]]+).*/\1/p'
  done | grep -v '[<>${}]' | sort -u || true
}

# Docker's own spelling of a reference: default tag added, docker.io/library/ dropped.
normalize() {
  local ref=$1 last
  ref=${ref#docker.io/}
  ref=${ref#library/}
  last=${ref##*/}
  [[ $last == *:* ]] || ref=$ref:latest
  printf '%s\n' "$ref"
}

variant_of() {
  local repo=${1%:*}
  case ${repo##*/} in
    busybox) echo busybox ;;
    pause) echo pause ;;
    *) echo app ;;
  esac
}

image_label() {
  docker image inspect --format "{{ index .Config.Labels \"$LABEL_KEY\" }}" "$1" 2>/dev/null || true
}

image_id() {
  docker image inspect --format '{{ .Id }}' "$1" 2>/dev/null || true
}

build_rootfs() {
  local root=$1 applet
  mkdir -p "$root"/{bin,etc,tmp,root,home,var,usr/bin,usr/sbin,sbin,dev,proc,sys}
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  cp "$BUSYBOX" "$root/bin/busybox"
  chmod 755 "$root/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [[ $applet == busybox || -e $root/bin/$applet ]] && continue
    ln -s busybox "$root/bin/$applet"
  done
  # Scripts with #!/usr/bin/env find env where they expect it.
  ln -s ../../bin/busybox "$root/usr/bin/env"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/home:/bin/false' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' >"$root/etc/group"
  printf '%s' "$PAUSE_SCRIPT" >"$root/pause"
  chmod 755 "$root/pause"
}

main() {
  local started_ms
  started_ms=$(date +%s%3N)
  local -a wanted=(busybox:1.37 busybox:latest registry.k8s.io/pause:3.10 nodelet-test/app:latest)
  local ref
  while IFS= read -r ref; do
    [[ -n $ref ]] || continue
    if [[ $ref == *@* ]]; then
      log "skipping $ref: a digest reference cannot be tagged locally"
      continue
    fi
    wanted+=("$(normalize "$ref")")
  done < <(example_images)
  mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | sort -u)

  local variant built=()
  trap '[[ -n $workdir ]] && rm -rf "$workdir"' EXIT
  for variant in busybox pause app; do
    [[ $(image_label "${CANONICAL[$variant]}") == "$variant-$content_hash" ]] && continue
    if [[ -n $(image_id "${CANONICAL[$variant]}") && -z $(image_label "${CANONICAL[$variant]}") ]]; then
      log "keeping ${CANONICAL[$variant]}: it exists and was not built by this harness"
      continue
    fi
    if [[ -z $workdir ]]; then
      workdir=$(mktemp -d)
      build_rootfs "$workdir/rootfs"
      tar --numeric-owner --owner=0 --group=0 -C "$workdir/rootfs" -cf "$workdir/rootfs.tar" .
    fi
    local -a change_args=()
    local change
    while IFS= read -r change; do change_args+=(--change "$change"); done < <(variant_changes "$variant")
    docker import "${change_args[@]}" --message "nodelet test image ($variant)" \
      "$workdir/rootfs.tar" "${CANONICAL[$variant]}" >/dev/null
    built+=("$variant")
  done

  # Point every wanted name at its variant, unless the name belongs to someone else's image.
  local target_id current_id retagged=0
  for ref in "${wanted[@]}"; do
    variant=$(variant_of "$ref")
    target_id=$(image_id "${CANONICAL[$variant]}")
    current_id=$(image_id "$ref")
    [[ $current_id == "$target_id" ]] && continue
    if [[ -n $current_id && -z $(image_label "$ref") ]]; then
      log "keeping $ref: it exists and was not built by this harness"
      continue
    fi
    docker tag "$target_id" "$ref"
    retagged=$((retagged + 1))
  done
  # Images of an older content hash lost all their names above.
  ((${#built[@]} > 0)) && docker image prune --force --filter "label=$LABEL_KEY" >/dev/null
  if ((${#built[@]} > 0 || retagged > 0)); then
    log "built [${built[*]}], tagged $retagged name(s) in $(($(date +%s%3N) - started_ms)) ms (content $content_hash)"
  else
    log "${#wanted[@]} image names up to date (content $content_hash)"
  fi
}

main "$@"
