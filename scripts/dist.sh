#!/usr/bin/env bash
# Builds the broker's release archives for make dist:
#   dist/tachikoma-broker_<version>_linux_<arch>.tar.gz
# each holding the binary, an example config, the systemd unit, the install
# script and a README. SQLite needs cgo, so arm64 needs Debian's
# gcc-aarch64-linux-gnu (scripts/deps.sh dist); without it arm64 is skipped
# with a message and the other archives are still built.
# Usage: scripts/dist.sh VERSION [ARCH...]   (default: amd64 arm64; DIST_DIR=dir
# writes the archives there instead of dist/)
set -euo pipefail

version=${1:?usage: scripts/dist.sh VERSION [ARCH...]}
shift
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64)
root=$(cd "$(dirname "$0")/.." && pwd)
go=${GO:-go}
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# Archive times are the commit's, so the same commit packs the same files.
mtime=$(git -C "$root" log -1 --format=%cI 2>/dev/null || date -u +%FT%TZ)
out=${DIST_DIR:-$root/dist}
mkdir -p "$out"

skipped=()
for arch in "${arches[@]}"; do
  case "$arch" in
    amd64) cc=x86_64-linux-gnu-gcc; [ "$(uname -m)" = x86_64 ] && cc=gcc ;;
    arm64) cc=aarch64-linux-gnu-gcc; [ "$(uname -m)" = aarch64 ] && cc=gcc ;;
    *) echo "dist: unknown architecture '$arch' (amd64, arm64)" >&2; exit 2 ;;
  esac
  if ! command -v "$cc" >/dev/null; then
    echo "dist: skipping linux/$arch: SQLite needs cgo and $cc is missing (Debian: apt-get install gcc-${cc%-gcc}; scripts/deps.sh dist does it)" >&2
    skipped+=("$arch")
    continue
  fi
  name=tachikoma-broker_${version}_linux_$arch
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  mkdir "$stage/$name"
  echo "dist: building linux/$arch with $cc" >&2
  (cd "$root" && CGO_ENABLED=1 GOOS=linux GOARCH=$arch CC=$cc "$go" build -trimpath \
    -ldflags "-s -w -X main.version=$version -X main.commit=$commit" \
    -o "$stage/$name/tachikoma-broker" ./broker/cmd/tachikoma-broker)
  install -m 0644 "$root/configs/broker.yaml" "$stage/$name/broker.yaml"
  install -m 0644 "$root/configs/tachikoma-broker.service" "$stage/$name/tachikoma-broker.service"
  install -m 0755 "$root/scripts/install-broker.sh" "$stage/$name/install-broker.sh"
  install -m 0644 "$root/scripts/dist-README.md" "$stage/$name/README.md"
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" \
    -czf "$out/$name.tar.gz" "$name"
  rm -rf "$stage"
  trap - EXIT
  echo "${out#"$root"/}/$name.tar.gz"
done
if [ ${#skipped[@]} -gt 0 ]; then
  echo "dist: NOT built: ${skipped[*]} (see above)" >&2
fi
