#!/usr/bin/env bash
# Resource benchmark of the desktop pet: runs bin/tachikoma under Xvfb (with
# a compositor) for DURATION seconds with 1 pet, then with 5 pets, in two
# modes: "hosting" (no server configured, so the pet hosts the chat broker
# in its own process, as a fresh install does) and "remote" (logged in to a
# bin/tachikoma-broker running beside it). It prints the CPU use (% of one
# core, from utime+stime in /proc/PID/stat), the resident memory (VmRSS /
# VmHWM from /proc/PID/status; RssAnon is the pet's own memory, RssFile the
# code of the binary and the libraries it touched) and how many pets moved.
#
#   scripts/bench-pet.sh [DURATION_SECONDS]      (default 60)
#
# Targets: hosting 1 pet <= 1% CPU and <= 45 MiB, 5 pets <= 2% and <= 60 MiB;
# remote 1 pet <= 1% and <= 40 MiB, 5 pets <= 2% and <= 60 MiB. A run misses
# its target, or fails, when a pet did not move (a frozen pet is cheap): the
# script then exits 1. A seeded pet may stand or sit for ten seconds and
# more, so judge movement over 30 s at least. BENCH_MODES ("hosting remote") and BENCH_PETS ("1 5")
# pick runs; TACHIKOMA_BIN and TACHIKOMA_BROKER_BIN override the binaries
# (default: bin/, built if missing). The pets' behaviour is seeded
# (BENCH_SEED, default 1) so runs compare like with like.
set -euo pipefail

DURATION=${1:-60}
SEED=${BENCH_SEED:-1}
MODES=${BENCH_MODES:-hosting remote}
PETS=${BENCH_PETS:-1 5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TACHIKOMA_BIN:-$ROOT/bin/tachikoma}
BROKER=${TACHIKOMA_BROKER_BIN:-$ROOT/bin/tachikoma-broker}

if [ -z "${BENCH_INSIDE_X:-}" ]; then
	GO=$("$ROOT/scripts/deps.sh" go)
	[ -x "$BIN" ] || (cd "$ROOT" && "$GO" build -tags nometrics -o "$BIN" ./petclient/cmd/tachikoma)
	[ -x "$BROKER" ] || (cd "$ROOT" && "$GO" build -o "$BROKER" ./broker/cmd/tachikoma-broker)
	for tool in xvfb-run xcompmgr xdotool; do
		command -v "$tool" >/dev/null || { echo "bench-pet: $tool is missing (apt-get install xvfb xcompmgr xdotool)" >&2; exit 2; }
	done
	BIN=$BIN BROKER_BIN=$BROKER exec xvfb-run -a -s '-screen 0 1280x800x24' env BENCH_INSIDE_X=1 "$0" "$@"
fi
BROKER=${BROKER_BIN:-$BROKER}

