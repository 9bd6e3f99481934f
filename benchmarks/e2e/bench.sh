#!/usr/bin/env bash
# End-to-end benchmark: the same two-namespace topology over three fabrics, measured back to back.
#
#   (1) veth    client ns ──veth pair── server ns
#   (2) bridge  client ns ──veth── [kernel bridge in a private "switch" ns] ──veth── server ns
#   (3) jvs     client ns ──veth── [jvs daemon, userspace] ──veth── server ns
#
# Per fabric: iperf3 TCP single stream (default offloads), 64-byte UDP frames from trafgen counted at the
# receiver (delivered pps and loss), and sockperf UDP ping-pong latency percentiles. Prints a Markdown
# table with ratios to the kernel bridge and writes it, with the machine description, to docs/benchmarks.md.
#
# Everything this script creates is named jb<random>…, lives in namespaces it creates, and is removed by
# exact name (and processes by exact PID) in the EXIT/INT/TERM trap.
#
# Errors are handled explicitly (a failing fabric becomes a "skipped" row), hence no `set -e`; `a && b || fail`
# below means "fail if either step fails", which is what shellcheck's SC2015 warns about and is intended here.
# shellcheck disable=SC2015
set -uo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
# shellcheck source=benchmarks/e2e/lib.sh
source "$SCRIPT_DIR/lib.sh"

# `bin/jvs bench --scale ...`: N containers on one network, the other script (scale.sh).
for arg in "$@"; do [[ "$arg" == --scale ]] && exec "$SCRIPT_DIR/scale.sh" "$@"; done

# ---------------------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------------------
TCP_SECONDS=5
ROUNDS=3
PPS_SECONDS=5
PPS_ROUNDS=3                # trafgen max-rate windows per fabric; the median (by delivered pps) is reported
PPS_WARMUP_SECONDS=1
PPS_RATE=""                 # empty = as fast as trafgen can (max rate); else e.g. 300000 (pps)
readonly FIXED_RATE_FACTOR=1.5   # jvs is also offered this x the bridge's delivered pps (the target's rate)
readonly FIXED_RATE_REACHED=0.97 # trafgen's slow rate mode sent at least this share of the fixed rate, or the row is not a measurement
LAT_SECONDS=5
AWAKE_CPUS=0                # 1 = hold /dev/cpu_dma_latency at 0 during latency tests (no idle wake-up cost)
FABRICS="veth,bridge,jvs"
OUT_FILE="$REPO_ROOT/docs/benchmarks.md"
JVS_BIN="${JVS_BIN:-$REPO_ROOT/bin/jvs}"
JVS_DAEMON_OPTS=""          # extra `jvs daemon` options, e.g. "--threads dedicated --idle busy"
readonly ORIGINAL_ARGS="$*"

