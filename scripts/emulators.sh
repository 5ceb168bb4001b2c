#!/usr/bin/env bash
# Installs (pinned versions), starts and stops the Cognito emulators on
# loopback for the emulator test suites (tests/emulators.rs, tests/iam.rs):
# moto, a second moto with its IAM checks on (every request's SigV4
# signature recomputed with botocore; INITIAL_NO_AUTH_ACTION_COUNT=0), and
# cognito-local.
#
#   eval "$(scripts/emulators.sh start)"   # exports COGNITO_AUTH_MOTO_URL, COGNITO_AUTH_MOTO_IAM_URL, COGNITO_AUTH_COGNITO_LOCAL_URL
#   scripts/emulators.sh stop              # stops them by PID
#
# Everything lives under target/emulators/: a Python virtualenv with moto,
# an npm prefix with cognito-local, state, logs and PID files.
set -euo pipefail

MOTO_VERSION=5.2.5
COGNITO_LOCAL_VERSION=5.3.0

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/target/emulators"
mkdir -p "$dir"

log() { printf '%s\n' "$*" >&2; }

install() {
    # (Not `pip show | grep -q`: under pipefail, grep's early exit fails pip.)
    local installed
    installed=$("$dir/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || true)
    if [ ! -x "$dir/venv/bin/moto_server" ] || [ "$installed" != "$MOTO_VERSION" ]; then
        log "installing moto[server]==$MOTO_VERSION"
        python3 -m venv "$dir/venv"
        "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
    fi
    local bin="$dir/npm/node_modules/.bin/cognito-local"
    if [ ! -x "$bin" ] || ! grep -q "\"version\": \"$COGNITO_LOCAL_VERSION\"" "$dir/npm/node_modules/cognito-local/package.json" 2>/dev/null; then
        log "installing cognito-local@$COGNITO_LOCAL_VERSION"
        mkdir -p "$dir/npm"
        (cd "$dir/npm" && npm install --silent --no-audit --no-fund --no-save "cognito-local@$COGNITO_LOCAL_VERSION" >&2)
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_ready() { # url name
    python3 - "$1" "$2" <<'PY'
import sys, time, urllib.request
url, name = sys.argv[1], sys.argv[2]
deadline = time.time() + 60
while time.time() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                sys.exit(0)
    except Exception:
        time.sleep(0.2)
print(f"{name} did not become ready at {url}", file=sys.stderr)
sys.exit(1)
PY
}

start() {
    stop_quietly
    install
    local moto_port cognito_local_port
    moto_port=$(free_port)
    "$dir/venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$dir/moto.log" 2>&1 &
    echo $! >"$dir/moto.pid"

    local moto_iam_port
    moto_iam_port=$(free_port)
    INITIAL_NO_AUTH_ACTION_COUNT=0 "$dir/venv/bin/moto_server" -H 127.0.0.1 -p "$moto_iam_port" >"$dir/moto-iam.log" 2>&1 &
    echo $! >"$dir/moto-iam.pid"

    cognito_local_port=$(free_port)
    local state="$dir/cognito-local-state"
    rm -rf "$state"
    mkdir -p "$state/.cognito"
    echo '{"UserPoolDefaults":{"UsernameAttributes":[]}}' >"$state/.cognito/config.json"
    (cd "$state" && HOST=127.0.0.1 PORT="$cognito_local_port" exec "$dir/npm/node_modules/.bin/cognito-local") >"$dir/cognito-local.log" 2>&1 &
    echo $! >"$dir/cognito-local.pid"

    wait_ready "http://127.0.0.1:$moto_port/moto-api/" moto
    wait_ready "http://127.0.0.1:$moto_iam_port/moto-api/" moto-iam
    wait_ready "http://127.0.0.1:$cognito_local_port/health" cognito-local
    log "moto on port $moto_port (pid $(cat "$dir/moto.pid")), moto with IAM checks on port $moto_iam_port, cognito-local on port $cognito_local_port (pid $(cat "$dir/cognito-local.pid"))"
    echo "export COGNITO_AUTH_MOTO_URL=http://127.0.0.1:$moto_port"
    echo "export COGNITO_AUTH_MOTO_IAM_URL=http://127.0.0.1:$moto_iam_port"
    echo "export COGNITO_AUTH_COGNITO_LOCAL_URL=http://127.0.0.1:$cognito_local_port"
}

stop_quietly() {
    for name in moto moto-iam cognito-local; do
        local pidfile="$dir/$name.pid"
        if [ -f "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2>/dev/null || true
            rm -f "$pidfile"
        fi
    done
}

stop() {
    stop_quietly
    log "emulators stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    install) install ;;
    *) log "usage: $0 start|stop|install"; exit 2 ;;
esac
