#!/usr/bin/env bash
# Revocation across processes and in memory, for BENCHMARKING.md:
# propagation latency p50 / p99 between two processes sharing a real
# redis-server (started here on a free port, stopped at the end), and the
# resident memory of a million entries in the mirror.
#
#   scripts/revocation-latency.sh [COUNT] [ENTRIES]    # defaults 300 1000000
set -euo pipefail
cd "$(dirname "$0")/.."

count=${1:-300}
entries=${2:-1000000}
server=$(scripts/redis.sh path)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
dir=$(mktemp -d)
"$server" --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly yes >/dev/null 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
done

cargo build --release --quiet --example revocation_latency --features testing,redis
binary=target/release/examples/revocation_latency
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -m), redis-server $("$server" --version | awk '{print $3}')"
"$binary" propagate "redis://127.0.0.1:$port" "$count"
"$binary" memory "$entries"
