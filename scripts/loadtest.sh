#!/usr/bin/env bash
# Load tests over loopback (see BENCHMARKING.md).
#
#   scripts/loadtest.sh [SECONDS] [ROUNDS]   (default 4 s per run, 5 rounds)
#
# 1. throughput (target 3): one handler served on two routes, /open without
#    auth and /protected behind the AuthLayer (loadcheck serve), with one
#    repeated token and with 10 000 distinct tokens in rotation; also the
#    axum example's /me against its /health, for reference;
#    and a page with and without the session layer (one signed-in session);
# 2. cold start (target 4): 1 000 concurrent requests on a freshly started
#    axum example -> exactly 1 JWKS fetch;
# 3. flood (target 4): unknown kids at 1 000 req/s against the axum example
#    -> fetches bounded by the cooldown, valid-token p99 vs no flood.
#
# The client (wrk, installed from Debian's packages if missing) and the
# servers share the machine's cores, and shared machines are noisy: every
# ratio is taken between runs that alternate within a round, and the median
# over the rounds is reported. Throughput and sessions runs also report the
# server's CPU time per request (from /proc), which does not depend on how
# the scheduler splits the cores between client and server.
set -euo pipefail

seconds=${1:-4}
rounds=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/target/loadtest"
mkdir -p "$work"
cd "$root"

log() { printf '%s\n' "$*" >&2; }

if ! command -v wrk >/dev/null; then
    log "installing wrk (Debian package)"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get install -y wrk >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y wrk >/dev/null; }
fi

log "building the examples (release)"
cargo build --release --quiet --features axum,testing,sessions --example axum --example mint --example loadcheck
bin="$root/target/release/examples"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# A testing pool holding the keys, with 10 000 valid tokens and 1 000 with
# unknown kids written to target/loadtest/.
log "minting tokens"
"$bin/mint" 10000 1000 "$work" >"$work/mint.out" &
pids+=($!)
for _ in $(seq 1 1200); do grep -q '^ready' "$work/mint.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready' "$work/mint.out" || { log "mint did not start"; exit 1; }
eval "$(grep '^export' "$work/mint.out")"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() { # start NAME COMMAND...: runs a server on a free port, sets $base and $server_pid
    local name=$1 port
    shift
    port=$(free_port)
    PORT=$port "$@" "$port" >"$work/$name.out" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    for _ in $(seq 1 200); do grep -q 'listening on' "$work/$name.out" 2>/dev/null && break; sleep 0.05; done
    grep -q 'listening on' "$work/$name.out" || { log "$name did not start"; exit 1; }
    base="http://127.0.0.1:$port"
}

stop() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }

rps() { awk '/^Requests\/sec:/ {print $2}'; }
wrk_run() { wrk -t 1 -c 32 -d "${seconds}s" "$@" 2>/dev/null | rps; }
# measured ARGS...: like wrk_run, for the server started last; prints
# "REQ_PER_S CPU_US", CPU_US being the server's CPU time (user + system,
# from /proc) per request answered. With the client on the same cores,
# req/s depends on how the scheduler splits them; CPU per request does not.
clock_ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
measured() {
    local before after
    before=$(cpu_ticks)
    wrk -t 1 -c 32 -d "${seconds}s" "$@" 2>/dev/null >"$work/wrk.out"
    after=$(cpu_ticks)
    awk -v ticks=$((after - before)) -v hz="$clock_ticks" '
        /^Requests\/sec:/ {rps = $2}
        / requests in / {requests = $1}
        END {print rps + 0, (requests > 0 ? ticks * 1e6 / hz / requests : 0)}' "$work/wrk.out"
}

first_token=$(head -n 1 "$work/tokens.txt")
header=(-H "Authorization: Bearer $first_token")
cat >"$work/rotate.lua" <<'LUA'
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local path = os.getenv("ROUTE")
local i = 0
request = function()
    i = i % #tokens + 1
    return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[i] })
end
LUA
rotate() { TOKENS_FILE="$work/tokens.txt" ROUTE=$1 measured -s "$work/rotate.lua" "$base"; }

# --- cold start: a fresh axum example ---------------------------------------------
start axum "$bin/axum"
cold=$("$bin/loadcheck" cold "$base" "$work/tokens.txt" "$JWKS_STATS_URL" 1000)
stop

