#!/usr/bin/env bash
# Scrape time of `jvs daemon --metrics` (docs/observability.md): curl's time_total for GET /metrics, idle and while
# iperf3 TCP runs between two sandboxes, first with 2 ports, then with N ports on one network; and iperf3's rate
# without and with a scrape every 100 ms (does scraping slow forwarding?).
#
#   benchmarks/e2e/scrape-time.sh [--ports N] [--scrapes K] [--metrics-port P]     (root; builds the jar if needed)
#
# Everything it creates is named obsst<random>... and removed by exact name (processes by exact PID) on exit.
# shellcheck disable=SC2015
set -uo pipefail
export LC_ALL=C
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
# shellcheck source=benchmarks/e2e/lib.sh
source "$SCRIPT_DIR/lib.sh"

PORTS=1000
SCRAPES=20
METRICS_PORT=19520
TCP_SECONDS=8
while [[ $# -gt 0 ]]; do
    case "$1" in
        --ports) PORTS="$2"; shift ;;
        --scrapes) SCRAPES="$2"; shift ;;
        --metrics-port) METRICS_PORT="$2"; shift ;;
        *) echo "scrape-time: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done

RUN="obsst$(printf '%04x' $((RANDOM)))"
WORK_DIR="$(mktemp -d "/tmp/obs-st-XXXXXX")"
JVS_BIN="$REPO_ROOT/bin/jvs"
JVS_DAEMON_OPTS=""
OWNED_PIDS=()
JVS_DAEMONS=()
SANDBOXES=()
URL="http://127.0.0.1:$METRICS_PORT/metrics"

teardown() {
    local pid
    for pid in "${OWNED_PIDS[@]+"${OWNED_PIDS[@]}"}"; do stop_pid "$pid"; done
    for sb in "${SANDBOXES[@]+"${SANDBOXES[@]}"}"; do
        ip netns del "$sb" 2>/dev/null
        rm -rf -- "/etc/netns/$sb"
    done
}
install_cleanup scrape-time teardown

api() { curl -sf --unix-socket "$JVS_SOCKET" -H 'Content-Type: application/json' -X POST "http://jvs$1" -d "$2"; }
sandbox() {
    SANDBOXES+=("$1")
    api /sandboxes/create "{\"Name\": \"$1\"}" >/dev/null && api "/networks/$RUN-n/connect" "{\"Container\": \"$1\"}" >/dev/null
}
scrape_ms() { curl -sf -o /dev/null -w '%{time_total}\n' "$URL" | awk '{ printf "%.2f\n", $1 * 1000 }'; }
# scrapes LABEL: K scrapes 0.2 s apart after 5 warm-up ones; prints "LABEL: median X ms, max Y ms".
scrapes() {
    local i times=()
    for i in $(seq 5); do scrape_ms >/dev/null; done
    for i in $(seq "$SCRAPES"); do times+=("$(scrape_ms)"); sleep 0.2; done
    printf '%s: median %s ms, max %s ms (%d scrapes)\n' "$1" "$(printf '%s\n' "${times[@]}" | median)" \
        "$(printf '%s\n' "${times[@]}" | sort -g | tail -n 1)" "$SCRAPES"
}
iperf_gbits() {                    # iperf_gbits SECONDS: a -> b TCP, received Gbit/s
    ip netns exec "$RUN-a" iperf3 -c "$ADDRESS_B" -t "$1" -J 2>/dev/null |
        python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
}
loaded() {                          # loaded LABEL: scrapes while iperf3 runs
    ip netns exec "$RUN-a" iperf3 -c "$ADDRESS_B" -t $((SCRAPES / 4 + 10)) >/dev/null 2>&1 &
    local client=$!
    OWNED_PIDS+=("$client")
    sleep 2
    scrapes "$1"
    wait "$client"
}

start_jvs_daemon obs --metrics "127.0.0.1:$METRICS_PORT" --no-dns || { echo "scrape-time: $SKIP_REASON" >&2; exit 1; }
echo "daemon: $JVS_BANNER" >&2
api /networks/create "{\"Name\": \"$RUN-n\", \"IPAM\": {\"Config\": [{\"Subnet\": \"10.196.0.0/20\"}]}}" >/dev/null ||
    { echo "scrape-time: network create failed" >&2; exit 1; }
sandbox "$RUN-a" && sandbox "$RUN-b" || { echo "scrape-time: sandbox failed" >&2; exit 1; }
ADDRESS_B=$(ip -n "$RUN-b" -4 -o address show eth0 | awk '{ split($4, a, "/"); print a[1] }')
start_bg "$WORK_DIR/iperf3-s.log" ip netns exec "$RUN-b" iperf3 -s
wait_for_port "$RUN-b" t 5201 || { echo "scrape-time: iperf3 -s did not listen" >&2; exit 1; }

echo "2 ports: $(curl -sf "$URL" | grep -vc '^#') series, $(curl -sf "$URL" | wc -c) bytes"
scrapes "2 ports, idle"
loaded "2 ports, iperf3 a->b"
for round in 1 2; do
    quiet=$(iperf_gbits "$TCP_SECONDS")
    ( while :; do curl -sf -o /dev/null "$URL"; sleep 0.1; done ) &
    scraper=$!
    OWNED_PIDS+=("$scraper")
    busy=$(iperf_gbits "$TCP_SECONDS")
    stop_pid "$scraper"
    echo "iperf3 round $round: $quiet Gbit/s without scrapes, $busy Gbit/s with a scrape every 100 ms"
done

start=$(now_ns)
for i in $(seq 3 "$PORTS"); do
    sandbox "$RUN-$i" || { echo "scrape-time: sandbox $i failed" >&2; break; }
done
echo "attached $(( ${#SANDBOXES[@]} )) sandboxes in $(( ($(now_ns) - start) / 1000000 )) ms" >&2
echo "$PORTS ports: $(curl -sf "$URL" | grep -vc '^#') series, $(curl -sf "$URL" | wc -c) bytes"
scrapes "$PORTS ports, idle"
loaded "$PORTS ports, iperf3 a->b"
for sb in "${SANDBOXES[@]}"; do
    curl -sf --unix-socket "$JVS_SOCKET" -X DELETE "http://jvs/sandboxes/$sb" >/dev/null
done
curl -sf --unix-socket "$JVS_SOCKET" -X DELETE "http://jvs/networks/$RUN-n" >/dev/null
