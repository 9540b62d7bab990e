#!/usr/bin/env bash
# The installed systemd unit passes `systemd-analyze verify`: its ExecStart (the installed
# binary, absent in a build tree) pointed at the built one, everything else as installed.
# Usage: verify_unit.sh BUILT_UNIT BUILT_NOTIFY INSTALL_BINDIR
set -euo pipefail
unit=$1 binary=$2 bindir=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
grep -q "^ExecStart=$bindir/notify serve$" "$unit" || { echo "FAIL: ExecStart is not $bindir/notify serve" >&2; exit 1; }
grep -q '^Type=notify$' "$unit" || { echo "FAIL: not Type=notify" >&2; exit 1; }
sed "s|^ExecStart=$bindir/notify |ExecStart=$binary |" "$unit" >"$dir/notify.service"
systemd-analyze verify "$dir/notify.service"
echo "notify.service verified"