usage() {
    cat <<EOF
Usage: bin/jvs bench [options]      (or benchmarks/e2e/bench.sh [options]; needs root)

  --quick              short run: TCP 2 s x 1 round, pps 2 s, latency 2 s
  --tcp-seconds N      iperf3 duration per round (default $TCP_SECONDS)
  --rounds N           TCP rounds; the median is reported (default $ROUNDS)
  --pps-seconds N      trafgen measuring window (default $PPS_SECONDS)
  --pps-rounds N       max-rate trafgen windows per fabric; the median is reported (default $PPS_ROUNDS)
  --pps-rate PPS       trafgen fixed rate in packets/s (default: max rate)
  --lat-seconds N      sockperf ping-pong duration (default $LAT_SECONDS)
  --awake-cpus         keep CPUs out of idle states during latency tests (PM QoS via /dev/cpu_dma_latency = 0);
                       removes the idle wake-up cost, which otherwise dominates p50 on an idle VM
  --fabrics LIST       comma list of veth, bridge, jvs, vxlan-kernel, vxlan-jvs, nat-kernel, nat-jvs (default
                       $FABRICS); put each kernel fabric before its jvs counterpart (ratios and the fixed
                       rate use its figures): vxlan-kernel,vxlan-jvs = two hosts over VXLAN (kernel vxlan +
                       bridge vs two jvs daemons); nat-kernel,nat-jvs = client to an outside server through
                       masquerade (kernel bridge + iptables vs jvs --uplink)
  --jvs PATH           jvs launcher (default \$JVS_BIN or bin/jvs)
  --jvs-opts "OPTS"    extra options for \`jvs daemon\`, e.g. "--threads dedicated --idle busy"
  --out FILE           where the Markdown report goes (default docs/benchmarks.md)
  --scale              the scale benchmark instead: N containers on one network, kernel bridge and jvs
                       (benchmarks/e2e/scale.sh; \`bin/jvs bench --scale --help\` lists its options)
  -h, --help           this text
EOF
}

parse_args() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --quick) TCP_SECONDS=2; ROUNDS=1; PPS_SECONDS=2; PPS_ROUNDS=1; LAT_SECONDS=2 ;;
            --tcp-seconds) TCP_SECONDS="$2"; shift ;;
            --rounds) ROUNDS="$2"; shift ;;
            --pps-seconds) PPS_SECONDS="$2"; shift ;;
            --pps-rounds) PPS_ROUNDS="$2"; shift ;;
            --pps-rate) PPS_RATE="$2"; shift ;;
            --lat-seconds) LAT_SECONDS="$2"; shift ;;
            --awake-cpus) AWAKE_CPUS=1 ;;
            --fabrics) FABRICS="$2"; shift ;;
            --jvs) JVS_BIN="$2"; shift ;;
            --jvs-opts) JVS_DAEMON_OPTS="$2"; shift ;;
            --out) OUT_FILE="$2"; shift ;;
            -h|--help) usage; exit 0 ;;
            *) echo "bench: unknown option '$1'" >&2; usage >&2; exit 2 ;;
        esac
        shift
    done
    local n
    for n in "$TCP_SECONDS" "$ROUNDS" "$PPS_SECONDS" "$PPS_ROUNDS" "$LAT_SECONDS"; do
        [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench: not a positive integer: '$n'" >&2; exit 2; }
    done
    [[ -z "$PPS_RATE" || "$PPS_RATE" =~ ^[1-9][0-9]*$ ]] || { echo "bench: bad --pps-rate" >&2; exit 2; }
}

# ---------------------------------------------------------------------------------------------------------
# Resources and cleanup: every namespace and process is recorded here and removed by exact name / PID.
# ---------------------------------------------------------------------------------------------------------
RID="$(printf '%04x' $((RANDOM % 65536)))"
readonly RID
readonly PREFIX="jb$RID"                  # 6 chars; every name below stays within 15
readonly WORK_DIR="/tmp/$PREFIX-bench"
OWNED_NS=()                               # namespaces to delete
OWNED_PIDS=()                             # process-group leaders (started with setsid) to kill
OWNED_LINKS=()                            # host-namespace links (underlay, uplink veths) to delete
install_cleanup bench teardown_fabric

add_ns() {
    ip netns add "$1" || return 1
    OWNED_NS+=("$1")
    ip -n "$1" link set lo up
    # No IPv6 chatter (RS/ND/MLD) in the counters.
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# ---------------------------------------------------------------------------------------------------------
# Progress and small helpers
# ---------------------------------------------------------------------------------------------------------
STEP=0
TOTAL_STEPS=0
progress() { printf '[%d/%d] %s\n' "$STEP" "$TOTAL_STEPS" "$*" >&2; }
warn() { printf 'bench: warning: %s\n' "$*" >&2; }

counter() {                      # counter NS IF NAME  -> value of /sys/class/net/IF/statistics/NAME in NS
    ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

mac_of() { ip -n "$1" -j link show dev "$2" | jq -r '.[0].address'; }
ipv4_of() { ip -n "$1" -4 -o addr show dev "$2" | awk '{ split($4, a, "/"); print a[1]; exit }'; }

# ---------------------------------------------------------------------------------------------------------
# Topologies. Each setup_* sets CLI_NS CLI_IF CLI_IP SRV_NS SRV_IF SRV_IP, or sets SKIP_REASON and fails.
# ---------------------------------------------------------------------------------------------------------
declare -A FABRIC_TITLE=([veth]="direct veth pair" [bridge]="kernel bridge" [jvs]="jvs"
    [vxlan-kernel]="kernel vxlan, 2 hosts" [vxlan-jvs]="jvs overlay, 2 daemons"
    [nat-kernel]="kernel bridge + MASQUERADE" [nat-jvs]="jvs + uplink NAT")
# Each fabric's ratios are to the kernel fabric doing the same job, measured earlier in the same run.
declare -A BASELINE=([veth]=bridge [bridge]=bridge [jvs]=bridge
    [vxlan-kernel]=vxlan-kernel [vxlan-jvs]=vxlan-kernel [nat-kernel]=nat-kernel [nat-jvs]=nat-kernel)
NEXT_HOP_IP=""                  # routed fabrics: the client's gateway (trafgen addresses its MAC)
ONE_WAY=0                       # 1 = the server cannot reach the client (NAT): warm up from the client only

setup_veth() {
    CLI_NS="${PREFIX}vc"; SRV_NS="${PREFIX}vs"
    CLI_IF="${PREFIX}vc0"; SRV_IF="${PREFIX}vs0"
    CLI_IP=10.77.1.1; SRV_IP=10.77.1.2
    add_ns "$CLI_NS" && add_ns "$SRV_NS" || { SKIP_REASON="cannot create namespaces"; return 1; }
    ip link add "$CLI_IF" netns "$CLI_NS" type veth peer name "$SRV_IF" netns "$SRV_NS" \
        || { SKIP_REASON="cannot create veth pair"; return 1; }
    ip -n "$CLI_NS" addr add "$CLI_IP/24" dev "$CLI_IF" && ip -n "$CLI_NS" link set "$CLI_IF" up &&
    ip -n "$SRV_NS" addr add "$SRV_IP/24" dev "$SRV_IF" && ip -n "$SRV_NS" link set "$SRV_IF" up \
        || { SKIP_REASON="cannot configure veth pair"; return 1; }
}

setup_bridge() {
    local sw="${PREFIX}bw" br="${PREFIX}br"
    CLI_NS="${PREFIX}bc"; SRV_NS="${PREFIX}bs"
    CLI_IF="${PREFIX}bc0"; SRV_IF="${PREFIX}bs0"
    CLI_IP=10.77.2.1; SRV_IP=10.77.2.2
    add_ns "$CLI_NS" && add_ns "$SRV_NS" && add_ns "$sw" || { SKIP_REASON="cannot create namespaces"; return 1; }
    # STP off (the default) puts ports straight into forwarding.
    ip -n "$sw" link add "$br" type bridge && ip -n "$sw" link set "$br" up \
        || { SKIP_REASON="cannot create kernel bridge"; return 1; }
    ip link add "$CLI_IF" netns "$CLI_NS" type veth peer name "${PREFIX}bc1" netns "$sw" &&
    ip link add "$SRV_IF" netns "$SRV_NS" type veth peer name "${PREFIX}bs1" netns "$sw" \
        || { SKIP_REASON="cannot create veth pairs"; return 1; }
    local port
    for port in "${PREFIX}bc1" "${PREFIX}bs1"; do
        ip -n "$sw" link set "$port" master "$br" && ip -n "$sw" link set "$port" up \
            || { SKIP_REASON="cannot enslave $port"; return 1; }
    done
    ip -n "$CLI_NS" addr add "$CLI_IP/24" dev "$CLI_IF" && ip -n "$CLI_NS" link set "$CLI_IF" up &&
    ip -n "$SRV_NS" addr add "$SRV_IP/24" dev "$SRV_IF" && ip -n "$SRV_NS" link set "$SRV_IF" up \
        || { SKIP_REASON="cannot configure endpoints"; return 1; }
    BRIDGE_NF="$(ip netns exec "$sw" sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null || echo "n/a (br_netfilter not loaded)")"
}

# Two "hosts" (namespaces) joined by a veth underlay, each a bridge with a vxlan device (VNI 4242, learning,
# one static remote) and the endpoint's veth: the kernel's counterpart of vxlan-jvs.
setup_vxlan_kernel() {
    local ha="${PREFIX}ka" hb="${PREFIX}kb" side
    CLI_NS="${PREFIX}kc"; SRV_NS="${PREFIX}ks"
    CLI_IF="${PREFIX}kc0"; SRV_IF="${PREFIX}ks0"
    CLI_IP=10.77.4.1; SRV_IP=10.77.4.2
    add_ns "$CLI_NS" && add_ns "$SRV_NS" && add_ns "$ha" && add_ns "$hb" || { SKIP_REASON="cannot create namespaces"; return 1; }
    ip link add "${PREFIX}ku" netns "$ha" type veth peer name "${PREFIX}kv" netns "$hb" &&
    ip -n "$ha" addr add 10.77.5.1/24 dev "${PREFIX}ku" && ip -n "$ha" link set "${PREFIX}ku" up &&
    ip -n "$hb" addr add 10.77.5.2/24 dev "${PREFIX}kv" && ip -n "$hb" link set "${PREFIX}kv" up \
        || { SKIP_REASON="cannot create the underlay"; return 1; }
    for side in "$ha ${PREFIX}ku 10.77.5.1 10.77.5.2 $CLI_NS $CLI_IF $CLI_IP" \
                "$hb ${PREFIX}kv 10.77.5.2 10.77.5.1 $SRV_NS $SRV_IF $SRV_IP"; do
        local h u here there ens eif eip
        read -r h u here there ens eif eip <<<"$side"
        ip -n "$h" link add "${PREFIX}br" type bridge && ip -n "$h" link set "${PREFIX}br" up &&
        ip -n "$h" link add "${PREFIX}vx" type vxlan id 4242 local "$here" remote "$there" dstport 4789 dev "$u" &&
        ip -n "$h" link set "${PREFIX}vx" master "${PREFIX}br" && ip -n "$h" link set "${PREFIX}vx" up &&
        ip link add "$eif" netns "$ens" type veth peer name "${eif%0}1" netns "$h" &&
        ip -n "$h" link set "${eif%0}1" master "${PREFIX}br" && ip -n "$h" link set "${eif%0}1" up &&
        # The overlay MTU, as on jvs overlay networks (--overlay-mtu 1450): the underlay carries 50 more.
        ip -n "$ens" link set "$eif" mtu 1450 && ip -n "$ens" addr add "$eip/24" dev "$eif" &&
        ip -n "$ens" link set "$eif" up || { SKIP_REASON="cannot build the vxlan host $h"; return 1; }
    done
}

# The client on a kernel bridge with the gateway address in a "router" namespace that forwards and masquerades
# (iptables MASQUERADE, as Docker sets up docker0) to the outside server on a second veth.
setup_nat_kernel() {
    local rt="${PREFIX}tr"
    command -v iptables >/dev/null 2>&1 || { SKIP_REASON="no iptables"; return 1; }
    CLI_NS="${PREFIX}tc"; SRV_NS="${PREFIX}ts"
    CLI_IF="${PREFIX}tc0"; SRV_IF="${PREFIX}ts0"
    CLI_IP=10.77.8.2; SRV_IP=10.77.9.2; NEXT_HOP_IP=10.77.8.1; ONE_WAY=1
    add_ns "$CLI_NS" && add_ns "$SRV_NS" && add_ns "$rt" || { SKIP_REASON="cannot create namespaces"; return 1; }
    ip -n "$rt" link add "${PREFIX}br" type bridge && ip -n "$rt" addr add "$NEXT_HOP_IP/24" dev "${PREFIX}br" &&
    ip -n "$rt" link set "${PREFIX}br" up &&
    ip link add "$CLI_IF" netns "$CLI_NS" type veth peer name "${PREFIX}tc1" netns "$rt" &&
    ip -n "$rt" link set "${PREFIX}tc1" master "${PREFIX}br" && ip -n "$rt" link set "${PREFIX}tc1" up &&
    ip link add "$SRV_IF" netns "$SRV_NS" type veth peer name "${PREFIX}ts1" netns "$rt" &&
    ip -n "$rt" addr add 10.77.9.1/24 dev "${PREFIX}ts1" && ip -n "$rt" link set "${PREFIX}ts1" up &&
    ip netns exec "$rt" sysctl -qw net.ipv4.ip_forward=1 \
        || { SKIP_REASON="cannot build the router namespace"; return 1; }
    ip netns exec "$rt" iptables -t nat -A POSTROUTING -s 10.77.8.0/24 ! -o "${PREFIX}br" -j MASQUERADE \
        || { SKIP_REASON="iptables MASQUERADE failed"; return 1; }
    ip -n "$CLI_NS" addr add "$CLI_IP/24" dev "$CLI_IF" && ip -n "$CLI_NS" link set "$CLI_IF" up &&
    ip -n "$CLI_NS" route add default via "$NEXT_HOP_IP" &&
    ip -n "$SRV_NS" addr add "$SRV_IP/24" dev "$SRV_IF" && ip -n "$SRV_NS" link set "$SRV_IF" up \
        || { SKIP_REASON="cannot configure endpoints"; return 1; }
}

# jvs: each daemon on a private socket and state directory; jvs itself creates the sandboxes (namespaces with
# eth0) and the veths. JVS_DAEMONS holds "pid socket" per daemon, JVS_SANDBOXES "socket name" per sandbox.
JVS_DAEMONS=()
JVS_SANDBOXES=()
JVS_SOCKET=""                            # the socket of the daemon started last
JVS_NET="${PREFIX}n"

jvs_cli() { local socket="$1"; shift; timeout 30 "$JVS_BIN" "$@" --socket "$socket"; }

# jvs_sandbox NAME NETWORK: a sandbox of the daemon on JVS_SOCKET, connected to NETWORK.
jvs_sandbox() {
    local sb="$1" net="$2"
    JVS_SANDBOXES+=("$JVS_SOCKET $sb")
    OWNED_NS+=("$sb")                           # deleted by exact name if jvs leaves it behind
    jvs_step sandbox create "$sb" && jvs_step network connect "$net" "$sb" || return 1
    ip netns exec "$sb" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
    return 0
}

endpoints_on_eth0() {
    CLI_IF=eth0; SRV_IF=eth0
    CLI_IP="$(ipv4_of "$CLI_NS" eth0)"; SRV_IP="$(ipv4_of "$SRV_NS" eth0)"
    [[ -n "$CLI_IP" && -n "$SRV_IP" ]] || { SKIP_REASON="no IPv4 address on eth0 in the sandboxes"; return 1; }
}

setup_jvs() {
    start_jvs_daemon jvs || return 1
    CLI_NS="${PREFIX}jc"; SRV_NS="${PREFIX}js"
    jvs_step network create "$JVS_NET" --subnet 10.77.3.0/24 &&
    jvs_sandbox "$CLI_NS" "$JVS_NET" && jvs_sandbox "$SRV_NS" "$JVS_NET" && endpoints_on_eth0
}

# Two daemons, each a "host" with its own underlay end (a host-namespace veth pair) and static --peers (no
# etcd), one overlay network of the same VNI. A VTEP holds the VXLAN port with a kernel UDP socket on its
# address, so each end gets its address as a /32 without a prefix route (the host's routes stay as they are).
setup_vxlan_jvs() {
    local ua="${PREFIX}ua" ub="${PREFIX}ub"
    CLI_NS="${PREFIX}xc"; SRV_NS="${PREFIX}xs"
    ip link add "$ua" type veth peer name "$ub" || { SKIP_REASON="cannot create the underlay veth pair"; return 1; }
    OWNED_LINKS+=("$ua")
    sysctl -qw "net.ipv6.conf.$ua.disable_ipv6=1" "net.ipv6.conf.$ub.disable_ipv6=1"
    ip addr add 10.77.6.1/32 dev "$ua" noprefixroute && ip addr add 10.77.6.2/32 dev "$ub" noprefixroute &&
    ip link set "$ua" up && ip link set "$ub" up || { SKIP_REASON="cannot set the underlay up"; return 1; }
    local -a net_opts=(network create "$JVS_NET" -d overlay --internal --subnet 10.77.7.0/24 -o vni=4242)
    # Two "hosts" on one machine: each daemon's switch thread gets a CPU of its own, as on its own host (with the
    # default --switch-cpus auto both would bind to the same last CPU). Unless --jvs-opts places them.
    local -a cpus_a=() cpus_b=()
    local allowed first last
    allowed="$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)"
    first="$(tr ',' '\n' <<<"$allowed" | head -n 1 | cut -d- -f1)"
    last="$(tr ',' '\n' <<<"$allowed" | tail -n 1 | awk -F- '{print $NF}')"
    if [[ "$JVS_DAEMON_OPTS" != *--switch-cpus* && -n "$first" && -n "$last" && "$first" != "$last" ]] &&
        grep -q -- '--switch-cpus' <<<"$("$JVS_BIN" daemon --help 2>/dev/null)"; then
        cpus_a=(--switch-cpus "$first"); cpus_b=(--switch-cpus "$last")
    fi
    start_jvs_daemon jvsa --underlay "$ua" --underlay-address 10.77.6.1/24 --peers 10.77.6.2 "${cpus_a[@]+"${cpus_a[@]}"}" &&
    jvs_step "${net_opts[@]}" && jvs_sandbox "$CLI_NS" "$JVS_NET" || return 1
    start_jvs_daemon jvsb --underlay "$ub" --underlay-address 10.77.6.2/24 --peers 10.77.6.1 "${cpus_b[@]+"${cpus_b[@]}"}" &&
    jvs_step "${net_opts[@]}" || return 1
    # Without etcd each daemon allocates alone and would hand out the client's address again: a placeholder
    # sandbox takes it on this side and is removed once the server has the next one.
    jvs_sandbox "${PREFIX}xp" "$JVS_NET" && jvs_sandbox "$SRV_NS" "$JVS_NET" && jvs_step sandbox rm "${PREFIX}xp" &&
    endpoints_on_eth0
}

# The client in a jvs network; the outside server behind a host-namespace veth that is jvs's --uplink (jvs
# routes, masquerades to the uplink address and answers ARP there; the host kernel has no address on it).
setup_nat_jvs() {
    local up="${PREFIX}ou"
    CLI_NS="${PREFIX}oc"; SRV_NS="${PREFIX}os"
    SRV_IF="${PREFIX}os0"; SRV_IP=10.77.9.2; NEXT_HOP_IP=10.77.8.1; ONE_WAY=1
    add_ns "$SRV_NS" || { SKIP_REASON="cannot create namespaces"; return 1; }
    ip link add "$up" type veth peer name "$SRV_IF" netns "$SRV_NS" || { SKIP_REASON="cannot create the uplink"; return 1; }
    OWNED_LINKS+=("$up")
    sysctl -qw "net.ipv6.conf.$up.disable_ipv6=1"
    ip link set "$up" up && ip -n "$SRV_NS" addr add "$SRV_IP/24" dev "$SRV_IF" &&
    ip -n "$SRV_NS" link set "$SRV_IF" up || { SKIP_REASON="cannot configure the outside server"; return 1; }
    start_jvs_daemon jvsnat --uplink "$up" --uplink-address 10.77.9.1/24 &&
    jvs_step network create "$JVS_NET" --subnet 10.77.8.0/24 --gateway "$NEXT_HOP_IP" &&
    jvs_sandbox "$CLI_NS" "$JVS_NET" || return 1
    CLI_IF=eth0; CLI_IP="$(ipv4_of "$CLI_NS" eth0)"
    [[ -n "$CLI_IP" ]] || { SKIP_REASON="no IPv4 address on eth0 in the client sandbox"; return 1; }
}

jvs_step() {
    local out
    if ! out="$(jvs_cli "$JVS_SOCKET" "$@" 2>&1)"; then
        SKIP_REASON="'jvs $*' failed: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-200)"
        return 1
    fi
    printf '$ jvs %s\n%s\n' "$*" "$out" >>"$JVS_LOG.cli"
}

jvs_teardown_sandboxes() {
    local entry socket sb
    for entry in "${JVS_SANDBOXES[@]+"${JVS_SANDBOXES[@]}"}"; do
        read -r socket sb <<<"$entry"
        [[ -S "$socket" ]] || continue
        timeout 20 "$JVS_BIN" sandbox rm "$sb" --socket "$socket" >/dev/null 2>&1 ||
            timeout 20 "$JVS_BIN" sandbox delete "$sb" --socket "$socket" >/dev/null 2>&1
    done
}

teardown_fabric() {
    local ns pid entry link
    jvs_teardown_sandboxes
    for pid in "${OWNED_PIDS[@]+"${OWNED_PIDS[@]}"}"; do stop_pid "$pid"; done
    OWNED_PIDS=()
    for ns in "${OWNED_NS[@]+"${OWNED_NS[@]}"}"; do
        ip netns pids "$ns" 2>/dev/null | while read -r pid; do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    for link in "${OWNED_LINKS[@]+"${OWNED_LINKS[@]}"}"; do
        ip link del "$link" 2>/dev/null
    done
    for entry in "${JVS_SANDBOXES[@]+"${JVS_SANDBOXES[@]}"}"; do
        ns="${entry#* }"
        [[ -n "$ns" ]] && rm -rf -- "/etc/netns/$ns"    # per-sandbox hosts file, if jvs left it behind
    done
    OWNED_NS=(); OWNED_LINKS=(); JVS_SANDBOXES=(); JVS_DAEMONS=(); JVS_SOCKET=""; NEXT_HOP_IP=""; ONE_WAY=0
}

# Pings both ways so both ends have ARP entries and any switch has learned both MACs.
warm_up_path() {
    timeout 10 ip netns exec "$CLI_NS" ping -q -c 3 -i 0.2 -W 1 "$SRV_IP" >/dev/null 2>&1 || return 1
    [[ $ONE_WAY -eq 1 ]] && return 0
    timeout 10 ip netns exec "$SRV_NS" ping -q -c 3 -i 0.2 -W 1 "$CLI_IP" >/dev/null 2>&1
}

record_offloads() {              # tx-checksumming / TSO / GSO / GRO of the client interface, as found
    local k
    k="$(ip netns exec "$CLI_NS" ethtool -k "$CLI_IF" 2>/dev/null)" || { echo "ethtool -k failed"; return; }
    printf '%s' "$k" | awk -F': ' '
        $1 == "tx-checksumming" || $1 == "tcp-segmentation-offload" ||
        $1 == "generic-segmentation-offload" || $1 == "generic-receive-offload" {
            sub(/ \[fixed\]/, "", $2); printf "%s%s %s", sep, $1, $2; sep = ", " }'
    printf '%s' "$k" | grep -q '^tx-checksumming: on' || warn "tx-checksumming is not on for $CLI_IF (left as found)"
}

# ---------------------------------------------------------------------------------------------------------
# Measurements. Each sets its R_* entries for fabric $1; on failure the entries say "error".
# ---------------------------------------------------------------------------------------------------------
declare -A R_STATUS R_OFFLOADS R_TCP R_TCP_RETR R_PPS R_SENT_PPS R_LOSS R_P50 R_P99 R_P999
declare -A R_FIX_RATE R_FIX_PPS R_FIX_SENT R_FIX_LOSS      # jvs at a fixed 1.5x the bridge's delivered rate

measure_tcp() {
    local fabric="$1" title="${FABRIC_TITLE[$1]}" port=5201 round bps retr json
    local -a rates=() retrs=()
    start_bg "$WORK_DIR/iperf3-server.log" ip netns exec "$SRV_NS" iperf3 -s -B "$SRV_IP" -p "$port"
    local server=$LAST_PID
    wait_for_port "$SRV_NS" t "$port" || { warn "$title: iperf3 server did not start"; forget_pid "$server"; return 1; }
    for round in $(seq "$ROUNDS"); do
        progress "$title: TCP round $round/$ROUNDS (${TCP_SECONDS} s) ..."
        json="$(timeout $((TCP_SECONDS + 20)) ip netns exec "$CLI_NS" \
                iperf3 -c "$SRV_IP" -p "$port" -t "$TCP_SECONDS" -J 2>/dev/null)"
        bps="$(printf '%s' "$json" | jq -r '.end.sum_received.bits_per_second // empty' 2>/dev/null)"
        retr="$(printf '%s' "$json" | jq -r '.end.sum_sent.retransmits // empty' 2>/dev/null)"
        if [[ -z "$bps" ]]; then
            warn "$title: iperf3 round $round failed: $(printf '%s' "$json" | jq -r '.error // "no output"' 2>/dev/null)"
            continue
        fi
        rates+=("$(awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e9 }')")
        retrs+=("${retr:-0}")
    done
    forget_pid "$server"
    [[ ${#rates[@]} -gt 0 ]] || return 1
    R_TCP[$fabric]="$(printf '%s\n' "${rates[@]}" | median)"
    R_TCP_RETR[$fabric]="$(printf '%s\n' "${retrs[@]}" | median)"
}

write_trafgen_config() {         # one valid 60-byte Ethernet/IPv4/UDP frame (64 B on a wire with the FCS)
    local file="$1" src_mac dst_mac
    src_mac="$(mac_of "$CLI_NS" "$CLI_IF")"
    if [[ -n "$NEXT_HOP_IP" ]]; then           # routed: the gateway's MAC, learned by the warm-up ping
        dst_mac="$(ip -n "$CLI_NS" -j neigh show "$NEXT_HOP_IP" dev "$CLI_IF" | jq -r '.[0].lladdr // empty')"
    else
        dst_mac="$(mac_of "$SRV_NS" "$SRV_IF")"
    fi
    [[ -n "$src_mac" && -n "$dst_mac" ]] || return 1
    cat >"$file" <<EOF
{
  eth(da=$dst_mac, sa=$src_mac, type=0x0800),
  ipv4(saddr=$CLI_IP, daddr=$SRV_IP, ttl=64, df),
  udp(sp=40000, dp=9),
  fill(0x00, 18)
}
EOF
}

# One trafgen window: TG_RATE empty = max rate, else packets/s. Sets TG_DELIVERED TG_SENT (kpps) and TG_LOSS (0..1).
trafgen_window() {
    local title="$1" rate="$2" round="${3:-}" cfg="$WORK_DIR/trafgen.cfg"
    local -a rate_opt=()
    [[ -n "$rate" ]] && rate_opt=(-b "${rate}pps")
    progress "$title: 64 B trafgen ${rate:-max rate}${rate:+ pps} for ${PPS_SECONDS} s${round:+ (round $round)} ..."
    warm_up_path || warn "$title: ping before trafgen failed"
    write_trafgen_config "$cfg" || { warn "$title: cannot read MAC addresses"; return 1; }
    # -P 1: one sender process on CPU 0, so the other core is left to the receiver or the switch.
    # --no-sock-mem/--notouch-irq: don't retune the host's socket memory or IRQ affinity (-A is not
    # accepted by trafgen 0.6.8 although its help lists it).
    start_bg "$WORK_DIR/trafgen.log" ip netns exec "$CLI_NS" \
        trafgen -o "$CLI_IF" -i "$cfg" -P 1 --no-sock-mem --notouch-irq "${rate_opt[@]+"${rate_opt[@]}"}"
    local sender=$LAST_PID
    sleep "$PPS_WARMUP_SECONDS"
    kill -0 "$UDP_SINK_PID" 2>/dev/null || warn "$title: the UDP sink is gone: $(tail -n 2 "$WORK_DIR/udp-sink.log")"
    kill -0 "$sender" 2>/dev/null || { warn "$title: trafgen exited: $(tail -n 2 "$WORK_DIR/trafgen.log")"; forget_pid "$sender"; return 1; }
    # Counts over a steady window: sent = client tx (+ tx drops), delivered = server rx.
    local t0 tx0 txd0 rx0 t1 tx1 txd1 rx1
    t0=$(now_ns); tx0=$(counter "$CLI_NS" "$CLI_IF" tx_packets); txd0=$(counter "$CLI_NS" "$CLI_IF" tx_dropped)
    rx0=$(counter "$SRV_NS" "$SRV_IF" rx_packets)
    sleep "$PPS_SECONDS"
    t1=$(now_ns); tx1=$(counter "$CLI_NS" "$CLI_IF" tx_packets); txd1=$(counter "$CLI_NS" "$CLI_IF" tx_dropped)
    rx1=$(counter "$SRV_NS" "$SRV_IF" rx_packets)
    forget_pid "$sender"
    read -r TG_DELIVERED TG_SENT TG_LOSS < <(awk \
        -v dt=$((t1 - t0)) -v sent=$((tx1 - tx0 + txd1 - txd0)) -v got=$((rx1 - rx0)) 'BEGIN {
            s = dt / 1e9; loss = (sent > 0) ? 1 - got / sent : 0; if (loss < 0) loss = 0
            printf "%.1f %.1f %.4f\n", got / s / 1e3, sent / s / 1e3, loss }')
}

# A UDP socket bound to trafgen's destination port that is never read: the frames end at its full receive queue
# (counted in the server's UdpRcvbufErrors) instead of each provoking an ICMP port unreachable, whose cost on the
# receiving CPU is not what any fabric should be measured on. Python 3 is in every Debian base system.
start_udp_sink() {
    start_bg "$WORK_DIR/udp-sink.log" ip netns exec "$SRV_NS" python3 -c \
        'import socket, sys, time; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 9)); time.sleep(600)' \
        "$SRV_IP"
    UDP_SINK_PID=$LAST_PID
    wait_for_port "$SRV_NS" u 9
}

measure_pps() {
    local fabric="$1" title="${FABRIC_TITLE[$1]}" rc=0
    start_udp_sink || { warn "$title: UDP sink did not start: $(tail -n 2 "$WORK_DIR/udp-sink.log")"; forget_pid "$UDP_SINK_PID"; return 1; }
    measure_pps_windows "$fabric" || rc=1
    forget_pid "$UDP_SINK_PID"
    return $rc
}

measure_pps_windows() {
    local fabric="$1" title="${FABRIC_TITLE[$1]}"
    local round median
    local -a windows=()
    for ((round = 1; round <= PPS_ROUNDS; round++)); do
        trafgen_window "$title" "$PPS_RATE" "$round/$PPS_ROUNDS" || return 1
        windows+=("$TG_DELIVERED $TG_SENT $TG_LOSS")
    done
    # The median window by delivered pps, with its own sent and loss figures.
    median="$(printf '%s\n' "${windows[@]}" | sort -n -k1,1 | awk -v n=${#windows[@]} 'NR == int((n + 1) / 2)')"
    read -r "R_PPS[$fabric]" "R_SENT_PPS[$fabric]" "R_LOSS[$fabric]" <<< "$median"
    # The pps target is "1.5x the bridge's delivered rate with < 1 % loss at that rate": offer exactly that
    # (the bridge runs before jvs in every fabric order the report knows, so its figure is at hand).
    local base="${BASELINE[$fabric]}"
    [[ "$base" != "$fabric" && "$base" != veth && -n "${R_PPS[$base]:-}" && "$fabric" != veth ]] || return 0
    R_FIX_RATE[$fabric]="$(awk -v b="${R_PPS[$base]}" -v m="$FIXED_RATE_FACTOR" 'BEGIN { printf "%d", b * 1000 * m }')"
    trafgen_window "$title" "${R_FIX_RATE[$fabric]}" || return 1
    R_FIX_PPS[$fabric]="$TG_DELIVERED"; R_FIX_SENT[$fabric]="$TG_SENT"; R_FIX_LOSS[$fabric]="$TG_LOSS"
}

measure_latency() {
    local fabric="$1" title="${FABRIC_TITLE[$1]}" port=11111 out
    progress "$title: sockperf UDP ping-pong for ${LAT_SECONDS} s ..."
    warm_up_path || warn "$title: ping before sockperf failed"
    start_bg "$WORK_DIR/sockperf-server.log" ip netns exec "$SRV_NS" sockperf server -i "$SRV_IP" -p "$port"
    local server=$LAST_PID
    wait_for_port "$SRV_NS" u "$port" || { warn "$title: sockperf server did not start"; forget_pid "$server"; return 1; }
    local qos_fd=""
    if [[ $AWAKE_CPUS -eq 1 ]]; then
        # The kernel's PM QoS request lives as long as this descriptor is open: closed right after the test.
        exec {qos_fd}>/dev/cpu_dma_latency && printf '\x00\x00\x00\x00' >&"$qos_fd" || warn "cannot hold /dev/cpu_dma_latency"
    fi
    out="$(timeout $((LAT_SECONDS + 20)) ip netns exec "$CLI_NS" \
            sockperf ping-pong -i "$SRV_IP" -p "$port" -t "$LAT_SECONDS" -m 64 2>&1)"
    [[ -n "$qos_fd" ]] && exec {qos_fd}>&-
    forget_pid "$server"
    R_P50[$fabric]="$(sockperf_percentile "$out" 50.000)"
    R_P99[$fabric]="$(sockperf_percentile "$out" 99.000)"
    R_P999[$fabric]="$(sockperf_percentile "$out" 99.900)"
    [[ -n "${R_P50[$fabric]}" ]] || { warn "$title: no sockperf percentiles: $(printf '%s' "$out" | tail -n 2)"; return 1; }
}

sockperf_percentile() { printf '%s\n' "$1" | awk -v p="$2" '$0 ~ "percentile " p " =" { printf "%.1f", $NF; exit }'; }

# ---------------------------------------------------------------------------------------------------------
# One fabric: setup, three measurements, teardown.
# ---------------------------------------------------------------------------------------------------------
run_fabric() {
    local fabric="$1" title="${FABRIC_TITLE[$1]}"
    SKIP_REASON=""; CLI_IP=""; SRV_IP=""
    STEP=$((STEP + 1))
    progress "$title: setting up ..."
    if ! "setup_${fabric//-/_}" || ! warm_up_path; then
        [[ -n "$SKIP_REASON" ]] || SKIP_REASON="no ping between $CLI_IP and $SRV_IP"
        R_STATUS[$fabric]="skipped: $SKIP_REASON"
        progress "$title: skipped: $SKIP_REASON"
        STEP=$((STEP + 2))
        teardown_fabric
        return
    fi
    R_STATUS[$fabric]="ok"
    R_OFFLOADS[$fabric]="$(record_offloads)"
    measure_tcp "$fabric" || R_STATUS[$fabric]="partial"
    STEP=$((STEP + 1)); measure_pps "$fabric" || R_STATUS[$fabric]="partial"
    STEP=$((STEP + 1)); measure_latency "$fabric" || R_STATUS[$fabric]="partial"
    teardown_fabric
}

# ---------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------
cell() { printf '%s' "${1:-–}"; }
loss_cell() { [[ -n "${1:-}" ]] && awk -v l="$1" 'BEGIN { printf "%.2f %%", l * 100 }' || printf '–'; }

results_table() {
    local f b
    echo "| fabric | TCP Gbit/s | ×kernel | 64B delivered kpps | loss | ×kernel | p50 µs | p99 µs | p99.9 µs |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for f in "${SELECTED[@]}"; do
        if [[ "${R_STATUS[$f]}" == skipped:* ]]; then
            echo "| ${FABRIC_TITLE[$f]} | ${R_STATUS[$f]} | | | | | | | |"
            continue
        fi
        b="${BASELINE[$f]}"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${FABRIC_TITLE[$f]}" \
            "$(cell "${R_TCP[$f]:-}")" "$(ratio "${R_TCP[$f]:-}" "${R_TCP[$b]:-}")" \
            "$(cell "${R_PPS[$f]:-}")" "$(loss_cell "${R_LOSS[$f]:-}")" "$(ratio "${R_PPS[$f]:-}" "${R_PPS[$b]:-}")" \
            "$(cell "${R_P50[$f]:-}")" "$(cell "${R_P99[$f]:-}")" "$(cell "${R_P999[$f]:-}")"
    done
}

details_table() {
    local f b
    echo "| fabric | status | TCP retransmits (median) | trafgen sent kpps | p50 ×kernel | p99 ×kernel | client offloads (ethtool -k) |"
    echo "|---|---|---:|---:|---:|---:|---|"
    for f in "${SELECTED[@]}"; do
        b="${BASELINE[$f]}"
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${FABRIC_TITLE[$f]}" "${R_STATUS[$f]}" \
            "$(cell "${R_TCP_RETR[$f]:-}")" "$(cell "${R_SENT_PPS[$f]:-}")" \
            "$(ratio "${R_P50[$f]:-}" "${R_P50[$b]:-}")" "$(ratio "${R_P99[$f]:-}" "${R_P99[$b]:-}")" \
            "$(cell "${R_OFFLOADS[$f]:-}")"
    done
}

targets_table() {                # the jvs targets, as ratios to the kernel bridge of the same run
    [[ "${R_STATUS[jvs]:-}" == ok || "${R_STATUS[jvs]:-}" == partial ]] || return 0
    [[ "${R_STATUS[bridge]:-}" == ok || "${R_STATUS[bridge]:-}" == partial ]] || return 0
    echo "| target (jvs vs kernel bridge) | measured | met |"
    echo "|---|---:|---|"
    target_row "TCP ≥ 0.8x" "${R_TCP[jvs]:-}" "${R_TCP[bridge]:-}" ">=" 0.8
    fixed_rate_target_rows
    target_row "(64 B delivered pps at trafgen's max rate, ≥ 1.5x)" "${R_PPS[jvs]:-}" "${R_PPS[bridge]:-}" ">=" 1.5
    loss_row "(64 B loss at max rate, < 1 %)" "${R_LOSS[jvs]:-}"
    target_row "latency p50 ≤ 1.5x" "${R_P50[jvs]:-}" "${R_P50[bridge]:-}" "<=" 1.5
    target_row "latency p99 ≤ 2x" "${R_P99[jvs]:-}" "${R_P99[bridge]:-}" "<=" 2
}

loss_row() {
    printf '| %s | %s | %s |\n' "$1" "$(loss_cell "$2")" \
        "$(awk -v l="$2" 'BEGIN { print (l == "") ? "–" : (l < 0.01 ? "yes" : "no") }')"
}

fixed_rate_table() {             # jvs fabrics offered FIXED_RATE_FACTOR x their kernel counterpart's delivered pps
    local f b header=0
    for f in "${SELECTED[@]}"; do
        [[ -n "${R_FIX_RATE[$f]:-}" ]] || continue
        if [[ $header -eq 0 ]]; then
            echo "| 64 B at a fixed rate | rate set kpps | trafgen sent kpps | delivered kpps | ×kernel (max rate) | loss |"
            echo "|---|---:|---:|---:|---:|---:|"
            header=1
        fi
        b="${BASELINE[$f]}"
        printf '| %s, %s x %s'"'"'s delivered | %s | %s | %s | %s | %s |\n' "${FABRIC_TITLE[$f]}" "$FIXED_RATE_FACTOR" \
            "${FABRIC_TITLE[$b]}" "$(awk -v r="${R_FIX_RATE[$f]}" 'BEGIN { printf "%.1f", r / 1e3 }')" \
            "$(cell "${R_FIX_SENT[$f]:-}")" "$(cell "${R_FIX_PPS[$f]:-}")" "$(ratio "${R_FIX_PPS[$f]:-}" "${R_PPS[$b]:-}")" \
            "$(loss_cell "${R_FIX_LOSS[$f]:-}")"
    done
}

# The offered-rate row is a measurement only if trafgen's slow rate mode reached the rate it was given.
fixed_rate_target_rows() {
    local set_kpps
    set_kpps="$(awk -v r="${R_FIX_RATE[jvs]:-0}" 'BEGIN { printf "%.1f", r / 1e3 }')"
    if [[ -n "${R_FIX_SENT[jvs]:-}" ]] && awk -v s="${R_FIX_SENT[jvs]}" -v r="$set_kpps" -v m="$FIXED_RATE_REACHED" \
        'BEGIN { exit !(s < r * m) }'; then
        printf '| %s | %s | not measured: trafgen sent %s of %s kpps |\n' \
            "64 B delivered pps ≥ 1.5x, offered 1.5x the bridge's" "$(ratio "${R_FIX_PPS[jvs]}" "${R_PPS[bridge]:-}")" \
            "${R_FIX_SENT[jvs]}" "$set_kpps"
        printf '| %s | %s | not measured |\n' "64 B loss < 1 % at that rate" "$(loss_cell "${R_FIX_LOSS[jvs]:-}")"
        return
    fi
    target_row "64 B delivered pps ≥ 1.5x, offered 1.5x the bridge's" "${R_FIX_PPS[jvs]:-}" "${R_PPS[bridge]:-}" ">=" 1.5
    loss_row "64 B loss < 1 % at that rate" "${R_FIX_LOSS[jvs]:-}"
}

target_row() {
    local name="$1" v="$2" b="$3" op="$4" limit="$5"
    printf '| %s | %s | %s |\n' "$name" "$(ratio "$v" "$b")" "$(awk -v v="$v" -v b="$b" -v op="$op" -v t="$limit" 'BEGIN {
        if (v == "" || b == "" || b + 0 == 0) { print "–"; exit }
        r = v / b; ok = (op == ">=") ? r >= t : r <= t; print ok ? "yes" : "no" }')"
}

machine_description() {
    machine_lines
    echo "- tools: $(iperf3 --version 2>/dev/null | head -n 1 | cut -d' ' -f1-2), $(trafgen --version 2>/dev/null | head -n 1 | cut -d' ' -f1-2), sockperf $(sockperf --version 2>/dev/null | awk '/version/ { print $NF; exit }' | tr -d '#')"
    echo "- bridge-nf-call-iptables in the bridge's namespace: ${BRIDGE_NF:-not measured}"
}

# The report replaces the block between these markers and keeps the rest of the file (other sections, e.g. the
# JMH figures); a file without them is replaced whole.
readonly REPORT_BEGIN="<!-- bench.sh: e2e report begin -->"
readonly REPORT_END="<!-- bench.sh: e2e report end -->"

write_report() {
    local block="$WORK_DIR/report.md"
    report_block >"$block"
    replace_report_block "$OUT_FILE" "$REPORT_BEGIN" "$REPORT_END" "$block" replace
}

report_block() {
    {
        echo "$REPORT_BEGIN"
        echo "# jvs end-to-end benchmarks"
        echo
        echo "Generated by \`bin/jvs bench\` (benchmarks/e2e/bench.sh). Same two-namespace topology over each fabric,"
        echo "measured back to back in one run; ratios (×kernel) are to the kernel fabric doing the same job in the"
        echo "same run: the kernel bridge for the veth pair and jvs, kernel vxlan for the jvs overlay, kernel bridge +"
        echo "iptables MASQUERADE for jvs NAT."
        echo
        echo "Command: \`$COMMAND_LINE\`"
        echo
        machine_description
        echo
        echo "## Results"
        echo
        results_table
        echo
        details_table
        echo
        fixed_rate_table
        echo
        targets_table
        echo
        echo "## Method"
        echo
        echo "- Topology: two network namespaces (client, server), one interface each, same /24. veth: one pair"
        echo "  between them. kernel bridge: each namespace's veth peer enslaved to a bridge in a third, private"
        echo "  namespace (STP off). jvs: \`jvs sandbox create\` + \`jvs network connect\`, the daemon on a private socket"
        echo "  and state directory${JVS_DAEMON_OPTS:+, with \`$JVS_DAEMON_OPTS\`}${JVS_BANNER:+ (\"$JVS_BANNER\")}."
        echo "- Offloads are left as the kernel sets them (never disabled); the client interface's state is recorded above."
        echo "- TCP: iperf3, one stream, ${TCP_SECONDS} s, median of ${ROUNDS} round(s), receiver-side rate."
        echo "- 64 B: trafgen (netsniff-ng) on one CPU (\`-P 1\`) in the client sends a valid Ethernet/IPv4/UDP frame of"
        echo "  60 bytes (64 B with the FCS) to the server's MAC and IP at ${PPS_RATE:-max} rate; after ${PPS_WARMUP_SECONDS} s of warm-up, for"
        echo "  ${PPS_SECONDS} s, delivered = Δ rx_packets of the server interface / time, sent = Δ (tx_packets + tx_dropped) of the"
        echo "  client interface, loss = 1 − delivered / sent; the median of ${PPS_ROUNDS} such window(s) by delivered pps,"
        echo "  with its own sent and loss. MACs are learned with a ping both ways first."
        echo "  jvs is measured twice: at that rate, and at a fixed rate of ${FIXED_RATE_FACTOR} x the bridge's delivered pps of the"
        echo "  same run (trafgen \`-b NNNpps\`, which trafgen sends in its slow per-packet mode: the sent column shows"
        echo "  whether it reached the rate); the pps target is the delivered rate and the loss at that fixed rate. When"
        echo "  trafgen sent less than $(awk -v m="$FIXED_RATE_REACHED" 'BEGIN { print m * 100 }') % of that rate the row measures trafgen, not the switch, and the targets"
        echo "  table says \"not measured\"; the max-rate row (offered at least as much) is then the reading."
        echo "  What bounds 64 B here: trafgen's core also runs the kernel's receive into jvs's ring (docs/dataplane.md,"
        echo "  \"What the sender's core can send\"), so jvs's row lands near the direct veth pair's."
        echo "- Latency: sockperf ping-pong, UDP, 64-byte messages, ${LAT_SECONDS} s, sockperf's latency = round trip / 2."
        if [[ $AWAKE_CPUS -eq 1 ]]; then
            echo "  CPUs were kept out of idle states during the latency tests (\`--awake-cpus\`: /dev/cpu_dma_latency = 0)."
        else
            echo "  CPU idle states as the machine has them (\`--awake-cpus\` removes the wake-up cost)."
        fi
        echo "- Latency depends on whether the CPUs are idle: waking an idle vCPU adds tens of µs (veth p50 ≈ 30 µs seen on an"
        echo "  idle 2-core VM, ≈ 2.5 µs on the same VM under other load, ≈ 4 µs with \`--awake-cpus\`), so compare fabrics"
        echo "  within one run and mind the load averages above."
        echo "- Figures are noisy on a shared 2-core machine (trafgen ±4 %, TCP ±15 % seen): compare ratios within one run."
        echo "- Receiver: the server binds trafgen's UDP port with a socket it never reads, so frames end at that socket's"
        echo "  full queue on every fabric (until 2026-11 nothing listened and each frame cost an ICMP port unreachable on"
        echo "  the receiving CPU, which for jvs is the switch thread's: figures before that are lower for every fabric)."
        echo "- Opt-in rows (\`--fabrics ...\`): \`vxlan-kernel\` two \"host\" namespaces joined by a veth underlay, each a"
        echo "  bridge + vxlan device (VNI 4242) + the endpoint's veth (MTU 1450); \`vxlan-jvs\` two jvs daemons, each with"
        echo "  one end of a host-namespace veth pair as \`--underlay\` and the other as \`--peers\`, one \`-d overlay\` network"
        echo "  (both daemons' switch threads share the 2 cores with trafgen, where the kernel does all on trafgen's core;"
        echo "  each daemon's switch thread is bound to a CPU of its own, the first and the last, as on two hosts)."
        echo "  \`nat-kernel\` client behind a kernel bridge whose namespace forwards and masquerades (iptables) to the outside"
        echo "  server; \`nat-jvs\` client on a jvs network, the outside server behind jvs's \`--uplink\` (a host-namespace veth)."
        echo "  Routed rows send trafgen's frames to the gateway's MAC; the server cannot reach the client (warm-up one way)."
        echo "$REPORT_END"
    }
}

# ---------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------
check_prerequisites() {
    local tool missing=()
    [[ $EUID -eq 0 ]] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
    for tool in ip iperf3 trafgen sockperf ethtool jq ping ss setsid timeout awk; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        echo "bench: missing tools: ${missing[*]} (apt-get install iproute2 iperf3 netsniff-ng sockperf ethtool jq iputils-ping)" >&2
        exit 1
    fi
}

main() {
    parse_args "$@"
    check_prerequisites
    COMMAND_LINE="bin/jvs bench${ORIGINAL_ARGS:+ $ORIGINAL_ARGS}"
    RUN_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
    LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
    mkdir -p "$WORK_DIR"
    IFS=',' read -r -a SELECTED <<<"$FABRICS"
    local f
    for f in "${SELECTED[@]}"; do
        [[ -n "${FABRIC_TITLE[$f]:-}" ]] ||
            { echo "bench: unknown fabric '$f' (veth, bridge, jvs, vxlan-kernel, vxlan-jvs, nat-kernel, nat-jvs)" >&2; exit 2; }
    done
    TOTAL_STEPS=$((3 * ${#SELECTED[@]}))
    for f in "${SELECTED[@]}"; do run_fabric "$f"; done
    echo
    results_table
    local fixed
    fixed="$(fixed_rate_table)"
    [[ -n "$fixed" ]] && printf '\n%s\n' "$fixed"
    local targets
    targets="$(targets_table)"
    [[ -n "$targets" ]] && printf '\n%s\n' "$targets"
    write_report
    echo
    echo "bench: report written to $OUT_FILE" >&2
}

main "$@"
