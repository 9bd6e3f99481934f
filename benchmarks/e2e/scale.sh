#!/usr/bin/env bash
# Scale benchmark (`bin/jvs bench --scale`): N containers on one network, the kernel bridge and jvs in the same run.
#
# For each N of --scale-sizes and each fabric (kernel bridge first, then jvs, once per --lanes-list entry):
#   - create N namespaces and attach each to one network, timing every create and attach on its own:
#       kernel bridge: the `ip` commands Docker's netlink calls amount to (namespace: `ip netns add` + lo up;
#       attach: veth with its peer born in the namespace, master, up, address, link up, default route), so
#       each figure includes the fork/exec of `ip` (~4 ms here);
#       jvs: the API over its unix socket with curl (POST /sandboxes/create, POST /networks/NET/connect), the
#       call's own time (curl's time_total), so no JVM start of the CLI is counted;
#   - memory per port (jvs: daemon RSS after attaching minus before, / ports; and its ring mappings);
#   - idle CPU over --idle-seconds without traffic (jvs: the daemon's utime + stime from /proc/PID/stat; the
#     bridge has no thread of its own), beside the whole machine's busy time in the same window;
#   - one iperf3 TCP pair, then --pairs pairs at once among distinct namespaces (aggregate Gbit/s);
#   - detach all (timed one by one) and remove.
# Prints a progress line per step on stderr, a Markdown table on stdout, and writes the table, the command and
# the machine into the "Scale" section of docs/benchmarks.md (between its markers; the rest of the file is kept).
#
# Everything this script creates is named jz<random>…, and is removed by exact name (processes by exact PID) in
# the EXIT/INT/TERM trap. Errors are handled explicitly (a failed attach ends that fabric's attach loop and is
# reported), hence no `set -e`; `a && b || fail` below means "fail if either step fails" (shellcheck SC2015).
# shellcheck disable=SC2015
set -uo pipefail
export LC_ALL=C                           # '.' in EPOCHREALTIME, curl's times and awk's numbers

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
# shellcheck source=benchmarks/e2e/lib.sh
source "$SCRIPT_DIR/lib.sh"

# ---------------------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------------------
SIZES="2,64,1024"
PAIRS=4
TCP_SECONDS=5
IDLE_SECONDS=10
FABRICS="bridge,jvs"
LANES_LIST=""               # e.g. "1,2": jvs once per entry, with `--lanes L`
JVS_DAEMON_OPTS=""
OUT_FILE="$REPO_ROOT/docs/benchmarks.md"
JVS_BIN="${JVS_BIN:-$REPO_ROOT/bin/jvs}"
readonly ORIGINAL_ARGS="$*"
readonly MAX_SIZE=4096                    # issue 15's largest size (the switch takes more ports)

