#!/usr/bin/env bash
# Makes sure a real redis-server (Debian's package) is on the machine, for
# the revocation and session tests. The tests start their own servers on
# free loopback ports (each in its own directory, with append-only
# persistence), kill and restart them as they need, and stop them.
#
#   scripts/redis.sh install   # installs redis-server with apt-get if missing
#   scripts/redis.sh path      # prints the redis-server binary
set -euo pipefail

log() { printf '%s\n' "$*" >&2; }

install() {
    if command -v redis-server >/dev/null 2>&1; then
        return
    fi
    log "installing redis-server (Debian package)"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! $sudo apt-get install -y -qq redis-server >&2; then
        $sudo apt-get update -qq >&2
        $sudo apt-get install -y -qq redis-server >&2
    fi
    # The package starts a system-wide server on 6379; the tests do not use
    # it (they start their own), so it may stay or go.
}

case "${1:-}" in
    install) install ;;
    path) install; command -v redis-server ;;
    *) log "usage: $0 install|path"; exit 2 ;;
esac
