#!/usr/bin/env bash
# cognito-auth side by side with other Rust JWT middleware over HTTP on
# loopback (see BENCHMARKING.md).
#
#   scripts/compare-peers.sh [SECONDS] [ROUNDS]   (default 4 s per run, 5 rounds)
#
# benches/peers (a standalone crate, built --locked) serves one handler, which
# answers {"sub": ...} from the verified token on /r, behind each of:
#   open                  nothing (the baseline)
#   cognito-auth          this crate: AuthLayer + AccessToken, default settings
#   cognito-auth-nocache  the same with the verified-token cache off (reference)
#   tower-oauth2          tower-oauth2-resource-server 0.12
#   jwt-authorizer        jwt-authorizer 0.15 (axum 0.7)
#   handwritten           jsonwebtoken + a JWKS fetched once with reqwest
# all configured for one testing pool (examples/mint.rs), one server process
# each, all running at once.
#
# 1. gate: every server must answer a valid token 200 with its sub and refuse
#    bad ones (changed signature, alg none, no token, not a JWT, unknown kid)
#    with 401; started for another issuer and for another app client, each
#    verifier must answer a valid token as its checks table says. The script
#    stops at the first server that does not: nothing misconfigured is timed.
# 2. throughput: wrk -t1 -c32, one token a request in turn (Lua), every server
#    in turn within a round (the order shifts each round), for
#    (a) "never seen": 300 000 tokens, none in (b), each run going on where
#        the server's previous run stopped: at these rates a token comes
#        back only after some 100 000 others, when no cache or first-sighting
#        table of the crate's defaults still remembers it;
#    (b) 10 000 tokens, every one verified many times before the rounds.
#    Medians over the rounds; ratios are taken per round, then the median.
#    Each run also reads the server's CPU time (user + system, from /proc)
#    and reports it per request: with the client on the same cores, req/s
#    depends on how the scheduler splits them; CPU per request does not.
# 3. latency, in each round after its throughput runs: `peers latency`, an
#    open-loop client at PEERS_RATE (default 5000) requests/s for SECONDS per
#    server and rotation; p50/p99/max from the scheduled send time. Medians of
#    the rounds' p50 and p99, the worst max; a figure whose client itself fell
#    behind its schedule (lag p99 over 1 ms) is marked: it measures the
#    machine, not the server.
# 4. in process: `peers cost`, the verifiers alone on the never-seen tokens,
#    one thread, against the raw RSA check (no HTTP, no client).
#
# The client and the servers share the machine's cores. Builds into
# $CARGO_TARGET_DIR when it is set, target/ otherwise; wrk is installed from
# Debian's packages if missing.
set -euo pipefail

