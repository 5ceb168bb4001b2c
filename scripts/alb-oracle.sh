#!/usr/bin/env bash
# Installs aws-jwt-verify 5.2.1 (pinned) from npm under target/alb-oracle/
# for the ALB differential test (tests/alb_differential.rs), and prints the
# directory to put in COGNITO_AUTH_ALB_ORACLE: it holds node_modules and
# the oracle script (tests/alb_oracle/oracle.js, copied).
#
#   scripts/alb-oracle.sh path
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=5.2.1
dir="$(pwd)/target/alb-oracle"

log() { printf '%s\n' "$*" >&2; }

case "${1:-}" in
    path)
        if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
            log "node and npm are needed for the ALB differential test"
            exit 1
        fi
        mkdir -p "$dir"
        if ! grep -q "\"version\": \"$VERSION\"" "$dir/node_modules/aws-jwt-verify/package.json" 2>/dev/null; then
            log "installing aws-jwt-verify@$VERSION"
            (cd "$dir" && npm install --silent --no-audit --no-fund --no-save "aws-jwt-verify@$VERSION" >&2)
        fi
        cp tests/alb_oracle/oracle.js "$dir/oracle.js"
        echo "$dir"
        ;;
    *) log "usage: $0 path"; exit 2 ;;
esac
