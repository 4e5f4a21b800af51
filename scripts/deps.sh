#!/usr/bin/env bash
# Installs the Debian packages a make target needs, only those missing.
# Usage: scripts/deps.sh build|test|run|bench
set -euo pipefail

build=(gcc pkg-config libgtk-3-dev)
run=(libgtk-3-0 fonts-noto-color-emoji)
test=(xvfb xauth xcompmgr xdotool imagemagick x11-xserver-utils mosquitto-clients dbus-x11 libglib2.0-bin fonts-noto-color-emoji)
bench=(mosquitto mosquitto-clients xvfb xauth)

want=("${build[@]}")
case "${1:-build}" in
  build) ;;
  run) want+=("${run[@]}") ;;
  test) want+=("${test[@]}") ;;
  bench) want+=("${bench[@]}") ;;
  *) echo "deps.sh: unknown set '$1' (build, run, test, bench)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v go >/dev/null 2>&1; then
  echo "Go is not installed: Tachikoma needs Go 1.26 or newer (https://go.dev/doc/install)." >&2
  echo "Any Go >= 1.21 will fetch the right toolchain by itself through the module proxy." >&2
  exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing missing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