seconds=${1:-4}
rounds=${2:-5}
rate=${PEERS_RATE:-5000}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
case $target in /*) ;; *) target="$root/$target" ;; esac
work="$target/compare-peers"
mkdir -p "$work"

log() { printf '%s\n' "$*" >&2; }
fail() { log "!! $*"; exit 1; }

if ! command -v wrk >/dev/null; then
    log "installing wrk (Debian package)"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get install -y wrk >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y wrk >/dev/null; }
fi

log "building mint and benches/peers (release)"
cargo build --release --quiet --features testing --example mint
cargo build --release --quiet --locked --manifest-path benches/peers/Cargo.toml --target-dir "$target"
mint="$target/release/examples/mint"
peers="$target/release/peers"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# --- tokens: 60 000 valid access tokens and one with an unknown kid ---------------
log "minting tokens"
"$mint" 310000 1 "$work" >"$work/mint.out" &
mint_pid=$!
pids+=("$mint_pid")
for _ in $(seq 1 3000); do
    grep -q '^ready' "$work/mint.out" 2>/dev/null && break
    kill -0 "$mint_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q '^ready' "$work/mint.out" || fail "mint did not start: $(cat "$work/mint.out")"
eval "$(grep '^export' "$work/mint.out")"
head -n 10000 "$work/tokens.txt" >"$work/rotation-10k.txt"
tail -n +10001 "$work/tokens.txt" >"$work/never-seen.txt"
[ "$(wc -l <"$work/never-seen.txt")" -eq 300000 ] || fail "expected 300 000 never-seen tokens"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

serve() { # serve LABEL WHICH [VAR=VALUE...]: `peers serve WHICH`; sets $port, $server_pid
    local label=$1 which=$2
    shift 2
    port=$(free_port)
    env "$@" "$peers" serve "$which" "$port" >"$work/$label.out" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    for _ in $(seq 1 300); do
        grep -q 'listening on' "$work/$label.out" 2>/dev/null && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    fail "$label did not start: $(cat "$work/$label.out")"
}

stop() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }

names=(open cognito-auth cognito-auth-nocache tower-oauth2 jwt-authorizer handwritten)
verifiers=(cognito-auth tower-oauth2 jwt-authorizer handwritten)

# --- 1. the gate ------------------------------------------------------------------
: >"$work/gate.txt"
log "gate: each verifier started for another issuer, then another app client"
for which in "${verifiers[@]}"; do
    serve "$which-other-issuer" "$which" COGNITO_ISSUER="$COGNITO_ISSUER/other"
    "$peers" status "$which" other-issuer "http://127.0.0.1:$port/r" "$work/tokens.txt" >>"$work/gate.txt" \
        || fail "$which does not answer as its checks table says: not measured"
    stop
    serve "$which-other-client" "$which" COGNITO_CLIENT_ID=another-app-client
    "$peers" status "$which" other-client "http://127.0.0.1:$port/r" "$work/tokens.txt" >>"$work/gate.txt" \
        || fail "$which does not answer as its checks table says: not measured"
    stop
done

log "gate: starting every server, valid and bad tokens"
declare -A port_of pid_of
for name in "${names[@]}"; do
    serve "$name" "$name"
    port_of[$name]=$port
    pid_of[$name]=$server_pid
    "$peers" check "$name" "http://127.0.0.1:$port/r" "$work/tokens.txt" "$work/unknown.txt" >>"$work/gate.txt" \
        || fail "$name is misconfigured: not measured"
done

# --- 2. throughput ----------------------------------------------------------------
# One token a request, in turn from START; the index reached is written to
# NEXT_FILE, so that the next run on the same server goes on from there.
cat >"$work/rotate.lua" <<'LUA'
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local path = os.getenv("ROUTE")
i = tonumber(os.getenv("START") or "0") % #tokens
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
request = function()
    i = i % #tokens + 1
    return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[i] })
end
function done(summary, latency, requests)
    local out = io.open(os.getenv("NEXT_FILE"), "w")
    out:write(tostring(threads[1]:get("i")))
    out:close()
end
LUA

wrk_cmd=(wrk -t 1 -c 32 -d "${seconds}s" -s rotate.lua)
declare -A cursor
clock_ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system time of a process
run_wrk() { # run_wrk NAME ROTATION DURATION: sets $wrk_rps, $wrk_errors (non-2xx + socket errors), $cpu_us
    local name=$1 rotation=$2 duration=$3 key="$1/$2" output before after
    before=$(cpu_ticks "${pid_of[$name]}")
    output=$(TOKENS_FILE="$work/$rotation.txt" ROUTE=/r START="${cursor[$key]:-0}" NEXT_FILE="$work/next" \
        wrk -t 1 -c 32 -d "$duration" -s "$work/rotate.lua" "http://127.0.0.1:${port_of[$name]}" 2>&1)
    after=$(cpu_ticks "${pid_of[$name]}")
    cursor[$key]=$(cat "$work/next")
    read -r wrk_rps wrk_errors cpu_us < <(awk -v ticks=$((after - before)) -v hz="$clock_ticks" '
        /^Requests\/sec:/ {rps = $2}
        / requests in / {requests = $1}
        /Non-2xx or 3xx responses:/ {errors += $NF}
        /Socket errors:/ {gsub(",", ""); errors += $4 + $6 + $8 + $10}
        END {print rps + 0, errors + 0, (requests > 0 ? ticks * 1e6 / hz / requests : 0)}' <<<"$output")
}

log "warm-up: keys fetched, the 10 000-token rotation verified many times on every server"
for name in "${names[@]}"; do
    run_wrk "$name" rotation-10k 3s
done

: >"$work/throughput.txt"
: >"$work/latency.txt"
for round in $(seq 1 "$rounds"); do
    order=()
    for index in "${!names[@]}"; do
        order+=("${names[$(((index + round - 1) % ${#names[@]}))]}")
    done
    summary=()
    for rotation in never-seen rotation-10k; do
        for name in "${order[@]}"; do
            run_wrk "$name" "$rotation" "${seconds}s"
            echo "$round $rotation $name $wrk_rps $wrk_errors $cpu_us" >>"$work/throughput.txt"
            summary+=("$rotation/$name $wrk_rps")
        done
    done
    log "round $round/$rounds, req/s: ${summary[*]}"
    # --- 3. latency at a fixed rate, in the same round --------------------------
    summary=()
    for rotation in never-seen rotation-10k; do
        count=$(wc -l <"$work/$rotation.txt")
        for name in "${order[@]}"; do
            key="$name/$rotation"
            line=$("$peers" latency "http://127.0.0.1:${port_of[$name]}/r" "$work/$rotation.txt" "$rate" "$seconds" "${cursor[$key]:-0}")
            cursor[$key]=$(((${cursor[$key]:-0} + rate * seconds) % count))
            echo "$round $rotation $name $line" >>"$work/latency.txt"
            summary+=("$rotation/$name $(sed -E 's/.*p50_ms=([^ ]+) p99_ms=([^ ]+).*/\1\/\2/' <<<"$line")")
        done
    done
    log "round $round/$rounds, latency p50/p99 ms at $rate req/s: ${summary[*]}"
