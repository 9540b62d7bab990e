# Shared helpers for scripts/*: repository root, logging, Debian packages.
# shellcheck shell=bash

NOTIFY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export NOTIFY_ROOT

log() { printf '\n==> [%s] %s\n' "$(date +%T)" "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# What building notify and running its tests needs, from Debian 12.
NOTIFY_BUILD_PACKAGES=(
    cmake g++ make pkg-config
    libboost-dev nlohmann-json3-dev libsqlite3-dev libinih-dev libhowardhinnant-date-dev
    libcli11-dev catch2 libbenchmark-dev libqpid-proton-cpp12-dev libcurl4-openssl-dev libssl-dev
    libmosquitto-dev prometheus-cpp-dev libcivetweb-dev
)

# What the fuzz targets are built with (libFuzzer ships with clang's runtime).
NOTIFY_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)

# What the integration tests, benches and the demo run against: a real broker and real clients.
NOTIFY_SERVER_PACKAGES=(
    rabbitmq-server mosquitto mosquitto-clients curl openssl python3 python3-pika python3-qpid-proton
    python3-aiosmtpd python3-kombu systemd
)

# ensure_packages PKG...: installs the missing ones (apt-get update only when needed).
ensure_packages() {
    local missing=()
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing Debian packages (run as root to install them): ${missing[*]}"
    log "installing ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# The release build's options, shared by scripts/demo, scripts/test and scripts/bench so
# that they reuse one build/release: a packager's build (-O3 -DNDEBUG), so that whatever
# breaks a distribution's build breaks scripts/test first. scripts/test adds
# -DNOTIFY_WERROR=ON; the demo and the benches leave that setting as the cache has it.
NOTIFY_RELEASE_OPTIONS=(-DCMAKE_BUILD_TYPE=Release)

# build DIR [cmake options...]: configures and builds notify into DIR.
build() {
    local dir=$1
    shift
    cmake -S "$NOTIFY_ROOT" -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)"
}
