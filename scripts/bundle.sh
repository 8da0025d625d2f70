#!/usr/bin/env bash
# Makes an install bundle for hosts without npm or registry access: a tarball with the built
# agent, its production node_modules and the install scripts. Run in a built checkout
# (`npm ci && npm run build`) on a machine of the same CPU architecture as the target:
#
#   scripts/bundle.sh [OUTPUT]          default OUTPUT: ./nodelet-<version>.tar.gz
#
# On the host:  tar -xzf nodelet-<version>.tar.gz && sudo nodelet-<version>/scripts/install.sh
# No registry is contacted: devDependencies are pruned from a copy of node_modules.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf 'nodelet bundle: %s\n' "$*" >&2; }
die() { printf 'nodelet bundle: error: %s\n' "$*" >&2; exit 1; }

[[ -f $SRC/dist/agent/cli/bin.js ]] || die "nodelet is not built: run \`npm ci && npm run build\` first"
[[ -d $SRC/node_modules ]] || die "no node_modules: run \`npm ci\` first"
command -v npm >/dev/null 2>&1 || die "npm is needed to prune devDependencies"

version=$(sed -nE 's/^[[:space:]]*"version":[[:space:]]*"([^"]+)".*/\1/p' "$SRC/package.json" | head -n 1)
[[ -n $version ]] || die "no version in $SRC/package.json"
name=nodelet-$version
output=${1:-$PWD/$name.tar.gz}
case $output in /*) ;; *) output=$PWD/$output ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/$name
mkdir -p "$root/dist" "$root/scripts"
cp -a "$SRC/package.json" "$root/"
if [[ -f $SRC/package-lock.json ]]; then cp -a "$SRC/package-lock.json" "$root/"; fi
# dist/manifests holds the JSON schema tsc copies next to the code that imports it.
cp -a "$SRC/dist/agent" "$root/dist/"
if [[ -d $SRC/dist/manifests ]]; then cp -a "$SRC/dist/manifests" "$root/dist/"; fi
for extra in manifests systemd README.md LICENSE; do
  if [[ -e $SRC/$extra ]]; then cp -a "$SRC/$extra" "$root/"; fi
done
cp -a "$SRC/scripts/install.sh" "$SRC/scripts/uninstall.sh" "$root/scripts/"
cp -a "$SRC/node_modules" "$root/"
(cd "$root" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund --loglevel=error >&2) ||
  die "npm prune --omit=dev failed"
tar --owner=0 --group=0 -C "$work" -czf "$output.tmp" "$name"
mv "$output.tmp" "$output"
log "wrote $output ($(du -h "$output" | cut -f1))"
printf '%s\n' "$output"
