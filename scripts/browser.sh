#!/usr/bin/env bash
# Makes sure Debian's Chromium and ChromeDriver are on the machine, for the
# browser sign-in tests (tests/browser.rs drives headless Chromium through
# WebDriver; it starts and stops chromedriver itself).
#
#   scripts/browser.sh install   # installs chromium and chromium-driver if missing
#   scripts/browser.sh path      # prints the chromedriver binary
set -euo pipefail

log() { printf '%s\n' "$*" >&2; }

install() {
    if command -v chromedriver >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; then
        return
    fi
    log "installing chromium and chromium-driver (Debian packages)"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! $sudo apt-get install -y -qq chromium chromium-driver >&2; then
        $sudo apt-get update -qq >&2
        $sudo apt-get install -y -qq chromium chromium-driver >&2
    fi
}

case "${1:-}" in
    install) install ;;
    path) install; command -v chromedriver ;;
    *) log "usage: $0 install|path"; exit 2 ;;
esac
