#!/usr/bin/env bash
# Builds one real upstream Go program that the tests run beside nodelet (never shipped):
#   test/go/build.sh <module dir under test/go> <package path> <binary name>
# Each tool has its own go.mod/go.sum under test/go/<tool>/ pinning the upstream module, and a
# tools.go that imports it, so `go build` needs nothing but the Go module proxy. The binary is
# cached outside the checkout, keyed by the hash of go.mod and go.sum, so a second run is free.
# Prints the binary's path on stdout (progress on stderr).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module_dir="$here/$1"
package="$2"
name="$3"
cache="${NODELET_TEST_GO_CACHE:-/var/cache/nodelet-test-go}"
# An optional <module dir>/ldflags file adds linker flags (e.g. -X version stamps); it is part
# of the cache key like go.mod and go.sum.
extra_ldflags=""
[ -f "$module_dir/ldflags" ] && extra_ldflags="$(tr '\n' ' ' < "$module_dir/ldflags")"
key="$(cat "$module_dir/go.mod" "$module_dir/go.sum" | { cat; printf '%s' "$extra_ldflags"; } | sha256sum | cut -c1-16)"
out="$cache/bin/$name-$key"
if [ ! -x "$out" ]; then
  command -v go >/dev/null || { echo "go: not found (the tests build $name with the machine's Go)" >&2; exit 1; }
  mkdir -p "$cache/bin"
  echo "go: building $name from $package (cached as $out)" >&2
  ( cd "$module_dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w $extra_ldflags" -o "$out.tmp" "$package" )
  mv "$out.tmp" "$out"
fi
echo "$out"
