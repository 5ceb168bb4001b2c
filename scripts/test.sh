#!/usr/bin/env bash
# Runs every test: installs (pinned) and starts the moto and cognito-local
# emulators on loopback, installs redis-server and headless Chromium with
# ChromeDriver (the tests start and stop their own servers and drivers with
# them) and aws-jwt-verify (the oracle of the ALB differential test), runs
# `cargo test`, stops the emulators.
#
#   scripts/test.sh                 # cargo test --all-features
#   scripts/test.sh ARGS...         # cargo test ARGS... (e.g. another feature set)
#
# CI=true is set so that an emulator, Redis or browser test can never
# skip: if any of them is missing, the suite fails.
set -euo pipefail
cd "$(dirname "$0")/.."

COGNITO_AUTH_REDIS_SERVER=$(scripts/redis.sh path)
COGNITO_AUTH_CHROMEDRIVER=$(scripts/browser.sh path)
COGNITO_AUTH_ALB_ORACLE=$(scripts/alb-oracle.sh path)
export COGNITO_AUTH_REDIS_SERVER COGNITO_AUTH_CHROMEDRIVER COGNITO_AUTH_ALB_ORACLE

eval "$(scripts/emulators.sh start)"
trap 'scripts/emulators.sh stop' EXIT

if [ "$#" -eq 0 ]; then
    set -- --all-features
fi
CI=true cargo test "$@"
