#!/usr/bin/env bash
# Starts and stops the S3-compatible servers the s3:// tests read from:
# moto's server mode (PyPI's `moto[server]`, in a venv under target/), on
# loopback ports chosen free:
# - one that takes any keys  -> POSTMORTEM_TEST_S3_ENDPOINT
# - one that checks keys (INITIAL_NO_AUTH_ACTION_COUNT=0, so every key is
#   unknown to it)          -> POSTMORTEM_TEST_S3_AUTH_ENDPOINT
#
# Usage: scripts/s3-servers.sh start   (then: source target/s3-servers/env)
#        scripts/s3-servers.sh stop
# Installs python3 and its venv module with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
state=target/s3-servers
venv=target/ci-venv

stop() {
    if [ -f "$state/pids" ]; then
        while read -r pid; do
            kill "$pid" 2>/dev/null || true
        done < "$state/pids"
        rm -f "$state/pids"
    fi
}

need_python() {
    if command -v python3 >/dev/null 2>&1 && python3 -c 'import venv, ensurepip' 2>/dev/null; then
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "s3-servers: no python3 with venv, and no apt-get to install it" >&2
        return 1
    fi
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        sudo="sudo"
    fi
    echo "s3-servers: installing python3 and python3-venv from Debian's packages"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3 python3-venv >/dev/null
}

start() {
    stop
    mkdir -p "$state"
    if [ ! -x "$venv/bin/moto_server" ]; then
        need_python
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check 'moto[server]'
    fi
    : > "$state/pids"
    : > "$state/env"
    for which in open auth; do
        port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        if [ "$which" = auth ]; then
            INITIAL_NO_AUTH_ACTION_COUNT=0 "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" \
                > "$state/$which.log" 2>&1 &
            var=POSTMORTEM_TEST_S3_AUTH_ENDPOINT
        else
            "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > "$state/$which.log" 2>&1 &
            var=POSTMORTEM_TEST_S3_ENDPOINT
        fi
        echo $! >> "$state/pids"
        # Up when it answers (at most 30 s).
        "$venv/bin/python" - "$port" <<'EOF'
import sys, time, urllib.request, urllib.error
url = f"http://127.0.0.1:{sys.argv[1]}/moto-api/"
for _ in range(300):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit("s3-servers: moto did not answer on " + url)
EOF
        echo "export $var=http://127.0.0.1:$port" >> "$state/env"
        echo "s3-servers: $which moto server on 127.0.0.1:$port ($var)"
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
