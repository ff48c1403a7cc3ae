#!/usr/bin/env bash
# Make a headless browser available for the browser tests, without ever
# failing the build: every problem is reported and the script exits 0.
#
# What the browser tests get:
#   - Debian's chromium at /usr/bin/chromium (override with CHROMIUM=...),
#     installed with apt-get when missing and we are root;
#   - the python `playwright` package (from requirements-dev.txt), used only
#     as a driver: `playwright install` cannot download browsers here.
#
# For the browser test writer -- launch it like this:
#
#   from playwright.sync_api import sync_playwright
#   CHROMIUM_ARGS = [
#       "--no-sandbox",                  # we run as root, the sandbox refuses root
#       "--disable-gpu",                 # no GPU on these machines
#       "--disable-dev-shm-usage",       # /dev/shm is small in containers
#       "--disable-background-networking",
#       "--disable-component-update",
#       "--disable-sync",
#       "--no-first-run",
#   ]
#   with sync_playwright() as p:
#       browser = p.chromium.launch(executable_path="/usr/bin/chromium",
#                                   headless=True, args=CHROMIUM_ARGS)
#
# and skip (pytest.skip) when /usr/bin/chromium or playwright is missing.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 0

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -n "${PYTHON:-}" ]; then
    PY="$PYTHON"
elif [ -x .venv/bin/python ]; then
    PY=.venv/bin/python
else
    PY="$(command -v python3 || echo python3)"
fi
APT_LOG="$(mktemp -t install_browser.XXXXXX)"
trap 'rm -f "$APT_LOG"' EXIT

say() { echo "install_browser: $*"; }

# 1. chromium -----------------------------------------------------------------
if [ -x "$CHROMIUM" ]; then
    say "chromium present at $CHROMIUM"
elif [ "$(id -u)" -ne 0 ]; then
    say "chromium missing and not root: skipping install (browser tests will skip)"
elif ! command -v apt-get >/dev/null 2>&1; then
    say "chromium missing and no apt-get on this machine: skipping install (browser tests will skip)"
else
    say "chromium missing: installing it with apt-get (quietly)"
    export DEBIAN_FRONTEND=noninteractive
    # fonts-liberation: chromium only recommends it, but screenshots need real fonts.
    if timeout 300 apt-get update -qq >"$APT_LOG" 2>&1 \
        && timeout 600 apt-get install -y -qq --no-install-recommends chromium fonts-liberation \
            >>"$APT_LOG" 2>&1; then
        say "chromium installed"
    else
        say "could not install chromium (browser tests will skip); last apt output:"
        tail -n 15 "$APT_LOG" | sed 's/^/    /'
    fi
fi

# 2. the playwright python package ------------------------------------------------
if "$PY" -c "import playwright" >/dev/null 2>&1; then
    say "playwright importable ($("$PY" -m playwright --version 2>/dev/null || echo 'driver version unknown'))"
else
    say "playwright not importable with $PY: installing it from requirements-dev.txt"
    if "$PY" -m pip install -q --disable-pip-version-check "$(grep -iE '^playwright\b' requirements-dev.txt || echo playwright)"; then
        say "playwright installed"
    else
        say "could not install playwright (browser tests will skip)"
    fi
fi

# 3. version, and one real headless launch ----------------------------------------
if [ -x "$CHROMIUM" ]; then
    say "$("$CHROMIUM" --version 2>/dev/null || echo 'chromium --version failed')"
    "$PY" - "$CHROMIUM" <<'PY' || say "smoke launch failed (see above); browser tests may fail"
import sys

try:
    from playwright.sync_api import sync_playwright
except ImportError:
    print("install_browser: playwright missing, smoke launch skipped")
    sys.exit(0)

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=sys.argv[1], headless=True,
                                args=ARGS, timeout=60_000)
    page = browser.new_page()
    page.set_content("<title>ok</title><p>ok</p>")
    assert page.title() == "ok"
    print(f"install_browser: smoke launch ok (browser {browser.version})")
    browser.close()
PY
else
    say "no chromium at $CHROMIUM"
fi
exit 0
