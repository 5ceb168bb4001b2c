#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 60).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Nightly Rust is not available on these machines. cargo-fuzz needs
# nightly-only compiler flags (-Zsanitizer=address, SanitizerCoverage), and
# the stable toolchain accepts them when RUSTC_BOOTSTRAP=1 is set, so that is
# how it runs here, with AddressSanitizer on. (`--sanitizer none` works too
# and is faster, but finds less.)
#
# New inputs go to target/fuzz-corpus/<target>/; the committed seeds in
# fuzz/corpus/<target>/ are read, never written. Crashes land in
# fuzz/artifacts/<target>/ (ignored by git): turn each into a regression test.
set -euo pipefail

seconds=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"

if ! command -v cargo-fuzz >/dev/null; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked >&2
fi
export RUSTC_BOOTSTRAP=1

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

for target in "${targets[@]}"; do
    work="$root/target/fuzz-corpus/$target"
    mkdir -p "$work"
    echo "== $target: ${seconds}s" >&2
    log="$root/target/fuzz-corpus/$target.log"
    cargo fuzz run "$target" "$work" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 2>"$log" || {
        echo "!! $target found a crash; see $log and fuzz/artifacts/$target/" >&2
        tail -n 40 "$log" >&2
        exit 1
    }
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "$target: $runs executions in ${seconds}s, no crash"
done