HZ=$(getconf CLK_TCK)
WARMUP=5
work=$(mktemp -d)
cleanup() {
	[ -n "${PET:-}" ] && kill "$PET" 2>/dev/null || true
	[ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null || true
	[ -n "${CM:-}" ] && kill "$CM" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

xcompmgr >/dev/null 2>&1 &
CM=$!
sleep 0.5

# positions prints "WINDOW X,Y" for each visible pet window (titled "Tachikoma").
positions() {
	xdotool search --onlyvisible --name '^Tachikoma$' getwindowgeometry %@ 2>/dev/null |
		awk '$1 == "Window" {w = $2} $1 == "Position:" {print w, $2}' || true
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

# start_broker runs bin/tachikoma-broker on a free loopback port with an
# account for the pet; it sets SRV and PORT.
start_broker() {
	local dir=$work/broker
	mkdir -p "$dir"
	echo bench-password | "$BROKER" user add bench --data-dir "$dir" >/dev/null
	for _ in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 20000))
		"$BROKER" serve --data-dir "$dir" --mqtt-addr "127.0.0.1:$PORT" --ws-addr '' --http-addr '' \
			--log-level warn >"$dir/log" 2>&1 &
		SRV=$!
		for _ in $(seq 50); do
			(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
			kill -0 "$SRV" 2>/dev/null || break
			sleep 0.1
		done
		kill "$SRV" 2>/dev/null || true
		wait "$SRV" 2>/dev/null || true
	done
	echo "bench-pet: the broker did not start; log:" >&2
	cat "$dir/log" >&2
	exit 1
}

status=0
echo "bench-pet: ${DURATION}s per run, seed $SEED, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
for mode in $MODES; do
	args=()
	case $mode in
		hosting) ;;
		remote)
			[ -n "${SRV:-}" ] || start_broker
			args=(--server "mqtt://127.0.0.1:$PORT" --user bench)
			;;
		*) echo "bench-pet: unknown mode $mode (hosting, remote)" >&2; exit 2 ;;
	esac
	for pets in $PETS; do
		dir="$work/$mode$pets"
		mkdir -p "$dir"
		# No state file: the test hook would add its own writes to the figures.
		# Whether the pets move is read from their windows' positions instead.
		# --new-instance: a pet the user runs must not take these pets over.
		XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data" XDG_STATE_HOME="$dir/state" \
			TACHIKOMA_STATE_FILE= TACHIKOMA_PASSWORD=bench-password \
			"$BIN" --new-instance --pets "$pets" --seed "$SEED" --log-level warn "${args[@]}" >"$dir/log" 2>&1 &
		PET=$!
		for _ in $(seq 100); do [ "$(positions | wc -l)" -ge "$pets" ] && break; sleep 0.1; done
		if [ "$(positions | wc -l)" -lt "$pets" ]; then
			echo "bench-pet: the pets did not appear; log:" >&2
			cat "$dir/log" >&2
			exit 1
		fi
		sleep "$WARMUP"
		t0=$(cpu_ticks "$PET")
		: >"$dir/positions"
		for _ in $(seq "$DURATION"); do
			sleep 1
			positions >>"$dir/positions"
		done
		t1=$(cpu_ticks "$PET")
		rss=$(kib "$PET" VmRSS)
		hwm=$(kib "$PET" VmHWM)
		anon=$(kib "$PET" RssAnon)
		file=$(kib "$PET" RssFile)
		kill "$PET"
		wait "$PET" 2>/dev/null || true
		PET=

		# A pet moved when its window was seen at two positions or more.
		moved=$(sort -u "$dir/positions" | awk '{n[$1]++} END {m = 0; for (w in n) if (n[w] > 1) m++; print m}')
		cpu=$(awk -v d="$((t1 - t0))" -v hz="$HZ" -v s="$DURATION" 'BEGIN{printf "%.2f", d * 100 / hz / s}')
		rss_mib=$(awk -v k="$rss" 'BEGIN{printf "%.1f", k / 1024}')
		hwm_mib=$(awk -v k="$hwm" 'BEGIN{printf "%.1f", k / 1024}')
		split=$(awk -v a="$anon" -v f="$file" 'BEGIN{printf "%.1f anon + %.1f files", a / 1024, f / 1024}')
		if [ "$pets" = 1 ]; then
			cpu_max=1
			if [ "$mode" = hosting ]; then rss_max=45; else rss_max=40; fi
		else
			cpu_max=2 rss_max=60
		fi
		verdict=ok
		awk -v c="$cpu" -v m="$cpu_max" -v r="$rss_mib" -v rm="$rss_max" 'BEGIN{exit !(c <= m && r <= rm)}' || verdict=OVER
		[ "$moved" -ge "$pets" ] || verdict=FROZEN
		[ "$verdict" = ok ] || status=1
		printf '%-7s pets=%d  cpu=%s%% of one core (target <= %s%%)  rss=%s MiB (%s; peak %s, target <= %s)  moved %d of %d  %s\n' \
			"$mode" "$pets" "$cpu" "$cpu_max" "$rss_mib" "$split" "$hwm_mib" "$rss_max" "$moved" "$pets" "$verdict"
		if grep -q 'level=ERROR' "$dir/log"; then
			echo "bench-pet: errors in the pet's log:" >&2
			grep 'level=ERROR' "$dir/log" | head -5 >&2
			status=1
		fi
	done
done
exit "$status"
