#!/usr/bin/env bash
# Installs the Debian packages a make target needs, only those missing.
# Usage: scripts/deps.sh build|test|run|bench
#        scripts/deps.sh go    prints the path of a go command new enough for
#                              go.mod, fetching the pinned toolchain if needed
set -euo pipefail

build=(gcc pkg-config libgtk-3-dev)
# make dist: SQLite's cgo for arm64; systemd-analyze checks the unit (tests).
dist=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross systemd)
run=(libgtk-3-0 fonts-noto-color-emoji fonts-wqy-microhei)
# postgresql-15: the PostgreSQL store and cluster tests start a throwaway server.
test=(postgresql-15 iproute2 xvfb xauth xcompmgr xdotool imagemagick x11-xserver-utils mosquitto-clients python3-paho-mqtt dbus-x11 libglib2.0-bin fonts-noto-color-emoji fonts-wqy-microhei xclip tesseract-ocr tesseract-ocr-eng fontconfig chromium)
bench=(mosquitto mosquitto-clients xvfb xauth)
# Extras are tried but not required: what needs them says so and falls back
# (wl-clipboard: `screenshot --copy` on Wayland, else xclip) or skips (nginx,
# caddy: the reverse-proxy test of configs/nginx-tachikoma.conf and Caddyfile).
run_extra=(wl-clipboard)
test_extra=(nginx caddy)

root=$(cd "$(dirname "$0")/.." && pwd)

# install installs the Debian packages given that are missing, as root, or
# prints the apt-get line to run and fails.
install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  echo "Installing missing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# extras installs what it can of the packages given and only warns about the
# rest, so a mirror that is down costs a skipped test, not the whole run.
extras() {
  install "$@" 2>&1 && return 0
  echo "deps.sh: could not install the optional packages $*; the features and tests that need them will say so" >&2
}

# goversion prints the version of the go command $1 ("1.26.8"), or nothing.
goversion() {
  local v
  v=$(GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) || return 0
  echo "${v#go}"
}

# newer reports whether version $1 >= version $2.
newer() { [ -n "$1" ] && [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# findgo prints a go command new enough for go.mod: the one on PATH, or the
# toolchain cached by an earlier run, or one fetched now as a Go module (what
# `go` itself does with GOTOOLCHAIN=auto, which Debian 12's Go 1.19 cannot).
findgo() {
  local want arch cache dir boot json
  want=$(awk '$1 == "go" {print $2; exit}' "$root/go.mod")
  if command -v go >/dev/null 2>&1 && newer "$(goversion go)" "$want"; then
    command -v go
    return
  fi
  case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    i?86) arch=386 ;;
    *) echo "deps.sh: no Go toolchain for $(uname -m); install Go $want or newer" >&2; return 1 ;;
  esac
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/tachikoma/toolchain
  dir=$cache/mod/golang.org/toolchain@v0.0.1-go$want.linux-$arch
  if [ -x "$dir/bin/go" ] && [ "$(goversion "$dir/bin/go")" = "$want" ]; then
    echo "$dir/bin/go"
    return
  fi

  # Any Go from 1.17 on downloads a module outside a module; Debian 12 has 1.19.
  if command -v go >/dev/null 2>&1 && newer "$(goversion go)" 1.17; then
    boot=$(command -v go)
  else
    install golang-go || return 1
    boot=/usr/bin/go
  fi
  echo "Fetching Go $want (golang.org/toolchain) with $boot into $cache" >&2
  mkdir -p "$cache"
  # -modcacherw keeps the cache removable with rm -rf.
  json=$(cd "$cache" && GOTOOLCHAIN=local GO111MODULE=on GOMODCACHE="$cache/mod" GOFLAGS=-modcacherw \
    "$boot" mod download -json "golang.org/toolchain@v0.0.1-go$want.linux-$arch") || {
    echo "deps.sh: could not download the Go toolchain through the module proxy:" >&2
    echo "$json" >&2
    return 1
  }
  dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  # Module zips keep no file modes.
  chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/*
  rm -f "$cache"/mod/cache/download/golang.org/toolchain/@v/*.zip
  if [ "$(goversion "$dir/bin/go")" != "$want" ]; then
    echo "deps.sh: the fetched toolchain in $dir does not run" >&2
    return 1
  fi
  echo "$dir/bin/go"
}

extra=()
case "${1:-build}" in
  go) findgo; exit ;;
  build) want=("${build[@]}") ;;
  run) want=("${build[@]}" "${run[@]}"); extra=("${run_extra[@]}") ;;
  test) want=("${build[@]}" "${test[@]}" "${dist[@]}"); extra=("${run_extra[@]}" "${test_extra[@]}") ;;
  bench) want=("${build[@]}" "${bench[@]}") ;;
  dist) want=(gcc "${dist[@]}") ;;
  *) echo "deps.sh: unknown set '$1' (build, run, test, bench, dist, go)" >&2; exit 2 ;;
esac
install "${want[@]}"
[ ${#extra[@]} -eq 0 ] || extras "${extra[@]}" >&2
