#!/usr/bin/env bash
# What the two in-memory structures cost, for BENCHMARKING.md: the
# verified-token cache filled with COUNT distinct RS256 tokens under a byte
# budget (resident growth against the budget, bytes per entry), and the
# revocation mirror at ENTRIES entries.
#
#   scripts/memory.sh [COUNT] [BUDGET_MIB] [ENTRIES]   # defaults 200000 64 1000000
set -euo pipefail
cd "$(dirname "$0")/.."

count=${1:-200000}
budget=${2:-64}
entries=${3:-1000000}
cargo build --release --quiet --features testing,redis --example cache_memory --example revocation_latency
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -m)"
target/release/examples/cache_memory "$count" "$budget"
target/release/examples/revocation_latency memory "$entries"
