#!/usr/bin/env bash
# Resource benchmark of the desktop pet: runs bin/tachikoma under Xvfb (with
# a compositor) for DURATION seconds with 1 pet, then with 5 pets, and
# prints the CPU use (% of one core, from utime+stime in /proc/PID/stat)
# and the resident memory (VmRSS / VmHWM from /proc/PID/status).
#
#   scripts/bench-pet.sh [DURATION_SECONDS]      (default 60)
#
# Targets: 1 pet <= 1% CPU and <= 40 MiB; 5 pets <= 2% CPU and <= 60 MiB.
# BENCH_STRICT=1 makes a missed target exit 1. TACHIKOMA_BIN overrides the
# binary (default: bin/tachikoma, built if missing). The pets' behaviour is
# seeded (BENCH_SEED, default 1) so runs compare like with like.
set -euo pipefail

DURATION=${1:-60}
SEED=${BENCH_SEED:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TACHIKOMA_BIN:-$ROOT/bin/tachikoma}

if [ -z "${BENCH_INSIDE_X:-}" ]; then
	if [ ! -x "$BIN" ]; then
		(cd "$ROOT" && go build -o bin/tachikoma ./petclient/cmd/tachikoma)
	fi
	for tool in xvfb-run xcompmgr xdotool; do
		command -v "$tool" >/dev/null || { echo "bench-pet: $tool is missing (apt-get install xvfb xcompmgr xdotool)" >&2; exit 2; }
	done
	exec xvfb-run -a -s '-screen 0 1280x800x24' env BENCH_INSIDE_X=1 "$0" "$@"
fi

HZ=$(getconf CLK_TCK)
WARMUP=5
work=$(mktemp -d)
cleanup() {
	[ -n "${PET:-}" ] && kill "$PET" 2>/dev/null || true
	[ -n "${CM:-}" ] && kill "$CM" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

xcompmgr >/dev/null 2>&1 &
CM=$!
sleep 0.5

# geometry lists the pet windows' positions (they are titled "Tachikoma").
geometry() { xdotool search --onlyvisible --name '^Tachikoma$' getwindowgeometry %@ 2>/dev/null || true; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

status=0
echo "bench-pet: ${DURATION}s per run, seed $SEED, $(nproc) cores, $(uname -r)"
for pets in 1 5; do
	dir="$work/run$pets"
	mkdir -p "$dir"
	# No state file: the test hook would add its own writes to the figures.
	# Whether the pets animate is read from their window geometry instead.
	XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data" TACHIKOMA_STATE_FILE= \
		"$BIN" --pets "$pets" --seed "$SEED" --log-level warn >"$dir/log" 2>&1 &
	PET=$!
	for _ in $(seq 100); do [ "$(geometry | grep -c Position)" -ge "$pets" ] && break; sleep 0.1; done
	if [ "$(geometry | grep -c Position)" -lt "$pets" ]; then
		echo "bench-pet: the pets did not appear; log:" >&2
		cat "$dir/log" >&2
		exit 1
	fi
	sleep "$WARMUP"
	t0=$(cpu_ticks "$PET")
	changes=0
	last=$(geometry)
	for _ in $(seq "$DURATION"); do
		sleep 1
		now=$(geometry)
		[ "$now" != "$last" ] && changes=$((changes + 1))
		last=$now
	done
	t1=$(cpu_ticks "$PET")
	rss=$(kib "$PET" VmRSS)
	hwm=$(kib "$PET" VmHWM)
	kill "$PET"
	wait "$PET" 2>/dev/null || true
	PET=

	cpu=$(awk -v d="$((t1 - t0))" -v hz="$HZ" -v s="$DURATION" 'BEGIN{printf "%.2f", d * 100 / hz / s}')
	rss_mib=$(awk -v k="$rss" 'BEGIN{printf "%.1f", k / 1024}')
	hwm_mib=$(awk -v k="$hwm" 'BEGIN{printf "%.1f", k / 1024}')
	if [ "$pets" = 1 ]; then cpu_max=1; rss_max=40; else cpu_max=2; rss_max=60; fi
	verdict=ok
	awk -v c="$cpu" -v m="$cpu_max" -v r="$rss_mib" -v rm="$rss_max" 'BEGIN{exit !(c <= m && r <= rm)}' || { verdict=OVER; status=1; }
	printf 'pets=%d  cpu=%s%% of one core (target <= %s%%)  rss=%s MiB (peak %s, target <= %s)  moved in %d of %d s  %s\n' \
		"$pets" "$cpu" "$cpu_max" "$rss_mib" "$hwm_mib" "$rss_max" "$changes" "$DURATION" "$verdict"
done

if [ "${BENCH_STRICT:-}" = 1 ]; then
	exit "$status"
fi
