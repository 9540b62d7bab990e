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
    libmosquitto-dev prometheus-cpp-dev libcivetweb-dev libpq-dev libjq-dev
)

# What the fuzz targets are built with (libFuzzer ships with clang's runtime).
NOTIFY_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)

# What the integration tests, benches and the demo run against: a real broker and real clients.
NOTIFY_SERVER_PACKAGES=(
    rabbitmq-server mosquitto mosquitto-clients curl openssl python3 python3-pika python3-qpid-proton
    python3-aiosmtpd python3-kombu systemd jq
)

# The PostgreSQL server the store's tests start privately (scripts/postgres); scripts/demo
# stays on SQLite and installs no database server.
NOTIFY_POSTGRES_PACKAGES=(postgresql-15 postgresql-client-15)

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

# free_ports N: N distinct free loopback ports, all held until every one is chosen, and
# below the kernel's ephemeral range, so that no outgoing connection (a client, curl, a
# test) can take one in the moment before the server binds it (scripts/broker, scripts/postgres).
free_ports() {
    /usr/bin/python3 - "$1" <<'PY'
import random, socket, sys
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    ephemeral_low = int(f.read().split()[0])
held = []
while len(held) < int(sys.argv[1]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(10000, ephemeral_low) if ephemeral_low > 11000 else 0))
    except OSError:
        s.close()
        continue
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

# make_tls DIR CA_NAME: a throwaway CA (ca.pem, named CA_NAME) and a server certificate
# signed by it (server.pem/.key) for localhost only, so that 127.0.0.1 is a name mismatch.
make_tls() {
    mkdir -p "$1"
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -keyout "$1/ca.key" -out "$1/ca.pem" -days 2 -subj "/CN=$2" 2>/dev/null
    openssl req "${ec[@]}" -keyout "$1/server.key" -out "$1/server.csr" -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$1/server.ext"
    openssl x509 -req -in "$1/server.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial -out "$1/server.pem" \
        -days 2 -extfile "$1/server.ext" 2>/dev/null
}

# ensure_postgres_packages: NOTIFY_POSTGRES_PACKAGES. Debian's package would also create a
# system cluster and start it on port 5432; on a machine without PostgreSQL yet, a
# createcluster.d setting stops that (scripts/postgres never uses a system cluster).
ensure_postgres_packages() {
    if [ "$(id -u)" = 0 ] && ! dpkg-query -W -f='${Status}' postgresql-common 2>/dev/null | grep -q "install ok installed"; then
        mkdir -p /etc/postgresql-common/createcluster.d
        echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/notify-no-main-cluster.conf
    fi
    ensure_packages "${NOTIFY_POSTGRES_PACKAGES[@]}"
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