usage() {
    cat <<EOF
Usage: bin/jvs bench --scale [options]      (or benchmarks/e2e/scale.sh [options]; needs root)

  --scale-sizes LIST   comma list of N, containers on one network (default $SIZES; at most $MAX_SIZE)
  --pairs K            concurrent TCP pairs for the aggregate (default $PAIRS; at most N/2 are used)
  --tcp-seconds S      iperf3 duration of the single pair and of the aggregate (default $TCP_SECONDS)
  --idle-seconds S     idle CPU window (default $IDLE_SECONDS)
  --fabrics LIST       bridge, jvs or both (default $FABRICS)
  --lanes-list LIST    run jvs once per entry with \`jvs daemon --lanes L\`, e.g. 1,2 (needs a daemon with --lanes)
  --jvs PATH           jvs launcher (default \$JVS_BIN or bin/jvs)
  --jvs-opts "OPTS"    extra options for \`jvs daemon\`
  --out FILE           report file; its "Scale" section is replaced (default docs/benchmarks.md)
  -h, --help           this text
EOF
}

parse_args() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --scale) ;;                                   # how bench.sh hands over; nothing to do here
            --scale-sizes) SIZES="$2"; shift ;;
            --pairs) PAIRS="$2"; shift ;;
            --tcp-seconds) TCP_SECONDS="$2"; shift ;;
            --idle-seconds) IDLE_SECONDS="$2"; shift ;;
            --fabrics) FABRICS="$2"; shift ;;
            --lanes-list) LANES_LIST="$2"; shift ;;
            --jvs) JVS_BIN="$2"; shift ;;
            --jvs-opts) JVS_DAEMON_OPTS="$2"; shift ;;
            --out) OUT_FILE="$2"; shift ;;
            -h|--help) usage; exit 0 ;;
            *) echo "scale: unknown option '$1'" >&2; usage >&2; exit 2 ;;
        esac
        shift
    done
    local n
    IFS=',' read -r -a SIZE_LIST <<<"$SIZES"
    IFS=',' read -r -a LANES <<<"$LANES_LIST"
    for n in "$PAIRS" "$TCP_SECONDS" "$IDLE_SECONDS" "${SIZE_LIST[@]}" "${LANES[@]+"${LANES[@]}"}"; do
        [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "scale: not a positive integer: '$n'" >&2; exit 2; }
    done
    for n in "${SIZE_LIST[@]}"; do
        ((n >= 2 && n <= MAX_SIZE)) || { echo "scale: N must be 2..$MAX_SIZE: $n" >&2; exit 2; }
    done
    case "$FABRICS" in
        bridge|jvs|bridge,jvs|jvs,bridge) ;;
        *) echo "scale: --fabrics takes bridge, jvs or bridge,jvs" >&2; exit 2 ;;
    esac
}

# ---------------------------------------------------------------------------------------------------------
# Resources and cleanup: every namespace and process is recorded and removed by exact name / PID.
# ---------------------------------------------------------------------------------------------------------
RID="$(printf '%04x' $((RANDOM % 65536)))"
readonly RID
readonly PREFIX="jz$RID"                  # 6 chars; namespace and link names below stay within 15
readonly WORK_DIR="/tmp/$PREFIX-scale"
OWNED_NS=()
OWNED_PIDS=()
JVS_DAEMONS=()
JVS_SANDBOXES=()                          # sandboxes of the running daemon (JVS_SOCKET)
JVS_SOCKET=""
install_cleanup scale teardown

# Removes what a fabric run left: the daemon's sandboxes through its API (bounded: 2 minutes), processes by PID,
# namespaces by exact name (whatever the daemon did not remove), and jvs's /etc/netns/NAME files.
teardown() {
    local sb ns pid deadline=$((SECONDS + 120))
    if [[ -n "$JVS_SOCKET" && -S "$JVS_SOCKET" ]]; then
        for sb in "${JVS_SANDBOXES[@]+"${JVS_SANDBOXES[@]}"}"; do
            ((SECONDS < deadline)) || break
            [[ -e "/run/netns/$sb" ]] && api DELETE "/sandboxes/$sb" 10
        done
    fi
    for pid in "${OWNED_PIDS[@]+"${OWNED_PIDS[@]}"}"; do stop_pid "$pid"; done
    OWNED_PIDS=()
    for ns in "${OWNED_NS[@]+"${OWNED_NS[@]}"}"; do
        [[ -e "/run/netns/$ns" ]] || continue
        ip netns pids "$ns" 2>/dev/null | while read -r pid; do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    for sb in "${JVS_SANDBOXES[@]+"${JVS_SANDBOXES[@]}"}"; do
        [[ -n "$sb" && -e "/etc/netns/$sb" ]] && rm -rf -- "/etc/netns/$sb"
    done
    OWNED_NS=(); JVS_SANDBOXES=(); JVS_DAEMONS=(); JVS_SOCKET=""
}

# ---------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------
CURRENT=""                                # "N=64 kernel bridge": what the progress lines are about
progress() { printf '[scale %s %s] %s\n' "$(date +%H:%M:%S)" "$CURRENT" "$*" >&2; }
warn() { printf 'scale: warning: %s: %s\n' "$CURRENT" "$*" >&2; }

usec() { local t="${EPOCHREALTIME/[.,]/}"; printf '%s' "$((10#$t))"; }   # no fork: bash's clock
seconds_since() { awk -v a="$1" -v b="$(usec)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }

# Median and p90 (nearest rank) of a file of microseconds, as "MEDIAN P90" in ms.
ms_stats() {
    sort -g "$1" | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit 1
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        i = int(NR * 0.9); if (i < NR * 0.9) i++; if (i < 1) i = 1
        printf "%.1f %.1f\n", m / 1000, v[i] / 1000 }'
}

ipv4_of() { ip -n "$1" -4 -o addr show dev "$2" | awk '{ split($4, a, "/"); print a[1]; exit }'; }

# api METHOD PATH [TIMEOUT] [JSON]: one call to the daemon on JVS_SOCKET. Sets API_STATUS, API_US (the call's own
# time, curl's time_total, in µs) and API_BODY; fails unless the status is 2xx.
api() {
    local method="$1" path="$2" limit="${3:-60}" body="${4:-}" out secs
    local -a data=()
    [[ -n "$body" ]] && data=(-H 'Content-Type: application/json' --data "$body")
    out="$(curl -sS --max-time "$limit" --unix-socket "$JVS_SOCKET" -X "$method" "${data[@]+"${data[@]}"}" \
        -o "$WORK_DIR/api.out" -w '%{http_code} %{time_total}' "http://jvs$path" 2>"$WORK_DIR/api.err")"
    read -r API_STATUS secs <<<"$out"
    API_BODY="$(cat "$WORK_DIR/api.out" 2>/dev/null; cat "$WORK_DIR/api.err" 2>/dev/null)"
    API_US="$(awk -v s="${secs:-0}" 'BEGIN { printf "%d", s * 1e6 }')"
    [[ "${API_STATUS:-000}" == 2?? ]]
}

api_error() { printf 'HTTP %s: %s' "${API_STATUS:-none}" "$(printf '%s' "$API_BODY" | tr '\n' ' ' | cut -c1-160)"; }

# CPU time so far, in clock ticks: of one process (utime + stime, all threads), and of the whole machine (busy).
proc_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
machine_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
readonly CLK_TCK="$(getconf CLK_TCK)"

# ---------------------------------------------------------------------------------------------------------
# Results: RES["N|fabric|metric"] is the table cell, NUM[...] the figure a ratio is taken of.
# ---------------------------------------------------------------------------------------------------------
declare -A RES NUM
FAB_IDS=()
declare -A FAB_TITLE FAB_LANES

put() { RES["$1|$2|$3"]="$4"; [[ -n "${5:-}" ]] && NUM["$1|$2|$3"]="$5"; return 0; }

# Stores the median (p90) of a file of µs samples as metric $3.
put_times() {
    local n="$1" f="$2" metric="$3" file="$4" med p90
    read -r med p90 < <(ms_stats "$file" 2>/dev/null) || { put "$n" "$f" "$metric" "–"; return; }
    put "$n" "$f" "$metric" "$med ($p90)" "$med"
}

# The namespaces of the run, in attach order, and their IPv4 addresses (filled lazily for jvs).
NSES=()
declare -A NS_IP

# ---------------------------------------------------------------------------------------------------------
# Measurements shared by the fabrics
# ---------------------------------------------------------------------------------------------------------
# measure_idle N FABRIC [PID]: the process's CPU over IDLE_SECONDS without traffic, and the whole machine's.
measure_idle() {
    local n="$1" f="$2" pid="${3:-}" p0=0 p1=0 m0 m1 t0 t1
    progress "idle for ${IDLE_SECONDS} s ..."
    [[ -n "$pid" ]] && p0="$(proc_ticks "$pid")"
    m0="$(machine_busy_ticks)"; t0="$(usec)"
    sleep "$IDLE_SECONDS"
    [[ -n "$pid" ]] && p1="$(proc_ticks "$pid")"
    m1="$(machine_busy_ticks)"; t1="$(usec)"
    local secs pct busy
    secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')"
    busy="$(awk -v d=$((m1 - m0)) -v s="$secs" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", d / hz / s * 100 }')"
    put "$n" "$f" busy "$busy"
    if [[ -n "$pid" ]]; then
        pct="$(awk -v d=$((p1 - p0)) -v s="$secs" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", d / hz / s * 100 }')"
        put "$n" "$f" idle "$pct" "$pct"
    else
        put "$n" "$f" idle "0 (no thread)"
    fi
}

# run_pairs K: K iperf3 pairs at once among distinct namespaces spread over the attached ones, counted from the last
# attached (server ports-1-2j*step, client the one before): the kernel bridge floods a broadcast to its ports
# newest first, and the oldest are the ones a full backlog leaves out (measure_reach). Sets PAIRS_USED, PAIRS_GBPS
# (sum of receiver rates) and PAIRS_RETR, or fails.
run_pairs() {
    local want="$1" ports=${#NSES[@]} k step j c s
    k=$want; ((k > ports / 2)) && k=$((ports / 2))
    ((k >= 1)) || return 1
    step=$((ports / (2 * k)))
    local -a clients=() servers=() server_pids=() client_pids=()
    for ((j = 0; j < k; j++)); do
        s=$((ports - 1 - 2 * j * step)); c=$((s - 1))
        clients+=("${NSES[$c]}"); servers+=("${NSES[$s]}")
        [[ -n "${NS_IP[${NSES[$s]}]:-}" ]] || NS_IP[${NSES[$s]}]="$(ipv4_of "${NSES[$s]}" eth0)"
        [[ -n "${NS_IP[${NSES[$s]}]}" ]] || { warn "no IPv4 address on eth0 in ${NSES[$s]}"; return 1; }
    done
    progress "$k TCP pair(s) at once for ${TCP_SECONDS} s ..."
    for ((j = 0; j < k; j++)); do
        start_bg "$WORK_DIR/iperf3-s$j.log" ip netns exec "${servers[$j]}" iperf3 -s -B "${NS_IP[${servers[$j]}]}" -p 5201
        server_pids+=("$LAST_PID")
    done
    local ok=1
    for ((j = 0; j < k; j++)); do
        wait_for_port "${servers[$j]}" t 5201 || { warn "iperf3 server in ${servers[$j]} did not start"; ok=0; }
        # ARP both ways and, on jvs, the MAC table learns both ends before the streams start.
        timeout 10 ip netns exec "${clients[$j]}" ping -q -c 2 -i 0.2 -W 1 "${NS_IP[${servers[$j]}]}" >/dev/null 2>&1 ||
            { warn "no ping from ${clients[$j]} to ${servers[$j]}"; ok=0; }
    done
    if ((ok)); then
        for ((j = 0; j < k; j++)); do
            start_bg "$WORK_DIR/iperf3-c$j.json" timeout $((TCP_SECONDS + 30)) ip netns exec "${clients[$j]}" \
                iperf3 -c "${NS_IP[${servers[$j]}]}" -p 5201 -t "$TCP_SECONDS" -J
            client_pids+=("$LAST_PID")
        done
        for j in "${!client_pids[@]}"; do wait "${client_pids[$j]}" 2>/dev/null; forget_pid "${client_pids[$j]}"; done
    fi
    for j in "${!server_pids[@]}"; do forget_pid "${server_pids[$j]}"; done
    ((ok)) || return 1
    local sum=0 retr=0 bps r
    for ((j = 0; j < k; j++)); do
        bps="$(jq -r '.end.sum_received.bits_per_second // empty' "$WORK_DIR/iperf3-c$j.json" 2>/dev/null)"
        r="$(jq -r '.end.sum_sent.retransmits // 0' "$WORK_DIR/iperf3-c$j.json" 2>/dev/null)"
        [[ -n "$bps" ]] || { warn "iperf3 pair $j: $(jq -r '.error // "no output"' "$WORK_DIR/iperf3-c$j.json" 2>/dev/null)"; return 1; }
        sum="$(awk -v a="$sum" -v b="$bps" 'BEGIN { print a + b }')"; retr=$((retr + ${r:-0}))
    done
    PAIRS_USED=$k
    PAIRS_GBPS="$(awk -v b="$sum" 'BEGIN { printf "%.2f", b / 1e9 }')"
    PAIRS_RETR=$retr
}

# softnet_stat's second column: frames dropped because a CPU's input backlog (netdev_max_backlog) was full.
backlog_drops() { local sum=0 d; while read -r _ d _; do sum=$((sum + 16#$d)); done </proc/net/softnet_stat; echo "$sum"; }

# Does a broadcast reach every port? The first attached container pings the second (ARP first); the backlog drops of
# the machine in the meantime tell why it does not. The kernel bridge hands each flooded copy to the receiving
# veth's CPU backlog within one softirq: past netdev_max_backlog copies, the rest are dropped.
measure_reach() {
    local n="$1" f="$2" a="${NSES[0]}" b="${NSES[1]}" d0 d1 ok=no
    [[ -n "${NS_IP[$b]:-}" ]] || NS_IP[$b]="$(ipv4_of "$b" eth0)"
    progress "ping from the first container to the second ..."
    d0="$(backlog_drops)"
    timeout 10 ip netns exec "$a" ping -q -c 3 -i 0.2 -W 1 "${NS_IP[$b]}" >/dev/null 2>&1 && ok=yes
    d1="$(backlog_drops)"
    put "$n" "$f" reach "$ok ($((d1 - d0)) dropped)"
}

measure_tcp() {
    local n="$1" f="$2"
    if run_pairs 1; then put "$n" "$f" tcp1 "$PAIRS_GBPS" "$PAIRS_GBPS"; else put "$n" "$f" tcp1 "error"; fi
    if run_pairs "$PAIRS"; then
        put "$n" "$f" tcpk "$PAIRS_GBPS ($PAIRS_USED pair$( ((PAIRS_USED > 1)) && echo s), $PAIRS_RETR retr.)" "$PAIRS_GBPS"
    else
        put "$n" "$f" tcpk "error"
    fi
}

# Progress while attaching or detaching: every eighth of N and at the end.
attach_progress() { loop_progress attached attach "$@"; }
detach_progress() { loop_progress detached detach "$@"; }
loop_progress() {
    local done_word="$1" what="$2" i="$3" n="$4" file="$5" started="$6" med p90
    ((i == n || i % ((n + 7) / 8) == 0)) || return 0
    read -r med p90 < <(ms_stats "$file") || return 0
    progress "$done_word $i/$n ($what median $med ms, p90 $p90 ms; $(seconds_since "$started") s so far)"
}

# ---------------------------------------------------------------------------------------------------------
# Kernel bridge: a bridge in a private "switch" namespace (STP off), gateway address on it, /16 network.
# ---------------------------------------------------------------------------------------------------------
readonly BR_NET=10.76 BR_GW=10.76.0.1
BRIDGE_MAX_PORTS=""                       # set when `master` was refused: the bridge's port limit, as found
BRIDGE_LIMIT_AT=""

br_ip() { local h=$(($1 + 2)); printf '%s.%d.%d' "$BR_NET" $((h / 256)) $((h % 256)); }

run_bridge() {
    local n="$1" f=bridge sw="${PREFIX}bw" br="${PREFIX}br" i ns port t0 t1 step started
    local create="$WORK_DIR/$n-$f-create.us" attach="$WORK_DIR/$n-$f-attach.us"
    local detach="$WORK_DIR/$n-$f-detach.us" remove="$WORK_DIR/$n-$f-remove.us" err="$WORK_DIR/ip.err"
    : >"$create"; : >"$attach"; : >"$detach"; : >"$remove"
    NSES=(); NS_IP=()
    progress "setting up the bridge ..."
    # The switch namespace without IPv6 too: its ports carry no link-local addresses, DAD or MLD.
    ip netns add "$sw" && OWNED_NS+=("$sw") && ip -n "$sw" link set lo up &&
    ip netns exec "$sw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 &&
    ip -n "$sw" link add "$br" type bridge && ip -n "$sw" addr add "$BR_GW/16" dev "$br" && ip -n "$sw" link set "$br" up ||
        { put "$n" "$f" ports "error: cannot create the bridge"; teardown; return 1; }
    started=$(usec)
    local note=""
    for ((i = 0; i < n; i++)); do
        ns="${PREFIX}b$i"; port="${PREFIX}p$i"
        t0=$(usec)
        ip netns add "$ns" 2>"$err" && ip -n "$ns" link set lo up 2>>"$err" ||
            { note="namespace $((i + 1)): $(head -c 160 "$err")"; break; }
        t1=$(usec)
        OWNED_NS+=("$ns")
        echo $((t1 - t0)) >>"$create"
        # No IPv6 chatter (RS/ND/MLD): as jvs does in its sandboxes; not part of the attach time.
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        t0=$(usec)
        step="veth" && ip -n "$sw" link add "$port" type veth peer name eth0 netns "$ns" 2>"$err" &&
        step="master" && ip -n "$sw" link set "$port" master "$br" 2>>"$err" &&
        step="up" && ip -n "$sw" link set "$port" up 2>>"$err" &&
        step="address" && ip -n "$ns" addr add "$(br_ip "$i")/16" dev eth0 2>>"$err" &&
        step="eth0 up" && ip -n "$ns" link set eth0 up 2>>"$err" &&
        step="route" && ip -n "$ns" route add default via "$BR_GW" 2>>"$err" || {
            note="port $((i + 1)): \`ip $step\` failed: $(tr '\n' ' ' <"$err" | head -c 160 | sed 's/ *$//')"
            [[ "$step" == master ]] && { BRIDGE_MAX_PORTS=$i; BRIDGE_LIMIT_AT=$n; }
            ip netns del "$ns" 2>/dev/null          # its veth goes with it
            break
        }
        t1=$(usec)
        echo $((t1 - t0)) >>"$attach"
        NSES+=("$ns"); NS_IP[$ns]="$(br_ip "$i")"
        attach_progress $((i + 1)) "$n" "$attach" "$started"
    done
    [[ -n "$note" ]] && progress "stopped at: $note"
    finish_attach "$n" "$f" "$started" "$note" "$create" "$attach" || { teardown; return 1; }
    measure_idle "$n" "$f"
    put "$n" "$f" mem "n/a (kernel)"
    measure_reach "$n" "$f"
    measure_tcp "$n" "$f"
    progress "detaching ${#NSES[@]} ports and removing the namespaces ..."
    started=$(usec)
    for i in "${!NSES[@]}"; do
        ns="${NSES[$i]}"
        t0=$(usec); ip -n "$ns" link del eth0 2>/dev/null; t1=$(usec); echo $((t1 - t0)) >>"$detach"
        t0=$(usec); ip netns del "$ns" 2>/dev/null; t1=$(usec); echo $((t1 - t0)) >>"$remove"
        detach_progress $((i + 1)) "${#NSES[@]}" "$detach" "$started"
    done
    put "$n" "$f" teardown_s "$(seconds_since "$started")"
    put_times "$n" "$f" detach "$detach"; put_times "$n" "$f" remove "$remove"
    teardown
}

# Records the attach results; fails (the fabric is skipped) when fewer than two ports came up.
finish_attach() {
    local n="$1" f="$2" started="$3" note="$4" create="$5" attach="$6"
    put "$n" "$f" setup_s "$(seconds_since "$started")"
    put_times "$n" "$f" create "$create"; put_times "$n" "$f" attach "$attach"
    if [[ -n "$note" ]]; then
        put "$n" "$f" ports "${#NSES[@]} of $n; $note"
    else
        put "$n" "$f" ports "${#NSES[@]}"
    fi
    ((${#NSES[@]} >= 2))
}

# ---------------------------------------------------------------------------------------------------------
# jvs: a daemon on a private socket and state directory; sandboxes and connects through its API.
# ---------------------------------------------------------------------------------------------------------
readonly JVS_SUBNET=10.78.0.0/16

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
rings_kb() {                     # resident bytes of the AF_PACKET ring mappings ("socket:" in smaps), in kB
    awk '/socket:/ { s = 1; next } /^[0-9a-f]+-[0-9a-f]+ / { s = 0 } s && /^Rss:/ { sum += $2 } END { print sum + 0 }' \
        "/proc/$1/smaps" 2>/dev/null
}

run_jvs() {
    local n="$1" f="$2" idx="$3" i sb started net="${PREFIX}n" rss0 rss1 rings
    local create="$WORK_DIR/$n-$f-create.us" attach="$WORK_DIR/$n-$f-attach.us"
    local detach="$WORK_DIR/$n-$f-detach.us" remove="$WORK_DIR/$n-$f-remove.us"
    : >"$create"; : >"$attach"; : >"$detach"; : >"$remove"
    NSES=(); NS_IP=()
    local -a lane_opts=()
    [[ -n "${FAB_LANES[$f]}" ]] && lane_opts=(--lanes "${FAB_LANES[$f]}")
    progress "starting the daemon ..."
    SKIP_REASON=""
    if ! start_jvs_daemon "$f-$n" "${lane_opts[@]+"${lane_opts[@]}"}"; then
        put "$n" "$f" ports "error: $SKIP_REASON"; teardown; return 1
    fi
    local pid="$JVS_PID"
    api POST /networks/create 60 "{\"Name\":\"$net\",\"IPAM\":{\"Config\":[{\"Subnet\":\"$JVS_SUBNET\"}]}}" ||
        { put "$n" "$f" ports "error: network create: $(api_error)"; teardown; return 1; }
    sleep 1
    rss0="$(rss_kb "$pid")"
    started=$(usec)
    local note=""
    for ((i = 0; i < n; i++)); do
        sb="${PREFIX}${idx}$i"
        JVS_SANDBOXES+=("$sb"); OWNED_NS+=("$sb")
        api POST /sandboxes/create 60 "{\"Name\":\"$sb\"}" || { note="sandbox $((i + 1)): $(api_error)"; break; }
        echo "$API_US" >>"$create"
        api POST "/networks/$net/connect" 60 "{\"Container\":\"$sb\"}" ||
            { note="connect $((i + 1)): $(api_error)"; break; }
        echo "$API_US" >>"$attach"
        NSES+=("$sb")
        attach_progress $((i + 1)) "$n" "$attach" "$started"
    done
    [[ -n "$note" ]] && progress "stopped at: $note"
    # The daemon may log its banner after its socket is up (start_jvs_daemon looked right then).
    JVS_DAEMON_BANNER="$(grep -m1 'listening' "$JVS_LOG" | sed "s:$WORK_DIR/::")" || true
    finish_attach "$n" "$f" "$started" "$note" "$create" "$attach" || { teardown; return 1; }
    sleep 2                                     # ring pages touched, the heap settled
    rss1="$(rss_kb "$pid")"; rings="$(rings_kb "$pid")"
    local ports=${#NSES[@]} per
    per="$(awk -v a="$rss0" -v b="$rss1" -v p="$ports" 'BEGIN { printf "%.2f", (b - a) / 1024 / p }')"
    put "$n" "$f" mem "$per ($(awk -v r="$rings" -v p="$ports" 'BEGIN { printf "%.2f", r / 1024 / p }') rings; RSS $((rss0 / 1024)) → $((rss1 / 1024)) MB)" "$per"
    measure_idle "$n" "$f" "$pid"
    measure_reach "$n" "$f"
    measure_tcp "$n" "$f"
    progress "detaching $ports ports and removing the sandboxes ..."
    started=$(usec)
    for i in "${!NSES[@]}"; do
        sb="${NSES[$i]}"
        if api POST "/networks/$net/disconnect" 60 "{\"Container\":\"$sb\"}"; then
            echo "$API_US" >>"$detach"
        else
            warn "disconnect $sb: $(api_error)"
        fi
        api DELETE "/sandboxes/$sb" 60 && echo "$API_US" >>"$remove" || warn "sandbox rm $sb: $(api_error)"
        detach_progress $((i + 1)) "$ports" "$detach" "$started"
    done
    put "$n" "$f" teardown_s "$(seconds_since "$started")"
    put_times "$n" "$f" detach "$detach"; put_times "$n" "$f" remove "$remove"
    api DELETE "/networks/$net" 60 || warn "network rm: $(api_error)"
    teardown
}

# ---------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------
METRICS=(ports setup_s create attach detach remove teardown_s mem idle busy reach tcp1 tcpk)
declare -A METRIC_TITLE=(
    [ports]="ports attached"
    [setup_s]="create + attach all, s"
    [create]="create one namespace / sandbox, ms median (p90)"
    [attach]="attach one, ms median (p90)"
    [detach]="detach one, ms median (p90)"
    [remove]="remove one namespace / sandbox, ms median (p90)"
    [teardown_s]="detach + remove all, s"
    [mem]="memory per port, MB (daemon RSS Δ / ports)"
    [idle]="idle CPU of the switch, % of a core"
    [busy]="whole machine busy in that idle window, % of a core"
    [reach]="first container pings the second (backlog drops meanwhile)"
    [tcp1]="TCP, 1 pair, Gbit/s"
    [tcpk]="TCP, K pairs at once, Gbit/s (sum)"       # K: --pairs, set in main
)


has_bridge() { [[ ",$FABRICS," == *,bridge,* ]]; }

results_table() {
    local n m f header="| N | metric |" rule="|---:|---|" row
    for f in "${FAB_IDS[@]}"; do header+=" ${FAB_TITLE[$f]} |"; rule+="---|"; done
    if has_bridge; then
        for f in "${FAB_IDS[@]}"; do
            [[ "$f" == bridge ]] && continue
            header+=" ${FAB_TITLE[$f]} ÷ bridge |"; rule+="---:|"
        done
    fi
    echo "$header"; echo "$rule"
    for n in "${SIZE_LIST[@]}"; do
        for m in "${METRICS[@]}"; do
            row="| $n | ${METRIC_TITLE[$m]} |"
            for f in "${FAB_IDS[@]}"; do row+=" ${RES[$n|$f|$m]:-–} |"; done
            if has_bridge; then
                for f in "${FAB_IDS[@]}"; do
                    [[ "$f" == bridge ]] && continue
                    row+=" $(ratio "${NUM[$n|$f|$m]:-}" "${NUM[$n|bridge|$m]:-}") |"
                done
            fi
            echo "$row"
        done
    done
}

# The size a target is read at: the one asked for if it ran, else the nearest that did.
size_for() {
    local want="$1" best="" n
    for n in "${SIZE_LIST[@]}"; do
        if [[ -z "$best" ]] || (( (n > want ? n - want : want - n) < (best > want ? best - want : want - best) )); then
            best=$n
        fi
    done
    echo "$best"
}

# target_row TITLE N METRIC OP LIMIT RATIO(1 = to the bridge, 0 = absolute)
target_row() {
    local title="$1" n="$2" m="$3" op="$4" limit="$5" rel="$6" f v b row="| $1 | $2 |"
    for f in "${FAB_IDS[@]}"; do
        [[ "$f" == bridge ]] && continue
        v="${NUM[$n|$f|$m]:-}"; b="${NUM[$n|bridge|$m]:-}"
        ((rel)) || b=1
        row+=" $(awk -v v="$v" -v b="$b" -v op="$op" -v t="$limit" -v rel="$rel" 'BEGIN {
            if (v == "" || b == "" || b + 0 == 0) { print "–"; exit }
            r = v / b; ok = (op == ">=") ? r >= t : r < t
            printf "%s%s: %s\n", rel ? sprintf("%.2f", r) : v, rel ? "x" : "", ok ? "yes" : "no" }') |"
    done
    echo "$row"
}

targets_table() {
    local f header="| target (issue 15) | at N |" rule="|---|---:|" big
    [[ ",$FABRICS," == *,jvs,* ]] || return 0
    for f in "${FAB_IDS[@]}"; do [[ "$f" == bridge ]] || { header+=" ${FAB_TITLE[$f]} |"; rule+="---|"; }; done
    echo "$header"; echo "$rule"
    big="${SIZE_LIST[-1]}"
    for n in "${SIZE_LIST[@]}"; do ((n > big)) && big=$n; done
    if has_bridge; then
        target_row "aggregate TCP, $PAIRS pairs, ≥ 0.8x the bridge" "$(size_for 64)" tcpk ">=" 0.8 1
        target_row "single pair TCP ≥ 0.8x the bridge" "$(size_for 2)" tcp1 ">=" 0.8 1
    fi
    target_row "memory per port ≤ 1 MB (RSS Δ)" "$big" mem "<" 1.0000001 0
    target_row "attach ≤ 15 ms median (at 1,000)" "$big" attach "<" 15.0000001 0
    target_row "detach ≤ 15 ms median (at 1,000)" "$big" detach "<" 15.0000001 0
    target_row "idle < 2 % of a core (at 4,096)" "$big" idle "<" 2 0
}

readonly REPORT_BEGIN="<!-- scale.sh: scale report begin -->"
readonly REPORT_END="<!-- scale.sh: scale report end -->"

report_block() {
    echo "$REPORT_BEGIN"
    echo "## Scale"
    echo
    echo "Generated by \`bin/jvs bench --scale\` (benchmarks/e2e/scale.sh): N containers on one network, the kernel"
    echo "bridge and jvs one after the other in the same run; ratios are jvs ÷ bridge (for times lower is better)."
    echo
    echo "Command: \`$COMMAND_LINE\` (run time $(((SECONDS - RUN_STARTED) / 60)) min)"
    echo
    machine_lines
    echo "- tools: $(iperf3 --version 2>/dev/null | head -n 1 | cut -d' ' -f1-2), $(ip -V 2>/dev/null), $(curl --version | head -n 1 | cut -d' ' -f1-2)"
    echo "- jvs daemon: ${JVS_DAEMON_BANNER:-not run}${JVS_DAEMON_OPTS:+ (with \`$JVS_DAEMON_OPTS\`)}"
    echo "- the machine is shared: the \"whole machine busy\" rows show how much else ran in each idle window"
    echo
    results_table
    echo
    targets_table
    echo
    echo "### Method"
    echo
    echo "- Kernel bridge: a bridge in a private namespace (STP off, the gateway ${BR_GW}/16 on it). Per container,"
    echo "  as Docker's netlink calls do, with \`ip\`: create = \`ip netns add\` + lo up; attach = veth created in the"
    echo "  switch namespace with its peer born in the container as eth0, \`master\`, up, address, eth0 up, default"
    echo "  route: 6 \`ip\` processes, so each attach includes 6 fork/execs of \`ip\` (the \`ip\` cost); detach = \`ip link"
    echo "  del eth0\`; remove = \`ip netns del\`. Times from bash's clock (\`EPOCHREALTIME\`) around the commands. The"
    echo "  Linux bridge takes at most 1023 ports (BR_MAX_PORTS 1024, port 0 reserved): at N = 1024 the 1024th"
    echo "  \`master\` fails (\"Exchange full\") and the row is measured with the ports that attached."
    echo "- jvs: a daemon on a private socket and state directory (\`--no-docker-plugin --no-host-port\`), one network"
    echo "  $JVS_SUBNET; create = \`POST /sandboxes/create\`, attach = \`POST /networks/NET/connect\`, detach ="
    echo "  \`POST /networks/NET/disconnect\`, remove = \`DELETE /sandboxes/NAME\`, each the API call's own time over the"
    echo "  unix socket (curl's time_total: no CLI, no JVM start). A fresh daemon for each N."
    echo "- Memory per port: the daemon's VmRSS 2 s after the last attach minus VmRSS before the first (network"
    echo "  created), divided by the ports; \"rings\" is the resident part of its AF_PACKET ring mappings per port."
    echo "  The kernel bridge's memory (veth, bridge port, namespaces) is the kernel's and is not measured."
    echo "- Idle CPU: no traffic, ${IDLE_SECONDS} s; jvs = the daemon's utime + stime (/proc/PID/stat, all threads). The"
    echo "  bridge has no thread of its own and does nothing without frames. \"Whole machine busy\" is /proc/stat's"
    echo "  busy time of all CPUs in the same window (other work on this shared machine shows there)."
    echo "- Broadcast reach: the first container attached pings the second (\`ping -c 3\`, ARP first); \"dropped\" is the"
    echo "  machine's softnet_stat backlog drops meanwhile. The kernel bridge floods a broadcast to its ports newest"
    echo "  first, each copy into the receiving CPU's input backlog within one softirq: past netdev_max_backlog"
    echo "  ($(sysctl -n net.core.netdev_max_backlog 2>/dev/null)) copies the rest are dropped, so with more ports than that the oldest ports miss every"
    echo "  broadcast (ARP) from their neighbours."
    echo "- TCP: iperf3, default offloads, ${TCP_SECONDS} s, receiver-side rate; 1 pair between the last two containers"
    echo "  attached, then $PAIRS pairs at once (at most N/2) among distinct containers spread over the attached ones,"
    echo "  counted from the last (so the bridge's broadcast drops above do not decide them); the sum of the pairs'"
    echo "  rates and of their retransmits."
    echo "$REPORT_END"
}

write_report() {
    local block="$WORK_DIR/scale-report.md"
    report_block >"$block"
    replace_report_block "$OUT_FILE" "$REPORT_BEGIN" "$REPORT_END" "$block" append
}

# ---------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------
check_prerequisites() {
    local tool missing=()
    [[ $EUID -eq 0 ]] || { echo "scale: needs root (network namespaces)" >&2; exit 1; }
    for tool in ip iperf3 jq curl ping ss setsid timeout awk getconf; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        echo "scale: missing tools: ${missing[*]} (apt-get install iproute2 iperf3 jq curl iputils-ping)" >&2
        exit 1
    fi
    [[ -n "${EPOCHREALTIME:-}" ]] || { echo "scale: needs bash 5 (EPOCHREALTIME)" >&2; exit 1; }
}

setup_fabrics() {
    local l letters=(j k l m n o)
    has_bridge && { FAB_IDS+=(bridge); FAB_TITLE[bridge]="kernel bridge"; FAB_LANES[bridge]=""; }
    [[ ",$FABRICS," == *,jvs,* ]] || return 0
    if [[ ${#LANES[@]} -eq 0 ]]; then
        FAB_IDS+=(jvs); FAB_TITLE[jvs]="jvs"; FAB_LANES[jvs]=""; FAB_LETTER[jvs]=j
        return 0
    fi
    ((${#LANES[@]} <= ${#letters[@]})) || { echo "scale: at most ${#letters[@]} --lanes-list entries" >&2; exit 2; }
    # Built first if a source is newer (bin/jvs does that): a generous bound.
    timeout 900 "$JVS_BIN" daemon --help 2>&1 | grep -q -- '--lanes' ||
        { echo "scale: --lanes-list needs a jvs daemon with --lanes ($JVS_BIN daemon --help does not list it)" >&2; exit 2; }
    for l in "${!LANES[@]}"; do
        local id="jvs-l${LANES[$l]}"
        FAB_IDS+=("$id"); FAB_LANES[$id]="${LANES[$l]}"; FAB_LETTER[$id]="${letters[$l]}"
        FAB_TITLE[$id]="jvs, ${LANES[$l]} lane$( ((LANES[l] > 1)) && echo s)"
    done
}
declare -A FAB_LETTER

main() {
    parse_args "$@"
    check_prerequisites
    METRIC_TITLE[tcpk]="TCP, $PAIRS pairs at once, Gbit/s (sum)"
    # The command as run, without where the report went (--out FILE).
    local shown
    shown="$(sed -E 's/(^| )--out [^ ]+//' <<<"$ORIGINAL_ARGS")"
    COMMAND_LINE="bin/jvs bench${shown:+ $shown}"
    [[ "$ORIGINAL_ARGS" == *--scale* ]] || COMMAND_LINE="benchmarks/e2e/scale.sh${shown:+ $shown}"
    RUN_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
    LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
    RUN_STARTED=$SECONDS
    mkdir -p "$WORK_DIR"
    setup_fabrics
    local n f
    for n in "${SIZE_LIST[@]}"; do
        for f in "${FAB_IDS[@]}"; do
            CURRENT="N=$n ${FAB_TITLE[$f]}"
            progress "start (load average $(cut -d' ' -f1-3 /proc/loadavg))"
            if [[ "$f" != bridge ]]; then
                run_jvs "$n" "$f" "${FAB_LETTER[$f]}"
            elif [[ -n "$BRIDGE_MAX_PORTS" ]] && ((n > BRIDGE_MAX_PORTS)); then
                # Beyond its port limit the bridge would only repeat the last size's figures.
                progress "not run: the bridge took $BRIDGE_MAX_PORTS ports at N=$BRIDGE_LIMIT_AT"
                put "$n" bridge ports "not run: the bridge took at most $BRIDGE_MAX_PORTS (at N=$BRIDGE_LIMIT_AT)"
            else
                run_bridge "$n"
            fi
            progress "done in the run's $(((SECONDS - RUN_STARTED) / 60)) min so far"
        done
    done
    CURRENT=""
    echo
    results_table
    echo
    targets_table
    write_report
    echo
    echo "scale: report written to $OUT_FILE (\"Scale\" section)" >&2
}

main "$@"
