#!/usr/bin/env bash
# Installs Tachikoma's broker as a systemd service on Debian or Ubuntu, or
# upgrades it: the binary to /usr/local/bin, the unit to /etc/systemd/system,
# an example config to /etc/tachikoma/broker.yaml (never over an existing
# one), a system user "tachikoma"; then enables and (re)starts the service.
# Running it again changes only what differs.
#
# Usage: install-broker.sh [--root DIR] [--dry-run] [--no-start]
#   --root DIR  install the files under DIR instead of /, and print (not run)
#               the commands that act on the running system (user, systemctl)
#   --dry-run   print every action, change nothing
#   --no-start  install and enable, but do not (re)start the service
# It finds tachikoma-broker, tachikoma-broker.service and broker.yaml beside
# itself (a make dist archive) or in the repository (bin/, configs/).
set -euo pipefail

root=/ dry=0 start=1 systemd=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --no-start) start=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-broker.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
root=${root%/}
live=1 # acting on this machine's running system
[ -n "$root" ] && live=0

here=$(cd "$(dirname "$0")" && pwd)
find_file() { # name, then the repository path to try
  if [ -f "$here/$1" ]; then echo "$here/$1"; elif [ -f "$here/../$2" ]; then echo "$here/../$2"; else
    echo "install-broker.sh: $1 not found beside the script or at $2 (run make build, or unpack a make dist archive)" >&2
    return 1
  fi
}
bin=$(find_file tachikoma-broker bin/tachikoma-broker)
unit=$(find_file tachikoma-broker.service configs/tachikoma-broker.service)
config=$(find_file broker.yaml configs/broker.yaml)

if [ "$live" = 1 ] && [ "$dry" = 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install-broker.sh: run as root (sudo $0)" >&2; exit 1; }
  . /etc/os-release 2>/dev/null || true
  case " ${ID:-} ${ID_LIKE:-} " in
    *" debian "*|*" ubuntu "*) ;;
    *) echo "install-broker.sh: this script knows Debian and Ubuntu; found '${PRETTY_NAME:-unknown}'" >&2; exit 1 ;;
  esac
  # A container or WSL without systemd gets the files, the user and the data
  # dir; the broker is then started by hand with the unit's ExecStart line.
  if [ ! -d /run/systemd/system ]; then
    systemd=0
    echo "install-broker.sh: systemd is not running here: installing files only; start the broker as user tachikoma with:" >&2
    echo "  $(sed -n 's/^ExecStart=//p' "$unit")" >&2
  fi
fi

changed=0
# say prints an action; act runs it unless --dry-run.
say() { echo "$*"; }
show() { local q; q=$(printf '%q ' "$@"); echo "+ ${q% }"; }
act() { if [ "$dry" = 1 ]; then show "$@"; else "$@"; fi; }
# system runs a command on the running system, or prints it under --root.
system() { if [ "$dry" = 1 ] || [ "$live" = 0 ]; then show "$@"; else "$@"; fi; }

# put installs src at dest with mode when dest is missing or differs.
put() {
  local src=$1 dest=$root$2 mode=$3
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    say "unchanged $2"
    return
  fi
  say "install $2"
  act install -D -m "$mode" "$src" "$dest"
  changed=1
}

if [ "$live" = 1 ] && getent passwd tachikoma >/dev/null; then
  say "user tachikoma exists"
else
  say "create system user tachikoma"
  system useradd --system --user-group --home-dir /var/lib/tachikoma-broker --no-create-home \
    --shell /usr/sbin/nologin --comment "Tachikoma chat broker" tachikoma
fi

put "$bin" /usr/local/bin/tachikoma-broker 0755
put "$unit" /etc/systemd/system/tachikoma-broker.service 0644
if [ -e "$root/etc/tachikoma/broker.yaml" ]; then
  say "keep /etc/tachikoma/broker.yaml (yours)"
else
  say "install /etc/tachikoma/broker.yaml (example: set the listen addresses and TLS, then restart)"
  act install -D -m 0640 "$config" "$root/etc/tachikoma/broker.yaml"
  system chgrp tachikoma /etc/tachikoma/broker.yaml
  changed=1
fi

if [ "$systemd" = 0 ]; then
  # What StateDirectory= would make.
  act install -d -m 0700 -o tachikoma -g tachikoma /var/lib/tachikoma-broker
  start=0
else
  system systemctl daemon-reload
  system systemctl enable tachikoma-broker.service
fi
if [ "$start" = 1 ]; then
  if [ "$changed" = 1 ]; then
    system systemctl restart tachikoma-broker.service
  else
    system systemctl start tachikoma-broker.service
  fi
fi
say "done: journalctl -u tachikoma-broker shows its log; the first account: sudo -u tachikoma tachikoma-broker user add NAME --data-dir /var/lib/tachikoma-broker"
