#!/usr/bin/env bash
# The notify executable as a user meets it: version, config check, exit codes, one-line errors.
set -u
notify=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run <expected exit code> <args...>: captures stdout/stderr of one notify call
run() {
    local want=$1; shift
    "$notify" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    [ "$got" = "$want" ] || fail "notify $*: exit $got, expected $want (stderr: $(cat "$tmp/err"))"
}

run 0 --version
grep -qx 'notify [0-9]*\.[0-9]*\.[0-9]*' "$tmp/out" || fail "--version printed '$(cat "$tmp/out")'"

run 0 --help
grep -q 'check-config' "$tmp/out" || fail "--help does not list check-config"

run 2 --config "$tmp/missing.conf" check-config
[ "$(wc -l <"$tmp/err")" = 1 ] || fail "missing config: expected one line on stderr"
grep -q "missing.conf: no such file (named by --config)" "$tmp/err" || fail "missing config: $(cat "$tmp/err")"

printf '[messaging]\ntopic_exchange = ok\n[delivery]\nworkers = none\n' >"$tmp/bad.conf"
run 2 --config "$tmp/bad.conf" check-config
grep -qF "$tmp/bad.conf:4: [delivery] workers = 'none'" "$tmp/err" || fail "bad value: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "bad value: something was printed on stdout"

printf '[email]\nusername = mailer\npassword = hunter2\n[messaging]\nurl = amqp://svc:s3cret@127.0.0.1:5672\n' >"$tmp/good.conf"
# A server.conf with passwords that other users can read is refused, naming the line and the fix.
chmod 644 "$tmp/good.conf"
run 2 --config "$tmp/good.conf" check-config
grep -qF "$tmp/good.conf:3: [email] password is a secret, but users other than the owner" "$tmp/err" ||
    fail "readable secrets: $(cat "$tmp/err")"
grep -q 'hunter2\|s3cret' "$tmp/err" && fail "a secret was printed in the error"
chmod 600 "$tmp/good.conf"
NOTIFY_MESSAGING__TOPIC_EXCHANGE=pulp run 0 --config "$tmp/good.conf" check-config
grep -q '"topic_exchange": "pulp"' "$tmp/out" || fail "environment override not applied"
grep -q 'hunter2\|s3cret' "$tmp/out" && fail "a secret was printed"
grep -q '"password": "\*\*\*\*\*\*\*\*"' "$tmp/out" || fail "password not masked"

NOTIFY_CONFIG="$tmp/good.conf" NOTIFY_DELIVERY__WORKRS=2 run 2 check-config
grep -q "did you mean 'workers' (NOTIFY_DELIVERY__WORKERS)" "$tmp/err" || fail "env typo: $(cat "$tmp/err")"

# Output that cannot be written is a failure (exit 1), not a success.
printf '[store]\npath = %s/store/notify.db\n' "$tmp" >"$tmp/store.conf"
"$notify" --config "$tmp/store.conf" listener list >/dev/full 2>"$tmp/err"
code=$?
[ "$code" = 1 ] || fail "listener list > /dev/full: exit $code, expected 1"
grep -q "^notify: cannot write the output: No space left on device$" "$tmp/err" || fail "/dev/full: $(cat "$tmp/err")"
"$notify" --config "$tmp/store.conf" --json event types >/dev/full 2>/dev/null
code=$?
[ "$code" = 1 ] || fail "event types --json > /dev/full: exit $code, expected 1"

run 2 --no-such-flag
grep -q -- "--no-such-flag" "$tmp/err" || fail "unknown flag not named: $(cat "$tmp/err")"
[ "$failures" = 0 ] && echo "cli smoke: all checks passed"
exit "$failures"
