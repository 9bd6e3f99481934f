#!/usr/bin/env bash
# Daemon memory per attached port: starts one `jvs daemon` (private socket and state directory, no Docker plugin,
# no host TAP), attaches sandboxes to one network and prints the daemon's RSS and the bytes its AF_PACKET rings
# map (/proc/PID/smaps, "socket:" mappings) at each count given. docs/scale.md, "Memory per port".
#
#   benchmarks/e2e/port-memory.sh [--jvs PATH] COUNT...      e.g. port-memory.sh 64 256
#
# Everything it creates is named jm<random>…, and is removed by exact name (the daemon by its PID) on exit.
set -uo pipefail
JVS_BIN="$(cd "$(dirname "$0")/../.." && pwd)/bin/jvs"
if [[ "${1:-}" == "--jvs" ]]; then JVS_BIN="$2"; shift 2; fi
(($# > 0)) || { echo "usage: $0 [--jvs PATH] COUNT..." >&2; exit 2; }
PREFIX="jm$(printf '%04x' $((RANDOM % 65536)))"
WORK="$(mktemp -d "/tmp/$PREFIX.XXXX")"
SOCK="$WORK/jvs.sock"
PID=""
SANDBOXES=()

cleanup() {
    local sb
    if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID"; wait "$PID" 2>/dev/null
    fi
    for sb in "${SANDBOXES[@]+"${SANDBOXES[@]}"}"; do
        [[ -e "/run/netns/$sb" ]] && ip netns delete "$sb"
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

cli() { timeout 30 "$JVS_BIN" "$@" --socket "$SOCK" >/dev/null; }

"$JVS_BIN" daemon --socket "$SOCK" --state-dir "$WORK/state" --no-docker-plugin --no-host-port \
    >"$WORK/daemon.log" 2>&1 &
PID=$!
for _ in $(seq 300); do [[ -S "$SOCK" ]] && break; kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
[[ -S "$SOCK" ]] || { echo "daemon did not start: $(tail -n 3 "$WORK/daemon.log")" >&2; exit 1; }
cli network create "${PREFIX}n" --subnet 10.79.0.0/16 || exit 1

report() {
    local rss rings
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status")
    rings=$(awk '/socket:/ {s = 1; next} /^[0-9a-f]+-[0-9a-f]+ / {s = 0} s && /^Rss:/ {sum += $2} END {print sum + 0}' \
        "/proc/$PID/smaps")
    printf '%s ports: daemon RSS %d MB, ring mappings resident %d MB (%.2f MB per port)\n' \
        "$1" $((rss / 1024)) $((rings / 1024)) "$(echo "$rings / 1024 / $1" | bc -l)"
}

attached=0
for target in "$@"; do
    while ((attached < target)); do
        sb="${PREFIX}s$attached"
        SANDBOXES+=("$sb")
        cli sandbox create "$sb" && cli network connect "${PREFIX}n" "$sb" || { echo "attach $sb failed" >&2; exit 1; }
        attached=$((attached + 1))
    done
    sleep 2
    report "$attached"
done
