#!/usr/bin/env bash
# Durable-write load: our store against Debian's etcd, same workload, same run; then watch fan-out.
#   bench/load/store-load.sh [--seconds 10] [--writers 1,16,64] [--watchers 1000] [--watch-events 20000]
# Both keep their data in one temp dir on the same disk (not tmpfs: fsync must be real).
# etcd runs on loopback only and is stopped by PID on exit.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if ! command -v etcd >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
fi

work="$(mktemp -d /var/tmp/store-load.XXXXXX)"
etcd_pid=""
cleanup() {
  if [[ -n "$etcd_pid" ]]; then kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=23790
etcd --name load --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
  --listen-peer-urls "http://127.0.0.1:$((port + 10))" --initial-advertise-peer-urls "http://127.0.0.1:$((port + 10))" \
  --initial-cluster "load=http://127.0.0.1:$((port + 10))" \
  --quota-backend-bytes 8589934592 --log-level error >"$work/etcd.log" 2>&1 &
etcd_pid=$!

healthy() { curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '"health":"true"'; }
for _ in $(seq 1 100); do
  if healthy; then break; fi
  sleep 0.1
done
healthy || { echo "etcd did not become healthy:"; cat "$work/etcd.log"; exit 1; }

dotnet build -c Release "$repo/bench/load/StoreLoad" -v quiet -nologo >/dev/null
dotnet "$repo/bench/load/StoreLoad/bin/Release/net10.0/StoreLoad.dll" \
  --etcd "http://127.0.0.1:$port" --data "$work/ours" "$@"
