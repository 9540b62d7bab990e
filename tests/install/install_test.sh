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
# The installed handlers are plugins, and the tool links none of their libraries.
for h in amqp email http mqtt; do
    [ -e "$prefix/lib/notify/plugins/notify_handler_$h.so" ] || { echo "FAIL: plugin $h was not installed"; exit 1; }
done
if ldd "$prefix/bin/notify" | grep -E 'proton|curl|mosquitto'; then echo "FAIL: bin/notify links a handler library"; exit 1; fi
plugins=$("$prefix/bin/notify" --json plugins list)
for h in amqp email http mqtt; do
    grep -q "\"path\": \"$prefix/lib/notify/plugins/notify_handler_$h.so\"" <<<"$plugins" \
        || { echo "FAIL: the installed notify did not load its $h plugin: $plugins"; exit 1; }
done

# A third-party plugin built against the package (examples/plugin-file), loaded from a
# [plugins] path folder: notify listener file create, then the installed notify serve
# delivers through it and drains on SIGTERM.
cmake -S "$source_dir/examples/plugin-file" -B "$tmp/plugin-file" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/configure.log" \
    || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/plugin-file" >"$tmp/build.log" 2>&1 || { echo "FAIL: examples/plugin-file does not build"; cat "$tmp/build.log"; exit 1; }
mkdir -p "$tmp/my-plugins" "$tmp/file-store"
cp "$tmp/plugin-file/notify_handler_file.so" "$tmp/my-plugins/"
printf 'not a plugin\n' >"$tmp/my-plugins/broken.so"
(umask 077 && printf '[store]\npath = %s\n[plugins]\npath = my-plugins\n[file]\nfsync = true\n' \
    "$tmp/file-store/notify.db" >"$tmp/file.conf")
fnotify() { env -u NOTIFY_CONFIG "$prefix/bin/notify" --config "$tmp/file.conf" "$@"; }
fnotify plugins list >"$tmp/plugins.out" 2>"$tmp/plugins.err"
grep -q "^file 1.0.0  kinds: file  $tmp/my-plugins/notify_handler_file.so\$" "$tmp/plugins.out" \
    || { echo "FAIL: plugin file not listed"; cat "$tmp/plugins.out"; exit 1; }
grep -q "^skipped $tmp/my-plugins/broken.so: cannot be loaded" "$tmp/plugins.out" \
    || { echo "FAIL: broken.so not named as skipped"; cat "$tmp/plugins.out"; exit 1; }
grep -q "plugin $tmp/my-plugins/broken.so skipped: cannot be loaded" "$tmp/plugins.err"
fnotify listener file create --event-type 'repo.#' --path "$tmp/events.jsonl" --format data >/dev/null 2>&1
fnotify event fire repo.sync.finish --data '{"repo_id": "zoo"}' >/dev/null 2>&1
fnotify event fire repo.publish.finish --data '{"repo_id": "lion"}' >/dev/null 2>&1
env -u NOTIFY_CONFIG "$prefix/bin/notify" --config "$tmp/file.conf" serve >"$tmp/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do
    [ "$(cat "$tmp/events.jsonl" 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.1
done
kill -TERM "$serve_pid"
wait "$serve_pid" || { echo "FAIL: notify serve exited with $?"; cat "$tmp/serve.log"; exit 1; }
[ "$(sort "$tmp/events.jsonl")" = '{"repo_id":"lion"}
{"repo_id":"zoo"}' ] || { echo "FAIL: the file plugin wrote:"; cat "$tmp/events.jsonl"; cat "$tmp/serve.log"; exit 1; }

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
echo "install test: package found, hosts, doc snippets and a third-party plugin built, host_minimal and host-app ran, notify serve delivered through the plugin"