# --- throughput: the same handler with and without the layer ----------------------
start twins "$bin/loadcheck" serve
# Warm-up: keys fetched, every rotation token verified once.
wrk -t 1 -c 4 -d 1s "${header[@]}" "$base/protected" >/dev/null 2>&1
TOKENS_FILE="$work/tokens.txt" ROUTE=/protected wrk -t 1 -c 32 -d 3s -s "$work/rotate.lua" "$base" >/dev/null 2>&1
: >"$work/twins.txt"
for round in $(seq 1 "$rounds"); do
    open=$(measured "${header[@]}" "$base/open")
    protected=$(measured "${header[@]}" "$base/protected")
    open_rotating=$(rotate /open)
    protected_rotating=$(rotate /protected)
    echo "$open $protected $open_rotating $protected_rotating" >>"$work/twins.txt"
    log "round $round (req/s, server CPU us a request): /open $open, /protected $protected; rotating /open $open_rotating, /protected $protected_rotating"
done
stop

# --- sessions: the same page with and without the session layer ------------------
start sessions "$bin/loadcheck" sessions
eval "$(grep '^export SESSION_COOKIE' "$work/sessions.out")"
wrk -t 1 -c 4 -d 1s -H "Cookie: $SESSION_COOKIE" "$base/session-page" >/dev/null 2>&1
: >"$work/sessions.txt"
for round in $(seq 1 "$rounds"); do
    page=$(measured -H "Cookie: $SESSION_COOKIE" "$base/page")
    session_page=$(measured -H "Cookie: $SESSION_COOKIE" "$base/session-page")
    echo "$page $session_page" >>"$work/sessions.txt"
    log "round $round (req/s, server CPU us a request): /page $page, /session-page $session_page"
done
stop

# --- the axum example: /me against /health, for reference -------------------------
start axum "$bin/axum"
wrk -t 1 -c 4 -d 1s "${header[@]}" "$base/me" >/dev/null 2>&1
: >"$work/example.txt"
for round in $(seq 1 "$rounds"); do
    echo "$(wrk_run "${header[@]}" "$base/health") $(wrk_run "${header[@]}" "$base/me")" >>"$work/example.txt"
done
stop

# --- flood: unknown kids against the axum example ---------------------------------
start axum "$bin/axum"
flood=$("$bin/loadcheck" flood "$base" "$work/tokens.txt" "$work/unknown.txt" "$JWKS_STATS_URL" 30)
stop

echo "== loadtest ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores shared by client and server, $rounds rounds of ${seconds}s runs, medians) =="
python3 - "$work/twins.txt" "$work/example.txt" "$work/sessions.txt" <<'PY'
import statistics, sys
def rows(path):
    return [list(map(float, line.split())) for line in open(path) if line.strip()]
twins, example, sessions = rows(sys.argv[1]), rows(sys.argv[2]), rows(sys.argv[3])
med = statistics.median
col = lambda rows, i: med([row[i] for row in rows])
ratio = lambda rows, a, b: med([row[a] / row[b] for row in rows])
# twins and sessions rows: req/s and server CPU µs per request, per run.
# The CPU ratio is requests per CPU second, protected / unprotected.
def pair(rows, run, base, label, target=""):
    print(f"{label:<42}{col(rows, 2 * run):>9.0f} req/s  ratio {ratio(rows, 2 * run, 2 * base):.3f}"
          f"  server CPU {col(rows, 2 * run + 1):5.2f} us a request, ratio {ratio(rows, 2 * base + 1, 2 * run + 1):.3f}{target}")
def base_line(rows, run, label):
    print(f"{label:<42}{col(rows, 2 * run):>9.0f} req/s               server CPU {col(rows, 2 * run + 1):5.2f} us a request")
base_line(twins, 0, "same handler, no layer, one token")
pair(twins, 1, 0, "same handler, AuthLayer, one token", "  (issue 16: >= 0.95)")
base_line(twins, 2, "same handler, no layer, 10 000 tokens")
pair(twins, 3, 2, "same handler, AuthLayer, 10 000 tokens", "  (issue 16: >= 0.92)")
base_line(sessions, 0, "a page, no layer")
pair(sessions, 1, 0, "the page behind the SessionLayer", "  (sessions: >= 0.9)")
print(f"axum example: GET /health                 {col(example, 0):>9.0f} req/s")
print(f"axum example: GET /me (JSON of claims)    {col(example, 1):>9.0f} req/s  ratio {ratio(example, 1, 0):.3f}")
PY
echo "$cold"
echo "$flood"
