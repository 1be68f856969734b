#!/usr/bin/env bash
# Footprint of the shipped binary: publishes the NativeAOT `appliance` (linux-x64, or the RID in $1)
# and prints
#   - the binary's size,
#   - milliseconds from exec to the first 200 on /readyz (median of 10 restarts on an existing data dir),
#   - resident memory (RSS) after 5 s idle.
# Readiness is polled with curl in a tight loop, so the figure includes up to one curl run (a few ms).
set -euo pipefail
cd "$(dirname "$0")/.."
rid=${1:-linux-x64}
runs=10
work=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill -KILL $pid 2>/dev/null; rm -rf "$work"' EXIT

dotnet publish src/Appliance -c Release -r "$rid" -o "$work/publish" --nologo >"$work/publish.log" 2>&1 ||
  { cat "$work/publish.log" >&2; exit 1; }
binary="$work/publish/appliance"

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    [[ -z $(ss -Htln "sport = :$port" 2>/dev/null) ]] && { echo "$port"; return; }
  done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

start_and_wait_ready() { # sets $ready_ms, ms from exec to the first 200 on /readyz; leaves $pid running
  local port=$1 start end
  start=$(now_ms)
  "$binary" server --listen "127.0.0.1:$port" --data-dir "$work/data" >>"$work/server.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null --cacert "$work/data/tls/ca.crt" "https://127.0.0.1:$port/readyz" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    (($(now_ms) - start < 30000)) || { echo "not ready within 30 s" >&2; exit 1; }
  done
  end=$(now_ms)
  ready_ms=$((end - start))
}

stop() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }

# First start generates the CA and serving certificate; the measured starts reuse them, as every restart does.
mkdir "$work/data"
start_and_wait_ready "$(free_port)"
first=$ready_ms
stop

times=()
for _ in $(seq $runs); do
  start_and_wait_ready "$(free_port)"
  times+=("$ready_ms")
  stop
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')

start_and_wait_ready "$(free_port)"
sleep 5
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
stop

size=$(stat -c %s "$binary")
echo "appliance footprint ($rid, $(uname -m) host, $(nproc) cores)"
printf '  binary size          %d bytes (%.1f MB)\n' "$size" "$(echo "$size / 1000000" | bc -l)"
printf '  exec to /readyz 200  %s ms median of %d restarts (runs: %s; first start with certificate generation: %s ms)\n' \
  "$median" "$runs" "${times[*]}" "$first"
printf '  RSS after 5 s idle   %d kB (%.1f MB)\n' "$rss_kb" "$(echo "$rss_kb / 1024" | bc -l)"
