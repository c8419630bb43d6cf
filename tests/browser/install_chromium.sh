#!/usr/bin/env bash
# Debian's headless Chromium and its WebDriver, for `make test-browser` (needs root; does nothing when both exist).
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "make test-browser needs Debian's chromium and chromium-driver: run it as root, or install them with" \
         "'apt-get install chromium chromium-driver'" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
echo "installed $(chromium --version) and $(chromedriver --version | cut -d' ' -f1-2)"
