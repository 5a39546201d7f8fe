#!/usr/bin/env sh
# Install everything newsmon and its tests need: the Debian packages the tests drive (when
# apt-get is there) and a virtualenv in .venv with the pinned Python packages.
#
#   ./install.sh
set -eu
cd "$(dirname "$0")"

# newsboat: the feed reader the publishing tests drive; rss2email: polls the served feeds;
# chromium: renders JavaScript-only pages (`playwright install` cannot download browsers
# offline); redis-server: the Redis that scaled-out crawls share.
DEBIAN_PACKAGES="newsboat rss2email chromium redis-server"

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    SUDO="unavailable"
  fi
  if [ "$SUDO" = unavailable ]; then
    echo "install.sh: not root and no sudo; install these Debian packages yourself: $DEBIAN_PACKAGES" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $DEBIAN_PACKAGES >/dev/null
  fi
else
  echo "install.sh: no apt-get; the tests that need $DEBIAN_PACKAGES skip without them" >&2
fi

python3 -m venv .venv
.venv/bin/pip install -q -r requirements-dev.txt
echo "newsmon installed: run the tests with .venv/bin/python -m pytest"
