#!/usr/bin/env bash
# The fault suite's fixture.
#   faults_fixture.sh start BROKER_DIR TABLE   start the suite's own RabbitMQ, empty the table
#   faults_fixture.sh stop BROKER_DIR TABLE    destroy the broker, print the table (also kept
#                                              as TABLE with .md for .tsv); fails when a row
#                                              lost anything or a case wrote no row
set -euo pipefail
cmd=$1 broker=$2 table=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
case "$cmd" in
    start)
        rm -f "$table" "${table%.tsv}.md"
        "$root/scripts/broker" destroy "$broker" 2>/dev/null || true
        "$root/scripts/broker" start "$broker"
        ;;
    stop)
        "$root/scripts/broker" destroy "$broker"
        [ -s "$table" ] || { echo "faults: no case recorded a row in $table" >&2; exit 1; }
        {
            printf '| handler | fault | fired | delivered | lost | duplicates | allowed duplicates | recovery (s) |\n'
            printf '|---|---|---:|---:|---:|---:|---:|---:|\n'
            awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$table"
        } | tee "${table%.tsv}.md"
        awk -F'\t' '$5 != 0 || $6 > $7 { bad = 1 } END { exit bad }' "$table" ||
            { echo "faults: a row lost events or has too many duplicates" >&2; exit 1; }
        ;;
    *) echo "usage: faults_fixture.sh start|stop BROKER_DIR TABLE" >&2; exit 2 ;;
esac
