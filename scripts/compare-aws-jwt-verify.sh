#!/usr/bin/env bash
# Verification rate of cognito-auth against the official JavaScript
# verifier, aws-jwt-verify 5.2.1, on the same tokens and the same JWKS,
# single thread each (see BENCHMARKING.md).
#
#   scripts/compare-aws-jwt-verify.sh [SECONDS]   (default 5 s per verifier)
set -euo pipefail

seconds=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"

log() { printf '%s\n' "$*" >&2; }

log "installing aws-jwt-verify@5.2.1 into $work"
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund aws-jwt-verify@5.2.1 >/dev/null)

log "building the crate's side (release)"
cargo build --release --quiet --features testing --example compare
"$root/target/release/examples/compare" export "$work/data"

cat >"$work/verify.mjs" <<'JS'
import { readFileSync } from "node:fs";
import { CognitoJwtVerifier } from "aws-jwt-verify";
const dir = process.argv[2];
const seconds = Number(process.argv[3]);
const pool = JSON.parse(readFileSync(`${dir}/pool.json`, "utf8"));
const jwks = JSON.parse(readFileSync(`${dir}/jwks.json`, "utf8"));
const tokens = readFileSync(`${dir}/tokens.txt`, "utf8").split("\n").filter(Boolean);
const verifier = CognitoJwtVerifier.create({
  userPoolId: pool.userPoolId,
  tokenUse: "access",
  clientId: pool.clientId,
});
verifier.cacheJwks(jwks);
let count = 0;
const started = process.hrtime.bigint();
const deadline = started + BigInt(seconds) * 1_000_000_000n;
while (process.hrtime.bigint() < deadline) {
  for (const token of tokens) verifier.verifySync(token);
  count += tokens.length;
}
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`aws-jwt-verify 5.2.1 verifySync (Node ${process.versions.node}): ${Math.round(count / elapsed)} verifications/s`);
JS

node_line=$(node "$work/verify.mjs" "$work/data" "$seconds")
rust_lines=$("$root/target/release/examples/compare" measure "$work/data" "$seconds")
echo "$node_line"
echo "$rust_lines"
node_rate=$(echo "$node_line" | grep -oE '[0-9]+ verifications/s' | grep -oE '^[0-9]+')
full_rate=$(echo "$rust_lines" | grep 'full verification' | grep -oE '[0-9]+ verifications/s' | grep -oE '^[0-9]+')
cached_rate=$(echo "$rust_lines" | grep 'verified-token cache' | grep -oE '[0-9]+ verifications/s' | grep -oE '^[0-9]+')
python3 -c "print(f'ratio cognito-auth / aws-jwt-verify: full verification {$full_rate / $node_rate:.2f}x, with the verified-token cache {$cached_rate / $node_rate:.1f}x')"
