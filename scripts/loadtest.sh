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
# over the rounds is reported.
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
rotate() { TOKENS_FILE="$work/tokens.txt" ROUTE=$1 wrk_run -s "$work/rotate.lua" "$base"; }

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
    open=$(wrk_run "${header[@]}" "$base/open")
    protected=$(wrk_run "${header[@]}" "$base/protected")
    open_rotating=$(rotate /open)
    protected_rotating=$(rotate /protected)
    echo "$open $protected $open_rotating $protected_rotating" >>"$work/twins.txt"
    log "round $round: /open $open, /protected $protected; rotating /open $open_rotating, /protected $protected_rotating req/s"
done
stop

# --- sessions: the same page with and without the session layer ------------------
start sessions "$bin/loadcheck" sessions
eval "$(grep '^export SESSION_COOKIE' "$work/sessions.out")"
wrk -t 1 -c 4 -d 1s -H "Cookie: $SESSION_COOKIE" "$base/session-page" >/dev/null 2>&1
: >"$work/sessions.txt"
for round in $(seq 1 "$rounds"); do
    page=$(wrk_run -H "Cookie: $SESSION_COOKIE" "$base/page")
    session_page=$(wrk_run -H "Cookie: $SESSION_COOKIE" "$base/session-page")
    echo "$page $session_page" >>"$work/sessions.txt"
    log "round $round: /page $page, /session-page $session_page req/s"
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
print(f"same handler, no layer, one token         {col(twins, 0):>9.0f} req/s")
print(f"same handler, AuthLayer, one token        {col(twins, 1):>9.0f} req/s  ratio {ratio(twins, 1, 0):.3f}  (target 3: >= 0.85)")
print(f"same handler, no layer, 10 000 tokens     {col(twins, 2):>9.0f} req/s")
print(f"same handler, AuthLayer, 10 000 tokens    {col(twins, 3):>9.0f} req/s  ratio {ratio(twins, 3, 2):.3f}")
print(f"a page, no layer                          {col(sessions, 0):>9.0f} req/s")
print(f"the page behind the SessionLayer          {col(sessions, 1):>9.0f} req/s  ratio {ratio(sessions, 1, 0):.3f}  (sessions: >= 0.9)")
print(f"axum example: GET /health                 {col(example, 0):>9.0f} req/s")
print(f"axum example: GET /me (JSON of claims)    {col(example, 1):>9.0f} req/s  ratio {ratio(example, 1, 0):.3f}")
PY
echo "$cold"
echo "$flood"
