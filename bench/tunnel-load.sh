#!/usr/bin/env bash
# Load test of the agent tunnel against a direct cluster, in one run on one machine (issue 7).
#
# Three processes of the shipped binary on loopback, set up as a user does it:
#   A      `appliance server`, the management server
#   B      `appliance server`, standing in for the downstream kube-apiserver
#   agent  `appliance agent` for B, holding the tunnel to A (the import manifest applied to B with kubectl)
# B is registered on A twice: cluster `tunnel` (agent) and cluster `direct` (spec.type direct: B's endpoint,
# CA and a TokenRequest token of the impersonator service account the same manifest created).
#
# The request is what `kubectl get configmap cm-1 -n bench -o json` sends: one ConfigMap (~0.85 KB of JSON)
# out of 20 in namespace bench, as A's admin (the token in A's admin.kubeconfig: the admin may use every
# cluster; B lets that user view everything through a ClusterRoleBinding the script makes, as A pushes down
# role-template bindings only), measured with wrk (2 threads, keep-alive, TLS on every hop):
#   B          wrk -> B                                  (the downstream alone, asked what the proxy asks it:
#                                                         the impersonator's token impersonating the admin)
#   direct     wrk -> A's proxy -> B                     (a direct cluster)
#   tunnel     wrk -> A's proxy -> tunnel -> agent -> B  (an agent cluster)
# Each after a warm-up run of its own. Prints req/s, p50, p99, the CPU time each process (A, agent, B) spent
# per request (from /proc, so background work during the run counts too: the idle line before the table says
# how much there is), and the ratios tunnel/direct. Every wait is bounded; every process it starts is stopped
# by PID on exit, failure or Ctrl-C (their last log lines are printed on failure), and the temporary
# directory removed.
#
# Usage: bench/tunnel-load.sh               (as root it installs Debian's wrk if missing)
#   TUNNEL_LOAD_CONNECTIONS=64  wrk connections          TUNNEL_LOAD_SECONDS=10  measured seconds per target
#   TUNNEL_LOAD_WARMUP=3        warm-up seconds per target
#   APPLIANCE_PUBLISH_DIR=DIR   reuse a publish directory holding `appliance` (else the NativeAOT binary is
#                               published from this tree into a temporary directory: ~3 min on 2 cores)
#   TUNNEL_LOAD_KEEP=1          keep the temporary directory (data dirs, logs, wrk output)
#   TUNNEL_LOAD_PERF=1          also `perf record -g` A, the agent and B during each measured run, into
#                               logs/{B,direct,tunnel}.perf (implies KEEP; the figures are then not comparable).
#                               For symbols, use a publish dir holding appliance.dbg too (copy both from
#                               src/Appliance/bin/Release/net10.0/linux-x64/native/); then e.g.
#                               perf report -i DIR/logs/tunnel.perf --comm appliance --no-children --sort dso,symbol
set -euo pipefail

CONNECTIONS="${TUNNEL_LOAD_CONNECTIONS:-64}"
DURATION="${TUNNEL_LOAD_SECONDS:-10}"
WARMUP="${TUNNEL_LOAD_WARMUP:-3}"
THREADS=2
CONFIGMAPS=20
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/tunnel-load.XXXXXX)"
PIDS=()

