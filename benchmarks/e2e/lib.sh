# Helpers shared by bench.sh and scale.sh (sourced, not run). The sourcing script defines, before calling them:
#   WORK_DIR         its private scratch directory (daemon sockets, state directories and logs go there)
#   REPO_ROOT        the repository root
#   JVS_BIN          the jvs launcher
#   JVS_DAEMON_OPTS  extra `jvs daemon` options (one string, split on blanks)
#   OWNED_PIDS=()    process-group leaders to stop on exit (start_bg appends)
#   JVS_DAEMONS=()   "pid socket" per daemon (start_jvs_daemon appends)
# shellcheck shell=bash

# install_cleanup TOOL TEARDOWN: on exit, and on INT or TERM (exit 130), runs the function TEARDOWN once, then
# removes WORK_DIR.
install_cleanup() {
    CLEANUP_TOOL="$1"; CLEANUP_FN="$2"; CLEANED=0
    trap run_cleanup EXIT
    trap 'echo "$CLEANUP_TOOL: interrupted, cleaning up" >&2; run_cleanup; exit 130' INT TERM
}
run_cleanup() {
    [[ $CLEANED -eq 1 ]] && return
    CLEANED=1
    "$CLEANUP_FN"
    rm -rf -- "$WORK_DIR"
}

# Stops a process group we started with setsid: TERM, up to 3 s grace, then KILL.
stop_pid() {
    local pid="$1" i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for i in $(seq 30); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# Starts "$@" in the background in its own process group; sets LAST_PID and records it for cleanup.
start_bg() {
    local log="$1"; shift
    setsid "$@" >"$log" 2>&1 </dev/null &
    LAST_PID=$!
    OWNED_PIDS+=("$LAST_PID")
}

forget_pid() {
    local pid="$1" i
    stop_pid "$pid"
    for i in "${!OWNED_PIDS[@]}"; do [[ "${OWNED_PIDS[$i]}" == "$pid" ]] && unset 'OWNED_PIDS[i]'; done
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now_ns() { date +%s%N; }
ratio() {                        # ratio VALUE BASE -> "1.23x" or "–"
    awk -v v="${1:-}" -v b="${2:-}" 'BEGIN { if (v == "" || b == "" || b + 0 == 0) print "–"; else printf "%.2fx\n", v / b }'
}

wait_for_port() {                # wait_for_port NS PROTO(t|u) PORT  (up to 5 s)
    local i
    for i in $(seq 50); do
        ip netns exec "$1" ss -Hln"$2" "sport = :$3" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

jvs_log_tail() { tail -n 3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-200; }

# start_jvs_daemon LABEL [daemon options...]: starts one daemon on a private socket and state directory; sets
# JVS_SOCKET, JVS_PID, JVS_LOG and JVS_BANNER, or sets SKIP_REASON and fails.
start_jvs_daemon() {
    local label="$1" help i pid; shift
    local socket="$WORK_DIR/$label.sock"
    JVS_LOG="$WORK_DIR/$label-daemon.log"
    local -a daemon_opts=(--socket "$socket")
    local -a extra_opts=()
    read -r -a extra_opts <<<"$JVS_DAEMON_OPTS"
    [[ -x "$JVS_BIN" ]] || { SKIP_REASON="no executable jvs launcher (${JVS_BIN#"$REPO_ROOT"/})"; return 1; }
    # Also builds the jar if a source is newer (bin/jvs does that), so it gets a generous bound.
    if ! help="$(timeout 900 "$JVS_BIN" daemon --help 2>&1)"; then
        SKIP_REASON="'jvs daemon --help' failed: $(printf '%s' "$help" | tail -n 2 | tr '\n' ' ' | cut -c1-200)"
        return 1
    fi
    # A private state directory, so the run neither replays nor changes the machine's /var/lib/jvs.
    grep -q -- '--state-dir' <<<"$help" && daemon_opts+=(--state-dir "$WORK_DIR/$label-state")
    # Machine-wide names (Docker's plugin socket, the host TAP jvs0) belong to the host's own jvs, if it runs one.
    grep -q -- '--no-docker-plugin' <<<"$help" && daemon_opts+=(--no-docker-plugin)
    grep -q -- '--no-host-port' <<<"$help" && daemon_opts+=(--no-host-port)
    daemon_opts+=("$@" "${extra_opts[@]+"${extra_opts[@]}"}")
    start_bg "$JVS_LOG" "$JVS_BIN" daemon "${daemon_opts[@]}"
    pid=$LAST_PID
    JVS_DAEMONS+=("$pid $socket")
    for i in $(seq 300); do                     # up to 30 s for the JVM to come up
        [[ -S "$socket" ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ -S "$socket" ]] || { SKIP_REASON="daemon did not open its socket ($(jvs_log_tail "$JVS_LOG"))"; return 1; }
    JVS_SOCKET="$socket"
    JVS_PID="$pid"
    JVS_BANNER="$(grep -m1 'listening' "$JVS_LOG" | sed "s:$WORK_DIR/::")" || JVS_BANNER=""
    return 0
}

# The first lines of a report's machine description; RUN_DATE and LOAD_START are set by the caller at its start.
machine_lines() {
    local cpu jdk
    cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    jdk="$(java -version 2>&1 | head -n 1)"
    echo "- date: $RUN_DATE"
    echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, kernel $(uname -r), $(awk -F= '$1 == "PRETTY_NAME" { gsub(/"/, "", $2); print $2 }' /etc/os-release 2>/dev/null), $(awk '/^MemTotal:/ { printf "%.0f GB RAM", $2 / 1048576 }' /proc/meminfo)"
    echo "- JDK: ${jdk:-not found}"
    echo "- load average at start / end: $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)"
}

# replace_report_block FILE BEGIN END BLOCK_FILE IF_ABSENT: puts BLOCK_FILE (which starts with the line BEGIN and ends
# with the line END) in place of the lines from BEGIN to END of FILE, keeping the rest. A FILE without both markers
# is replaced whole (IF_ABSENT=replace) or gets the block appended (IF_ABSENT=append).
replace_report_block() {
    local file="$1" begin="$2" end="$3" block="$4" if_absent="$5"
    mkdir -p "$(dirname "$file")"
    if [[ -f "$file" ]] && grep -qF "$begin" "$file" && grep -qF "$end" "$file"; then
        awk -v b="$begin" -v e="$end" -v f="$block" '
            $0 == b { while ((getline line < f) > 0) print line; skip = 1; next }
            $0 == e { skip = 0; next }
            !skip' "$file" >"$file.tmp" && mv -- "$file.tmp" "$file"
    elif [[ -f "$file" && "$if_absent" == append ]]; then
        { echo; cat -- "$block"; } >>"$file"
    else
        cp -- "$block" "$file"
    fi
}
