#!/usr/bin/env bash
# Forwarding outage across a daemon restart (issue 17 item 3): two sandboxes ping each other every 10 ms while the
# daemon is killed (SIGKILL, or SIGTERM for a planned restart) and started again on the same state directory.
# Prints, per round: the gap in replies, and how much of it came after the new process was started.
#   benchmarks/e2e/restart-outage.sh [ROUNDS]       (root; run under flock /tmp/jvs-it.lock; ~20 s a round)
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
rounds=${1:-3}
run="ro$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
dir=$(mktemp -d "/tmp/$run.XXXX")
sock="$dir/jvs.sock"
JVS=("$ROOT/bin/jvs" --socket "$sock")
"$ROOT/bin/jvs" --version >/dev/null # build once, not in parallel below
pid=""
start_daemon() {
    "$ROOT/bin/jvs" daemon --socket "$sock" --state-dir "$dir/state" --no-docker-plugin --no-host-port \
        --config none >>"$dir/daemon.log" 2>&1 &
    pid=$!
    for _ in $(seq 300); do "${JVS[@]}" network ls >/dev/null 2>&1 && return 0; sleep 0.02; done
    echo "daemon did not answer" >&2; return 1
}
cleanup() {
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true
    for s in a b; do ip netns del "$run$s" 2>/dev/null || true; done
    for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^jv' || true); do
        grep -q "$l" "$dir/links" 2>/dev/null && ip link del "$l" 2>/dev/null || true
    done
    rm -rf "$dir"
}
trap cleanup EXIT
start_daemon
"${JVS[@]}" network create --subnet 10.233.77.0/24 "$run" >/dev/null
for s in a b; do "${JVS[@]}" sandbox create "$run$s" >/dev/null; "${JVS[@]}" network connect "$run" "$run$s" >/dev/null; done
ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^jv' > "$dir/links" || true
target=$(ip -n "${run}b" -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
echo "round signal gap_ms after_start_ms start_to_api_ms"
for round in $(seq "$rounds"); do
    for signal in KILL TERM; do
        log="$dir/ping-$round-$signal.log"
        ip netns exec "${run}a" ping -n -D -i 0.01 -W 1 -w 12 "$target" > "$log" 2>&1 &
        ping=$!
        sleep 3
        kill -"$signal" "$pid"; wait "$pid" 2>/dev/null || true
        t_start=$(date +%s.%N)
        start_daemon
        t_api=$(date +%s.%N)
        wait "$ping" || true
        # Largest gap between consecutive replies, and where its end lies relative to the new process's start.
        python3 - "$log" "$t_start" "$t_api" "$round" "$signal" <<'PY'
import re, sys
log, t_start, t_api, rnd, sig = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
times = [float(m.group(1)) for m in (re.match(r'\[(\d+\.\d+)\] \d+ bytes from', l) for l in open(log)) if m]
gaps = [(b - a, a, b) for a, b in zip(times, times[1:])]
gap, before, after = max(gaps)
print(f"{rnd} SIG{sig} {gap*1000:.0f} {(after - t_start)*1000:.0f} {(t_api - t_start)*1000:.0f}")
PY
    done
done