stop_pid() { # pid: SIGTERM, then SIGKILL after 10 s
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  # The agent first, so it does not log the servers going away as failures.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  if [ "$status" -ne 0 ]; then
    for log in "$WORK"/logs/*.log; do
      [ -f "$log" ] || continue
      echo "--- last lines of $(basename "$log")" >&2
      tail -n 20 "$log" >&2
    done
  fi
  if [ "${TUNNEL_LOAD_KEEP:-0}" = "1" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "tunnel-load: $*" >&2; exit 1; }

if ! command -v wrk >/dev/null; then
  [ "$(id -u)" = 0 ] || die "missing wrk (apt-get install wrk)"
  apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; } || die "cannot install wrk"
fi
for tool in curl jq kubectl openssl awk; do
  command -v "$tool" >/dev/null || die "missing $tool"
done

mkdir -p "$WORK/logs" "$WORK/home"
if [ "${TUNNEL_LOAD_PERF:-0}" = "1" ]; then
  command -v perf >/dev/null || die "TUNNEL_LOAD_PERF=1 needs perf"
  TUNNEL_LOAD_KEEP=1
fi

# --- the binary: as it ships (NativeAOT), published from this tree unless one is given -------------------
if [ -n "${APPLIANCE_PUBLISH_DIR:-}" ]; then
  BIN="$APPLIANCE_PUBLISH_DIR/appliance"
else
  echo "publishing the NativeAOT binary (about 3 minutes)..." >&2
  dotnet publish "$ROOT/src/Appliance" -c Release -r linux-x64 -o "$WORK/publish" --nologo >"$WORK/logs/publish.log" 2>&1 \
    || { tail -n 30 "$WORK/logs/publish.log" >&2; die "publish failed"; }
  BIN="$WORK/publish/appliance"
fi
[ -x "$BIN" ] || die "no executable at $BIN"

# --- A and B: port 0, the address read from the log line, then /readyz --------------------------------------
start_server() { # name -> sets ${name}_URL, ${name}_PID; data in $WORK/name
  local name="$1" url="" pid
  mkdir -p "$WORK/$name"
  env -u NOTIFY_SOCKET "$BIN" server --listen 127.0.0.1:0 --data-dir "$WORK/$name" >"$WORK/logs/$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 600); do # 60 s
    url="$(grep -o -m1 'Listening on https://[^ ]*' "$WORK/logs/$name.log" 2>/dev/null | sed 's/^Listening on //' || true)"
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || die "server $name exited"
    sleep 0.1
  done
  [ -n "$url" ] || die "server $name did not listen within 60 s"
  url="${url%/}"
  for _ in $(seq 1 300); do # 30 s
    if curl -sf -o /dev/null --cacert "$WORK/$name/tls/ca.crt" "$url/readyz" && [ -s "$WORK/$name/admin.kubeconfig" ]; then
      printf -v "${name}_URL" '%s' "$url"
      printf -v "${name}_PID" '%s' "$pid"
      return 0
    fi
    sleep 0.1
  done
  die "server $name not ready within 30 s"
}
start_server a
start_server b
admin_token() { awk '/^    token: / { print $2; exit }' "$WORK/$1/admin.kubeconfig"; }
A_TOKEN="$(admin_token a)"
B_TOKEN="$(admin_token b)"
[ -n "$A_TOKEN" ] && [ -n "$B_TOKEN" ] || die "no admin token in admin.kubeconfig"

api() { # a|b METHOD PATH [JSON]: prints the body; fails on a non-2xx status
  local name="$1" method="$2" path="$3" body="${4:-}" url token
  if [ "$name" = a ]; then url="$a_URL" token="$A_TOKEN"; else url="$b_URL" token="$B_TOKEN"; fi
  local args=(-sS --max-time 20 --cacert "$WORK/$name/tls/ca.crt" -X "$method" -H "Authorization: Bearer $token")
  [ -n "$body" ] && args+=(-H "Content-Type: application/json" --data-binary "$body")
  local out
  out="$(curl "${args[@]}" -w '\n%{http_code}' "$url$path")" || return 1
  local code="${out##*$'\n'}"
  out="${out%$'\n'*}"
  if [ "${code:0:1}" != 2 ]; then echo "$method $path: $code $out" >&2; return 1; fi
  printf '%s' "$out"
}

poll() { # seconds description command...: runs the command every 0.2 s until it succeeds
  local seconds="$1" what="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what: not within $seconds s"
    sleep 0.2
  done
}

# --- downstream objects: namespace bench with 20 ConfigMaps of ~0.7 KB ----------------------------------------
api b POST /api/v1/namespaces '{"metadata":{"name":"bench"}}' >/dev/null
for i in $(seq 1 "$CONFIGMAPS"); do
  api b POST /api/v1/namespaces/bench/configmaps "$(jq -nc --arg name "cm-$i" '{
    metadata: {name: $name, labels: {app: "bench", tier: "backend"}, annotations: {"bench.appliance.io/owner": "tunnel-load"}},
    data: {
      "application.properties": "server.port=8080\nlogging.level.root=INFO\nspring.datasource.url=jdbc:postgresql://db.bench.svc:5432/app\nspring.datasource.username=app\nmanagement.endpoints.web.exposure.include=health,info,metrics\n",
      "feature-flags.json": "{\"newCheckout\":true,\"darkMode\":false,\"betaSearch\":true,\"maxItemsPerPage\":50,\"regions\":[\"eu-west\",\"us-east\",\"ap-south\"]}",
      "LOG_FORMAT": "json", "CACHE_TTL_SECONDS": "300", "UPSTREAM_TIMEOUT": "15s"
    }}')" >/dev/null
done

# --- cluster `tunnel`: registered the way a user does it, the agent run outside the cluster ------------------
api a POST /apis/management.appliance.io/v1/clusters '{"metadata":{"name":"tunnel"},"spec":{"type":"agent","displayName":"bench: through the agent tunnel"}}' >/dev/null
registration_token() { api a GET /api/v1/namespaces/appliance-system/secrets/registration-tunnel | jq -er '.data.token | @base64d'; }
poll 30 "registration token of cluster tunnel" registration_token
REGISTRATION_TOKEN="$(registration_token)"
curl -sSf --max-time 20 --cacert "$WORK/a/tls/ca.crt" "$a_URL/v3/import/$REGISTRATION_TOKEN.yaml" -o "$WORK/import.yaml"
CA_CHECKSUM="$(grep -oE '"--ca-checksum", "[0-9a-f]{64}"' "$WORK/import.yaml" | grep -oE '[0-9a-f]{64}')"
[ -n "$CA_CHECKSUM" ] || die "no --ca-checksum in the import manifest"
HOME="$WORK/home" timeout 60 kubectl --kubeconfig "$WORK/b/admin.kubeconfig" --request-timeout=20s apply -f "$WORK/import.yaml" >"$WORK/logs/kubectl-apply.out" 2>&1 \
  || { cat "$WORK/logs/kubectl-apply.out" >&2; die "kubectl apply of the import manifest failed"; }
env -u NOTIFY_SOCKET "$BIN" agent --server "$a_URL" --token "$REGISTRATION_TOKEN" --kubeconfig "$WORK/b/admin.kubeconfig" \
  --ca-checksum "$CA_CHECKSUM" >"$WORK/logs/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")

# --- cluster `direct`: the same B, its endpoint, CA and a token of the impersonator the manifest created -----
IMPERSONATOR_TOKEN="$(api b POST /api/v1/namespaces/appliance-system/serviceaccounts/appliance-impersonator/token \
  '{"spec":{"expirationSeconds":7200}}' | jq -er .status.token)"
api a POST /api/v1/namespaces/appliance-system/secrets \
  "$(jq -nc --arg token "$IMPERSONATOR_TOKEN" '{metadata: {name: "direct-impersonator"}, stringData: {token: $token}}')" >/dev/null
api a POST /apis/management.appliance.io/v1/clusters "$(jq -nc --arg endpoint "$b_URL" --rawfile ca "$WORK/b/tls/ca.crt" '{
  metadata: {name: "direct"},
  spec: {type: "direct", displayName: "bench: direct", direct: {apiEndpoint: $endpoint, caBundle: $ca,
    tokenSecretRef: {namespace: "appliance-system", name: "direct-impersonator"}}}}')" >/dev/null

# --- downstream rights: A's admin, impersonated by both clusters, may view everything on B ---------------------
# (A pushes down only role-template bindings, and a global admin has none: B would answer 403 otherwise.)
A_ADMIN="$(api a GET /apis/management.appliance.io/v1/users | jq -er '[.items[] | select(.username == "admin")][0].metadata.name')"
api b POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings "$(jq -nc --arg user "$A_ADMIN" '{
  metadata: {name: "bench-admin-view"}, roleRef: {apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view"},
  subjects: [{apiGroup: "rbac.authorization.k8s.io", kind: "User", name: $user}]}')" >/dev/null

# --- both reachable through A's proxy, answering what B answers ------------------------------------------------
connected() { # cluster: Connected=True and Ready=True in its status
  api a GET "/apis/management.appliance.io/v1/clusters/$1" \
    | jq -e '[.status.conditions[]? | select(.type == "Connected" or .type == "Ready") | select(.status == "True")] | length == 2'
}
poll 60 "cluster tunnel Connected=True Ready=True (agent log: $WORK/logs/agent.log)" connected tunnel
OBJECT="/api/v1/namespaces/bench/configmaps/cm-1"
poll 30 "GET $OBJECT through cluster tunnel" api a GET "/k8s/clusters/tunnel$OBJECT"
poll 30 "GET $OBJECT through cluster direct" api a GET "/k8s/clusters/direct$OBJECT"
# The baseline asks B what the proxies ask it: the impersonator's token, impersonating A's admin.
B_HEADERS=(-H "Authorization: Bearer $IMPERSONATOR_TOKEN" -H "Impersonate-User: $A_ADMIN" -H "Impersonate-Group: system:authenticated")
body_b="$(curl -sSf --max-time 20 --cacert "$WORK/b/tls/ca.crt" "${B_HEADERS[@]}" "$b_URL$OBJECT")"
[ "$body_b" = "$(api a GET "/k8s/clusters/direct$OBJECT")" ] || die "the direct cluster's body differs from B's"
[ "$body_b" = "$(api a GET "/k8s/clusters/tunnel$OBJECT")" ] || die "the tunnel cluster's body differs from B's"
BODY_BYTES=${#body_b}

# --- measure ------------------------------------------------------------------------------------------------------
# wrk prints latency percentiles as e.g. "50%  1.23ms"; normalized to microseconds.
to_us() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v*1000 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000000 } }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; } # utime + stime, in clock ticks
TICKS_PER_SECOND="$(getconf CLK_TCK)"

run() { # name url header...
  local name="$1" url="$2"; shift 2
  local args=(-t"$THREADS" -c"$CONNECTIONS" --latency --timeout 5s -H "Accept: application/json" "$@")
  wrk "${args[@]}" -d"${WARMUP}s" "$url" >"$WORK/logs/$name-warmup.wrk"
  local a0 b0 g0 a1 b1 g1
  a0="$(cpu_ticks "$a_PID")" b0="$(cpu_ticks "$b_PID")" g0="$(cpu_ticks "$AGENT_PID")"
  local perf_pid=""
  if [ "${TUNNEL_LOAD_PERF:-0}" = "1" ]; then
    perf record -q -F 499 -g -p "$a_PID,$AGENT_PID,$b_PID" -o "$WORK/logs/$name.perf" -- sleep "$DURATION" 2>/dev/null &
    perf_pid=$!
    PIDS+=("$perf_pid")
  fi
  wrk "${args[@]}" -d"${DURATION}s" "$url" >"$WORK/logs/$name.wrk"
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" 2>/dev/null || true
    local kept=() pid
    for pid in "${PIDS[@]}"; do [ "$pid" = "$perf_pid" ] || kept+=("$pid"); done
    PIDS=("${kept[@]}")
  fi
  a1="$(cpu_ticks "$a_PID")" b1="$(cpu_ticks "$b_PID")" g1="$(cpu_ticks "$AGENT_PID")"
  local requests rps p50 p99 errors
  requests="$(awk '/requests in/ { print $1; exit }' "$WORK/logs/$name.wrk")"
  rps="$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/logs/$name.wrk")"
  p50="$(awk '$1 == "50%" { print $2 }' "$WORK/logs/$name.wrk" | to_us)"
  p99="$(awk '$1 == "99%" { print $2 }' "$WORK/logs/$name.wrk" | to_us)"
  errors="$(awk '/Non-2xx|Socket errors/ { print }' "$WORK/logs/$name.wrk" | tr '\n' ' ')"
  # CPU microseconds per request in each process (the machine's cost of one GET, wherever it is spent).
  local per_request
  per_request="$(awk -v r="$requests" -v t="$TICKS_PER_SECOND" -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v g=$((g1 - g0)) \
    'BEGIN { f = 1e6 / t / (r > 0 ? r : 1); printf "%5.0f %5.0f %5.0f", a * f, g * f, b * f }')"
  printf '%-8s %10.0f %9.0f %9.0f   %s  %s\n' "$name" "$rps" "$p50" "$p99" "$per_request" "$errors"
  echo "$name $rps $p50 $p99 $per_request" >>"$WORK/results"
}

# What the processes burn with no load at all (controllers, probes, pings): it is in every figure below too.
idle_a0="$(cpu_ticks "$a_PID")" idle_b0="$(cpu_ticks "$b_PID")" idle_g0="$(cpu_ticks "$AGENT_PID")"
sleep 3
idle_a1="$(cpu_ticks "$a_PID")" idle_b1="$(cpu_ticks "$b_PID")" idle_g1="$(cpu_ticks "$AGENT_PID")"
IDLE="$(awk -v t="$TICKS_PER_SECOND" -v a=$((idle_a1 - idle_a0)) -v b=$((idle_b1 - idle_b0)) -v g=$((idle_g1 - idle_g0)) \
  'BEGIN { f = 100 / t / 3; printf "A %.0f%%, agent %.0f%%, B %.0f%% of a core", a * f, g * f, b * f }')"

echo
echo "wrk: $CONNECTIONS connections, ${DURATION}s (after ${WARMUP}s warm-up), $THREADS threads, $(nproc) cores;" \
  "GET of one ConfigMap, $BODY_BYTES-byte body; $(basename "$BIN") $("$BIN" version 2>/dev/null | head -n 1)"
echo "idle CPU before the runs (3 s, no requests): $IDLE"
printf '%-8s %10s %9s %9s   %s\n' target "req/s" "p50 us" "p99 us" "CPU us/request: A agent  B"
run B "$b_URL$OBJECT" "${B_HEADERS[@]}"
run direct "$a_URL/k8s/clusters/direct$OBJECT" -H "Authorization: Bearer $A_TOKEN"
run tunnel "$a_URL/k8s/clusters/tunnel$OBJECT" -H "Authorization: Bearer $A_TOKEN"

kill -0 "$AGENT_PID" 2>/dev/null || die "the agent exited during the run"
awk '
  { rps[$1] = $2; p50[$1] = $3; p99[$1] = $4; cpu[$1] = $5 + $6 + $7 }
  END {
    printf "\ntunnel / direct: req/s %.2fx, p99 %.2fx, p50 %.2fx\n", rps["tunnel"] / rps["direct"], p99["tunnel"] / p99["direct"], p50["tunnel"] / p50["direct"]
    # Steadier than req/s on a shared machine: what one GET costs the machine, all three processes together.
    printf "CPU per request, A + agent + B: direct %.0f us, tunnel %.0f us (%.2fx)\n", cpu["direct"], cpu["tunnel"], cpu["tunnel"] / cpu["direct"]
    printf "direct / B:      req/s %.2fx;  tunnel / B: req/s %.2fx\n", rps["direct"] / rps["B"], rps["tunnel"] / rps["B"]
  }' "$WORK/results"
