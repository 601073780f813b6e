#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the store tests (tests/store/conftest.py calls it).
#
#   scripts/pg-test-server.sh start DIR   installs PostgreSQL from Debian packages when absent (root only:
#                                         apt-get update && apt-get install -y postgresql), initdb's a cluster in
#                                         DIR, starts it on a free 127.0.0.1 port, creates database ln_cds_test and
#                                         prints its URL (postgresql://postgres@127.0.0.1:PORT/ln_cds_test) last
#   scripts/pg-test-server.sh stop DIR    stops that cluster and deletes DIR
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (created by the Debian
# package; created here when missing). Trust authentication is safe because the server listens on loopback and a
# socket directory inside DIR only, and lives only as long as the test session. fsync is off: throwaway data.
set -euo pipefail

action=${1:?usage: pg-test-server.sh start|stop DIR}
dir=${2:?usage: pg-test-server.sh start|stop DIR}

find_bin() {
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

install_postgres() {
    if [ "$(id -u)" != 0 ]; then
        echo "pg-test-server: PostgreSQL is not installed and installing it needs root (apt-get install postgresql)" >&2
        exit 1
    fi
    echo "pg-test-server: installing PostgreSQL from Debian packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
}

start() {
    local bin
    bin=$(find_bin || true)
    if [ -z "$bin" ]; then
        install_postgres
        bin=$(find_bin || true)
        [ -n "$bin" ] || { echo "pg-test-server: initdb not found after installing postgresql" >&2; exit 1; }
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    cd "$dir"  # the server's user may not be able to read the caller's working directory
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=100" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres ln_cds_test
    echo "$bin" >"$dir/bin"
    echo "postgresql://postgres@127.0.0.1:$port/ln_cds_test"
}

stop() {
    [ -f "$dir/bin" ] || { rm -rf "$dir"; return 0; }
    cd /
    as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
    rm -rf "$dir"
}

case "$action" in
start) start ;;
stop) stop ;;
*) echo "usage: pg-test-server.sh start|stop DIR" >&2; exit 2 ;;
esac
