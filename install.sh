#!/usr/bin/env sh
# Install newsmon in this checkout: the Debian packages it drives (when apt-get is there) and
# a virtualenv in .venv with the pinned Python packages and the `newsmon` command.
#
#   ./install.sh             to run the tests (what .ci/run runs): the runtime, plus pytest,
#                            ruff, mypy, import-linter, Scrapyd, newsboat, rss2email, Redis
#   ./install.sh --runtime   to run newsmon: no test tools (or `pip install .` anywhere)
#
# It says what it installs and why before it starts. When another program (an unattended
# upgrade, another apt-get) holds the package manager's lock, it waits for it, up to
# NEWSMON_APT_LOCK_TIMEOUT seconds (default 600), instead of failing.
set -eu
cd "$(dirname "$0")"

MODE=test
for arg in "$@"; do
  case "$arg" in
    --runtime) MODE=runtime ;;
    -h | --help) sed -n '2,11p' "$0" | cut -c3- && exit 0 ;;
    *) echo "install.sh: unknown option $arg (--runtime, --help)" >&2 && exit 2 ;;
  esac
done
LOCK_TIMEOUT="${NEWSMON_APT_LOCK_TIMEOUT:-600}"

say() { echo "install.sh: $*"; }

# What each mode installs, one line each with the reason (printed below).
if [ "$MODE" = runtime ]; then
  DEBIAN_PACKAGES="chromium"
  REQUIREMENTS="requirements.txt"
  PLAN="  chromium              (Debian) the headless browser for pages that only JavaScript fills in
  requirements.txt      (Python, pinned) Scrapy, scrapy-playwright, feedgen, nh3, jsonschema, redis ...
  newsmon               the \`newsmon\` command in .venv/bin (this checkout, editable)"
else
  DEBIAN_PACKAGES="chromium newsboat rss2email redis-server"
  REQUIREMENTS="requirements-dev.txt"
  PLAN="  chromium              (Debian) the headless browser for pages that only JavaScript fills in
  newsboat              (Debian) the feed reader the publishing tests read the feeds with
  rss2email             (Debian) polls the served feeds in the serving tests
  redis-server          (Debian) the Redis of the scaled-out crawl tests (.ci/run starts one)
  requirements-dev.txt  (Python, pinned) the runtime's packages, plus pytest, feedparser, ruff,
                        mypy, import-linter, Scrapyd and scrapyd-client
  newsmon               the \`newsmon\` command in .venv/bin (this checkout, editable)"
fi
# `python3 -m venv` needs ensurepip, which Debian ships in python3-venv.
if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  DEBIAN_PACKAGES="python3-venv $DEBIAN_PACKAGES"
  PLAN="  python3-venv          (Debian) lets python3 create the virtualenv
$PLAN"
fi
say "installing newsmon ($MODE) into $(pwd)/.venv:"
echo "$PLAN"

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  say "newsmon needs Python 3.11 or newer; python3 is $(python3 --version 2>&1)" >&2
  exit 1
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

# `apt-get update` ignores DPkg::Lock::Timeout for its lists lock (apt 2.6): retry it.
apt_update() {
  waited=0
  while ! output="$($SUDO apt-get -qq update 2>&1)"; do
    case "$output" in
      *"Could not get lock"* | *"Unable to lock"*)
        if [ "$waited" -ge "$LOCK_TIMEOUT" ]; then
          echo "$output" >&2
          return 1
        fi
        [ "$waited" = 0 ] && say "another program holds the package lists' lock: waiting (up to ${LOCK_TIMEOUT} s)"
        sleep 5
        waited=$((waited + 5))
        ;;
      *) echo "$output" >&2 && return 1 ;;
    esac
  done
}

if command -v apt-get >/dev/null 2>&1; then
  MISSING=""
  for package in $DEBIAN_PACKAGES; do
    installed "$package" || MISSING="$MISSING $package"
  done
  if [ -z "$MISSING" ]; then
    say "Debian packages already installed: $DEBIAN_PACKAGES"
  else
    if [ "$(id -u)" = 0 ]; then
      SUDO=""
    elif command -v sudo >/dev/null 2>&1; then
      SUDO="sudo"
    else
      SUDO="unavailable"
    fi
    if [ "$SUDO" = unavailable ]; then
      say "not root and no sudo; install these Debian packages yourself:$MISSING" >&2
    else
      export DEBIAN_FRONTEND=noninteractive
      say "apt-get install$MISSING (waiting up to ${LOCK_TIMEOUT} s for the package manager's lock)"
      apt_update
      # shellcheck disable=SC2086
      $SUDO apt-get -qq -o DPkg::Lock::Timeout="$LOCK_TIMEOUT" install -y --no-install-recommends $MISSING >/dev/null
      say "Debian packages installed:$MISSING"
    fi
  fi
else
  say "no apt-get: install $DEBIAN_PACKAGES yourself (the tests that need them skip without them)" >&2
fi

python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r "$REQUIREMENTS"
# The `newsmon` command (pyproject.toml's [project.scripts]); editable, so it runs this checkout.
.venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
if [ "$MODE" = runtime ]; then
  say "done. Crawl with .venv/bin/scrapy crawl newsfeed; try it offline with .venv/bin/python -m tests.replica.demo"
else
  say "done. Run the tests with .venv/bin/python -m pytest"
fi
