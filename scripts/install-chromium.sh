#!/bin/sh
# Installs what the browser test needs (tests/browser/): Debian's chromium, driven by playwright from PyPI with
# the system executable (playwright's own browser download is not used). Idempotent: does nothing when present.
# Run as root in CI; elsewhere without root it only reports, and the test skips with a message outside CI.
set -e
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ]; then
  apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }
else
  echo "chromium is not installed and this is not root: the browser test will skip (sudo apt-get install chromium)" >&2
fi