done

# --- the report -------------------------------------------------------------------
echo "== compare-peers ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores shared by client and servers, $(rustc --version | cut -d' ' -f1-2), rounds: $rounds of ${seconds} s runs, medians) =="
echo "commands: scripts/compare-peers.sh $seconds $rounds; throughput: ${wrk_cmd[*]} (one token a request, in turn); latency: peers latency URL TOKENS $rate $seconds (open loop)"
echo
python3 - "$work/throughput.txt" "$work/latency.txt" "$root/benches/peers/Cargo.lock" "$rate" <<'PY'
import re, statistics, sys
from collections import defaultdict

throughput_path, latency_path, lock_path, rate = sys.argv[1:5]
versions = dict(re.findall(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', open(lock_path).read()))
jwt11 = [v for n, v in re.findall(r'name = "(jsonwebtoken)"\nversion = "([^"]+)"', open(lock_path).read()) if v.startswith("11.")]
labels = {
    "open": "open (no auth)",
    "cognito-auth": f"cognito-auth {versions.get('cognito-auth', '?')}",
    "cognito-auth-nocache": "cognito-auth, cache off (reference)",
    "tower-oauth2": f"tower-oauth2-resource-server {versions.get('tower-oauth2-resource-server', '?')}",
    "jwt-authorizer": f"jwt-authorizer {versions.get('jwt-authorizer', '?')}",
    "handwritten": f"handwritten (jsonwebtoken {jwt11[0] if jwt11 else '?'})",
}
names = list(labels)
peers = ["tower-oauth2", "jwt-authorizer", "handwritten"]
rotations = ["never-seen", "rotation-10k"]
med = statistics.median

rps = defaultdict(dict)        # (rotation, round) -> name -> req/s
cpu = defaultdict(dict)        # (rotation, round) -> name -> server CPU µs per request
errors = defaultdict(int)      # name -> non-2xx and socket errors in wrk runs
for line in open(throughput_path):
    round_, rotation, name, value, errs, cpu_us = line.split()
    rps[(rotation, round_)][name] = float(value)
    cpu[(rotation, round_)][name] = float(cpu_us)
    errors[name] += int(errs)
rounds = sorted({r for (_, r) in rps})

def median_rps(rotation, name):
    return med([rps[(rotation, r)][name] for r in rounds])

def median_ratio(rotation, a, b):
    return med([rps[(rotation, r)][a] / rps[(rotation, r)][b] for r in rounds if rps[(rotation, r)][b] > 0])

def median_cpu(rotation, name):
    return med([cpu[(rotation, r)][name] for r in rounds])

def median_cpu_ratio(rotation, a, b):
    """How many requests `a` serves on the CPU time `b` spends on one (per round, then the median)."""
    return med([cpu[(rotation, r)][b] / cpu[(rotation, r)][a] for r in rounds if cpu[(rotation, r)][a] > 0])

runs = defaultdict(list)       # (rotation, name) -> every round's latency fields
for line in open(latency_path):
    _, rotation, name, _, *fields = line.split()
    runs[(rotation, name)].append({key: float(value) for key, value in (field.split("=") for field in fields)})
LAG_LIMIT_MS = 1.0
def latency_cell(rotation, name):
    rs = runs[(rotation, name)]
    p50, p99 = med([r["p50_ms"] for r in rs]), med([r["p99_ms"] for r in rs])
    worst = max(r["max_ms"] for r in rs)
    mark = " ‡" if med([r["client_lag_p99_ms"] for r in rs]) > LAG_LIMIT_MS else ""
    return f"{p50:.2f} / {p99:.2f} / {worst:.1f}{mark}"

print(f"| server | never seen (300 000 tokens) req/s | / open | server CPU µs a request | 10 000 tokens req/s | / open | server CPU µs a request "
      f"| at {rate} req/s, never seen: p50 / p99 / max ms | at {rate} req/s, 10 000 tokens: p50 / p99 / max ms | non-2xx |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name in names:
    cells = [labels[name]]
    for rotation in rotations:
        cells.append(f"{median_rps(rotation, name):.0f}")
        cells.append(f"{median_ratio(rotation, name, 'open'):.3f}")
        cells.append(f"{median_cpu(rotation, name):.1f}")
    non_2xx = errors[name]
    for rotation in rotations:
        cells.append(latency_cell(rotation, name))
        non_2xx += sum(int(r["non200"] + r["errors"]) for r in runs[(rotation, name)])
    cells.append(str(non_2xx))
    print("| " + " | ".join(cells) + " |")
print()
for rotation, title in zip(rotations, ["never seen", "10 000 tokens"]):
    best = max(peers, key=lambda name: median_rps(rotation, name))
    print(f"cognito-auth / best peer, {title}: {median_ratio(rotation, 'cognito-auth', best):.2f}x "
          f"(the best peer: {labels[best]}; median of per-round ratios)")
    thrifty = min(peers, key=lambda name: median_cpu(rotation, name))
    print(f"  requests served per server CPU second, cognito-auth / the thriftiest peer, {title}: "
          f"{median_cpu_ratio(rotation, 'cognito-auth', thrifty):.2f}x (the peer: {labels[thrifty]})")
lags = sorted(r["client_lag_p99_ms"] for rs in runs.values() for r in rs)
print(f"latency: medians over the rounds of p50 and p99, the worst max; the client's own scheduling lag "
      f"(p99 of a run) was {med(lags):.2f} ms in the median run, {lags[-1]:.2f} ms in the worst, and is part of every figure")
if any(" ‡" in latency_cell(rotation, name) for rotation in rotations for name in names):
    print(f"‡ the client fell behind its schedule (median lag p99 over {LAG_LIMIT_MS:.0f} ms): "
          "that figure measures the machine's load, not the server")
if any(errors.values()) or any(r["non200"] + r["errors"] for rs in runs.values() for r in rs):
    print("!! some answers were not 200 (last column): those servers' figures do not measure verification alone")
PY
echo
echo "In process (\`peers cost\`: no HTTP, no load client; the same never-seen tokens for each):"
"$peers" cost "$work/never-seen.txt" 9
echo
echo "What each verifier checks, as configured here (from each crate's source; \`peers checks\`):"
echo
"$peers" checks
echo
echo "gate (before timing):"
sed 's/^/  /' "$work/gate.txt"
