#!/usr/bin/env bash
# Loads the HTML report of sample-logs/ in a real headless Chromium (Debian's
# package): the page must load without console messages (no script errors,
# no failed loads), the chart's SVG and its shaded incident window must be
# in the DOM Chromium built, and a screenshot is taken.
#
# Usage: scripts/browser-check.sh [OUT_DIR]   (default target/browser-check)
# Installs chromium with apt-get when missing. Outside CI, a machine without
# apt-get skips the check with a message; in CI (CI=true) that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/browser-check}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

browser=""
find_browser() {
    for b in chromium chromium-browser; do
        if command -v "$b" >/dev/null 2>&1; then
            browser="$(command -v "$b")"
            return 0
        fi
    done
    return 1
}

if ! find_browser; then
    if command -v apt-get >/dev/null 2>&1; then
        sudo=""
        if [ "$(id -u)" != 0 ]; then
            sudo="sudo"
        fi
        echo "browser-check: installing chromium from Debian's packages"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
        find_browser || { echo "browser-check: chromium did not install" >&2; exit 1; }
    elif [ "${CI:-}" = "true" ]; then
        echo "browser-check: FAILED, no chromium and no apt-get to install it" >&2
        exit 1
    else
        echo "browser-check: SKIPPED, no chromium and no apt-get here (CI runs it)"
        exit 0
    fi
fi
echo "browser-check: $("$browser" --version 2>/dev/null || echo "$browser")"

# The flags of a closed network: no background connections, a fresh profile.
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chrome() {
    timeout 120 "$browser" --headless --disable-gpu --no-sandbox --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-quic --disable-extensions --user-data-dir="$profile" \
        --enable-logging=stderr --v=0 "$@"
}

passed=0
failed=0
check() { # NAME CONDITION...
    local name="$1"
    shift
    if "$@"; then
        echo "browser-check: ok: $name"
        passed=$((passed + 1))
    else
        echo "browser-check: FAILED: $name" >&2
        failed=$((failed + 1))
    fi
}

# The check of console messages must be able to fail: a page that throws
# is caught first.
printf '<!DOCTYPE html><title>canary</title><script>throw new Error("canary")</script>\n' \
    >"$out/canary.html"
chrome --dump-dom "file://$out/canary.html" >/dev/null 2>"$out/canary.log" || true
check "a page that throws is seen (the console check works)" \
    grep -q 'CONSOLE.*Uncaught Error: canary' "$out/canary.log"

cargo run --release -q -- report sample-logs/ -o "$out/report.html" -q
url="file://$out/report.html"

chrome --dump-dom "$url" >"$out/dom.html" 2>"$out/dom.log"
check "the chart's SVG is in the DOM" grep -q '<svg id="impact-chart"' "$out/dom.html"
check "the incident window is shaded" grep -q 'class="incident-window"' "$out/dom.html"
check "the timeline and suspects tables are in the DOM" \
    grep -q 'class="suspects"' "$out/dom.html"
no_console() { ! grep -E 'CONSOLE|Uncaught' "$out/dom.log"; }
check "no console messages or errors" no_console

chrome --screenshot="$out/report.png" --window-size=1200,3200 --hide-scrollbars "$url" \
    >/dev/null 2>"$out/screenshot.log" || true
shot_ok() { [ -s "$out/report.png" ] && [ "$(wc -c <"$out/report.png")" -gt 20000 ]; }
check "a screenshot was taken ($out/report.png)" shot_ok
no_console_shot() { ! grep -E 'CONSOLE|Uncaught' "$out/screenshot.log"; }
check "no console messages while drawing the screenshot" no_console_shot

echo "browser-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
