#!/usr/bin/env bash
# Installs notify into a fresh prefix and builds a host project against the package config.
set -eu
build_dir=$1
source_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build_dir" --prefix "$prefix" >"$tmp/install.log"
for f in bin/notify include/notify/notify.hpp include/notify/core/event_bus.hpp include/notify/config/loader.hpp \
         lib/cmake/notify/notifyConfig.cmake share/notify/server.conf.example; do
    [ -e "$prefix/$f" ] || { echo "FAIL: $f was not installed"; exit 1; }
done
ls "$prefix"/lib/libnotify_core.so* >/dev/null
version=$("$prefix/bin/notify" --version)
[ "$version" = "notify 0.1.0" ] || { echo "FAIL: installed notify --version printed '$version'"; exit 1; }

cmake -S "$source_dir/examples/host_minimal" -B "$tmp/host" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/configure.log" \
    || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/host" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
out=$(env -u NOTIFY_CONFIG NOTIFY_MESSAGING__TOPIC_EXCHANGE=pulp "$tmp/host/host_minimal" "$tmp/store/notify.db")
echo "$out"
grep -q '^topic exchange: pulp$' <<<"$out"
grep -q '^listener [a-z0-9]\{8\} wants repo.\*.finish$' <<<"$out"
grep -q '^delivered repo.sync.finish to listener [a-z0-9]\{8\}: {"repo_id":"zoo","result":"success","summary":{"units_added":3}}$' <<<"$out"
[ "$(grep -c '^delivered' <<<"$out")" = 1 ]
grep -q '^fired 2 events, 2 seen on the bus, 1 delivery stored for the listener$' <<<"$out"
# examples/host-app embeds all three handlers; with the test broker it also runs against it.
cmake -S "$source_dir/examples/host-app" -B "$tmp/host-app" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/configure.log" \
    || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/host-app" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
for h in amqp email http; do
    ls "$prefix/include/notify/handlers/$h/$h.hpp" >/dev/null
done
# Every C++ snippet the docs show compiles and links against the installed headers alone.
cmake -S "$source_dir/examples/snippets" -B "$tmp/snippets" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/configure.log" \
    || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/snippets" >"$tmp/build.log" 2>&1 || { echo "FAIL: the doc snippets do not build"; cat "$tmp/build.log"; exit 1; }
if [ -n "${NOTIFY_TEST_BROKER_DIR:-}" ]; then
    # shellcheck disable=SC1091
    source "$NOTIFY_TEST_BROKER_DIR/env"
    (umask 077 && printf '[messaging]\nurl = amqp://guest:guest@%s\nmanagement_url = %s\n[store]\npath = %s\n' \
        "${NOTIFY_TEST_AMQP_URL#amqp://}" "$NOTIFY_TEST_MANAGEMENT_URL" "$tmp/app-store/notify.db" >"$tmp/app.conf")
    exchange=host-app-$$
    out=$(NOTIFY_CONFIG="$tmp/app.conf" "$tmp/host-app/host-app" "$exchange" 'repo.*.finish')
    echo "$out"
    grep -q '^confirmed 6 of 6$' <<<"$out"
    [ "$(grep -c '^received repo\.[a-z]*\.finish$' <<<"$out")" = 2 ]
    grep -q "^2 messages matched 'repo.\*.finish'$" <<<"$out"
    curl -s -o /dev/null -u guest:guest -X DELETE "$NOTIFY_TEST_MANAGEMENT_URL/api/exchanges/%2F/$exchange"
fi
echo "install test: package found, hosts and doc snippets built, host_minimal and host-app ran"
