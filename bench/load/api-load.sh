#!/usr/bin/env bash
# The API over HTTP next to the store alone, same process, same database, same run:
# creates/s with N clients, a list of 10,000 ConfigMaps, watch latency.
#   bench/load/api-load.sh [--seconds 3] [--clients 1,16,64] [--list-objects 10000] [--list-repeats 5]
#                          [--watch-events 2000] [--watch-spacing-ms 1]
# The database lives in a temp dir on a real disk (/var/tmp, not tmpfs: fsync must be real), removed on exit.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

work="$(mktemp -d /var/tmp/api-load.XXXXXX)"
trap 'rm -rf "$work"' EXIT

dotnet build -c Release "$repo/bench/load/ApiLoad" -v quiet -nologo >/dev/null
dotnet "$repo/bench/load/ApiLoad/bin/Release/net10.0/ApiLoad.dll" --data "$work" "$@"
