#!/usr/bin/env bash
# Load test of the auth proxy against nginx, in one run on one machine (issue 6: req/s >= 1.2x nginx's, p99 no
# worse). Three kinds of process on loopback, as in production a reverse proxy sits in front of a separate
# kube-apiserver:
#   upstream   an nginx instance of its own serving a fixed ~500-byte PodList JSON (plain HTTP, keep-alive),
#              standing in for kube-apiserver
#   nginx      a second nginx instance: TLS reverse proxy doing the equivalent header rewrite, pooled keep-alive
#              connections to the upstream (the alternative people would put at /k8s/clusters/{id}/)
#   appliance  a small load host built from this tree: Kestrel TLS + Appliance.Proxy, configured as the product
#              ships (WebApplication.CreateSlimBuilder, workstation non-concurrent GC, NativeAOT, and the same
#              SocketThreadScheduling calls as ApplianceServer: UseInlineSocketScheduling, LeaveSocketThread)
# Both nginx instances run `worker_processes auto`. Measured with wrk (2 threads, keep-alive; bounded: 64
# connections, 10 s per run, each run after a 3 s warm-up of its own):
#   direct     wrk -> upstream                                   (the ceiling; once)
#   nginx      wrk -> nginx proxy -> upstream                    (LOAD_RUNS times,
#   appliance  wrk -> load host   -> upstream                     interleaved: nginx, appliance, nginx, ...)
#   kestrel    wrk -> load host answering the same body itself   (once each, for reading the figures: the
#   app-mem    wrk -> load host's proxy -> an in-process upstream  gap to "appliance" is the upstream socket hop)
# Each run prints req/s, p50, p99 and the CPU time spent per request (utime + stime from /proc, clock ticks of
# 10 ms) in: the proxy (the nginx proxy's master and workers, or the load host), the upstream nginx's master and
# workers, wrk itself, the whole machine (/proc/stat, all cores) and "rest" = machine - proxy - upstream - wrk
# (kernel time not charged to a process, and everyone else's work on a shared machine). The idle line before the
# table says how busy the machine was before anything ran. The load host's rows also say what share of its CPU
# ran on the socket-engine threads (".NET Sockets": the inline scheduling in effect; the kestrel row's requests
# leave them, as the API's do) and, for the proxy runs, how many upstream connections it dialled. Then the
# medians of each column over the nginx and appliance runs, the per-pair ratios, and the final ratios
# appliance / nginx from the medians: req/s and p99 (the targets), p50, and the proxy's CPU per request: the
# steadiest figure on a shared machine, where others' work moves req/s and latency from run to run (it still
# moves a little: batching per wake-up, caches), so compare figures only within one invocation.
# Needs Debian's nginx and wrk (apt-get install nginx wrk), curl, openssl and the .NET SDK. Every process it
# starts is stopped by PID on exit, failure or Ctrl-C, and the temporary directory removed.
#
# Usage: bench/proxy-load.sh [connections] [seconds]        (default 64 10)
#   LOAD_RUNS=3    nginx/appliance pairs, interleaved (the final ratios use the medians)
#   LOAD_WARMUP=3  warm-up seconds before every run
#   LOAD_AOT=0     build the load host for the JIT (quicker: ~20 s instead of ~1-2 min of NativeAOT publish;
#                  the default is NativeAOT, as the product ships)
#   LOAD_POOL=32   idle upstream connections the load host's proxy keeps (the product's default)
#   LOAD_KEEP=1    keep the temporary directory (configs, logs, wrk output)
set -euo pipefail

CONNECTIONS="${1:-64}"
DURATION="${2:-10}"
RUNS="${LOAD_RUNS:-3}"
WARMUP="${LOAD_WARMUP:-3}"
THREADS=2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/proxy-load.XXXXXX)"
UPSTREAM_PORT=18081
NGINX_PORT=18443
APPLIANCE_PORT=18444
TOKEN="token-load:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmw"
SA_TOKEN="eyJhbGciOiJSUzI1NiJ9.load-test-service-account.c2ln"
PATH_UNDER_TEST="/api/v1/namespaces/default/pods?limit=500"
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${LOAD_KEEP:-0}" = "1" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
  echo "proxy-load: $*" >&2
  local log
  for log in "$WORK"/logs/*.log "$WORK"/upstream/logs/error.log "$WORK"/proxy/logs/error.log; do
    [ -s "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
  done
  exit 1
}

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "LOAD_RUNS must be a positive number" >&2; exit 1; }
for tool in nginx wrk openssl dotnet curl pgrep; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install nginx wrk)" >&2; exit 1; }
done
mkdir -p "$WORK/logs"
chmod 755 "$WORK" "$WORK/logs"

# --- the appliance proxy: Kestrel + the proxy library, built from this tree into the temp directory ----------
# First, while nothing is being measured. --artifacts-path keeps every output (the referenced src/ projects'
# obj and bin too) in the temporary directory, away from concurrent builds of the tree.
mkdir -p "$WORK/host"
cat > "$WORK/host/LoadHost.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <InvariantGlobalization>true</InvariantGlobalization>
    <!-- As the product ships: workstation, non-concurrent GC. -->
    <ServerGarbageCollector>false</ServerGarbageCollector>
    <ConcurrentGarbageCollection>false</ConcurrentGarbageCollection>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$ROOT/src/Appliance.Proxy/Appliance.Proxy.csproj" />
    <!-- The same in-memory upstream and seam doubles as the proxy tests and benchmarks. -->
    <Compile Include="$ROOT/tests/Shared/InMemoryUpstream.cs" />
  </ItemGroup>
</Project>
EOF
cat > "$WORK/host/Program.cs" <<'EOF'
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Appliance.Proxy;
using Appliance.Proxy.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// As the product (ApplianceServer): the proxy runs on the socket threads, the other requests leave them.
// First, before any socket operation: the runtime reads the inline-completions switch once.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseInlineSocketScheduling();
builder.Logging.ClearProviders();

int port = int.Parse(args[0]);
int upstreamPort = int.Parse(args[1]);
byte[] token = Encoding.ASCII.GetBytes(args[2]);
X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(args[3], args[4]);
certificate = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
if (!ProxyCaller.TryCreate("u-load", "Load Test", "local://u-load", "token-load", [], out ProxyCaller? caller))
{
    throw new InvalidOperationException("caller");
}

var clusters = new ClusterDirectory();
var dialer = new TcpDialer(upstreamPort);
clusters.Set(new ClusterUpstream("c1", dialer, "10.0.0.5:6443", args[5], maxIdleConnections: int.Parse(Environment.GetEnvironmentVariable("LOAD_POOL") ?? "32")));
byte[] memoryResponse = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {new FileInfo(args[6]).Length}\r\n\r\n")
    .Concat(File.ReadAllBytes(args[6])).ToArray();
clusters.Set(new ClusterUpstream("mem", new InMemoryDialer(memoryResponse), "10.0.0.5:6443", args[5]));
await using var proxy = new ProxyServer(new ProxyOptions(), new StaticAuthenticator(token, caller), clusters, new NullAuditSink());
byte[] fixedBody = File.ReadAllBytes(args[6]);

builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
{
    listen.Protocols = HttpProtocols.Http1;
    listen.UseHttps(certificate);
    listen.UseApplianceProxy(proxy);
}));
WebApplication app = builder.Build();
app.LeaveSocketThread();
app.MapGet("/healthz", () => "ok");
app.MapGet("/fixed", () => Results.Bytes(fixedBody, "application/json"));
app.MapGet("/dials", () => dialer.Dials.ToString(System.Globalization.CultureInfo.InvariantCulture));
await app.RunAsync();

sealed class TcpDialer(int port) : IUpstreamDialer
{
    private int _dials;

    public int Dials => Volatile.Read(ref _dials);

    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _dials);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        return new NetworkStream(socket, ownsSocket: true);
    }
}
EOF
BUILD_ARGS=(-c Release -o "$WORK/host/bin" --artifacts-path "$WORK/host/artifacts" -nologo -v quiet)
if [ "${LOAD_AOT:-1}" = "0" ]; then
  BUILD_KIND="JIT"
  echo "building the load host (JIT)..." >&2
  dotnet build "$WORK/host/LoadHost.csproj" "${BUILD_ARGS[@]}" >"$WORK/logs/build.log" 2>&1 \
    || { tail -n 40 "$WORK/logs/build.log" >&2; die "build failed"; }
  HOST=(dotnet "$WORK/host/bin/LoadHost.dll")
else
  BUILD_KIND="NativeAOT"
  echo "publishing the load host with NativeAOT (1-2 min)..." >&2
  dotnet publish "$WORK/host/LoadHost.csproj" "${BUILD_ARGS[@]}" -r linux-x64 -p:PublishAot=true >"$WORK/logs/build.log" 2>&1 \
    || { tail -n 40 "$WORK/logs/build.log" >&2; die "publish failed"; }
  HOST=("$WORK/host/bin/LoadHost")
fi
mv "$WORK/logs/build.log" "$WORK/build.txt" # not a log to show on a later failure

# --- a ~500-byte PodList, the same body everywhere -------------------------------------------------------
mkdir -p "$WORK/www/api/v1/namespaces/default"
chmod 755 "$WORK/www"
cat > "$WORK/www/api/v1/namespaces/default/pods" <<'JSON'
{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"123456"},"items":[{"metadata":{"name":"web-0","namespace":"default","uid":"6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b","resourceVersion":"123450","creationTimestamp":"2026-11-24T10:00:00Z","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}],"nodeName":"node-1"},"status":{"phase":"Running","podIP":"10.42.0.15","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"web","ready":true,"restartCount":0}]}}]}
JSON

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
chmod 644 "$WORK/key.pem" # read by the master only, but it may be an unprivileged user

# --- nginx: two instances (the upstream, and the reverse proxy in front of it), each with its own master -----
nginx_conf() { # name server-block: writes $WORK/name/nginx.conf
  local dir="$WORK/$1"
  mkdir -p "$dir/logs" "$dir/tmp"
  # nginx workers run as an unprivileged user when started by root: they must be able to read and write here.
  chmod 755 "$dir" "$dir/logs"
  chmod 1777 "$dir/tmp"
  cat > "$dir/nginx.conf" <<EOF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 1000000;
$2
}
EOF
}
nginx_conf upstream "
  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    root $WORK/www;
    default_type application/json;
    location / { try_files \$uri =404; }
  }"
nginx_conf proxy "
  upstream cluster_c1 {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive 64;
    keepalive_requests 1000000; # as the appliance's pool: no reconnect every 1,000 requests
  }
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    location /k8s/clusters/c1/ {
      # The equivalent rewrite: client identity headers cleared, ours set, streaming (watch) unbuffered.
      proxy_pass http://cluster_c1/;
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_set_header Connection \"\";
      proxy_set_header Host 10.0.0.5:6443;
      proxy_set_header Authorization \"Bearer $SA_TOKEN\";
      proxy_set_header Cookie \"\";
      proxy_set_header Impersonate-User \"u-load\";
      proxy_set_header Impersonate-Group \"system:authenticated\";
      proxy_set_header Impersonate-Uid \"\";
      proxy_set_header Impersonate-Extra-principalid \"local://u-load\";
      proxy_set_header Impersonate-Extra-username \"Load Test\";
      proxy_set_header Impersonate-Extra-requesttokenid \"token-load\";
      proxy_set_header X-Remote-User \"\";
      proxy_set_header X-Remote-Group \"\";
    }
  }"
# daemon off: $! is the master; its workers are its children.
nginx -c "$WORK/upstream/nginx.conf" -p "$WORK/upstream" >"$WORK/logs/nginx-upstream.log" 2>&1 &
UPSTREAM_PID=$!
PIDS+=("$UPSTREAM_PID")
nginx -c "$WORK/proxy/nginx.conf" -p "$WORK/proxy" >"$WORK/logs/nginx-proxy.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")

"${HOST[@]}" "$APPLIANCE_PORT" "$UPSTREAM_PORT" "$TOKEN" "$WORK/cert.pem" "$WORK/key.pem" "$SA_TOKEN" \
  "$WORK/www/api/v1/namespaces/default/pods" >"$WORK/logs/appliance.log" 2>&1 &
APPLIANCE_PID=$!
PIDS+=("$APPLIANCE_PID")

wait_for() { # pid url [curl args...]
  local pid="$1" url="$2"; shift 2
  for _ in $(seq 1 100); do # 10 s
    if curl -ksf --max-time 2 -o /dev/null "$@" "$url"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || die "exited before answering $url"
    sleep 0.1
  done
  die "not reachable within 10 s: $url"
}
wait_for "$UPSTREAM_PID" "http://127.0.0.1:$UPSTREAM_PORT$PATH_UNDER_TEST"
wait_for "$NGINX_PID" "https://127.0.0.1:$NGINX_PORT/k8s/clusters/c1$PATH_UNDER_TEST"
wait_for "$APPLIANCE_PID" "https://127.0.0.1:$APPLIANCE_PORT/k8s/clusters/c1$PATH_UNDER_TEST" -H "Authorization: Bearer $TOKEN"

# Same body through all three, or the comparison means nothing.
body_direct="$(curl -ks --max-time 5 "http://127.0.0.1:$UPSTREAM_PORT$PATH_UNDER_TEST")"
[ "$body_direct" = "$(curl -ks --max-time 5 "https://127.0.0.1:$NGINX_PORT/k8s/clusters/c1$PATH_UNDER_TEST")" ] \
  || die "nginx body differs"
[ "$body_direct" = "$(curl -ks --max-time 5 -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$APPLIANCE_PORT/k8s/clusters/c1$PATH_UNDER_TEST")" ] \
  || die "appliance body differs"

# --- measure ------------------------------------------------------------------------------------------------
# wrk prints latency percentiles as e.g. "50%  1.23ms"; normalize to microseconds.
to_us() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v*1000 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000000 } }'; }
TICKS_PER_SECOND="$(getconf CLK_TCK)"
# utime + stime of a process (all its threads) and of its reaped children (cutime + cstime), plus the same for
# each live child, recursively (an nginx master and its workers), in clock ticks.
tree_ticks() { # pid
  local pid="$1" stat child total f
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || { echo 0; return; }
  stat="${stat##*) }" # after the command name, which may hold spaces
  read -ra f <<<"$stat" # f[0] is field 3 (state): utime, stime, cutime, cstime are fields 14-17
  total=$(( f[11] + f[12] + f[13] + f[14] ))
  for child in $(pgrep -P "$pid" || true); do total=$(( total + $(tree_ticks "$child") )); done
  echo "$total"
}
# The load host's ".NET Sockets" threads (the socket engine's): with inline scheduling the proxy's work runs on
# them, so their share of the host's CPU shows the scheduling the product ships is in effect.
socket_thread_ticks() { # pid
  local task stat total=0 f
  for task in /proc/"$1"/task/*; do
    [ "$(cat "$task/comm" 2>/dev/null)" = ".NET Sockets" ] || continue
    stat="$(cat "$task/stat" 2>/dev/null)" || continue
    stat="${stat##*) }"
    read -ra f <<<"$stat"
    total=$(( total + f[11] + f[12] ))
  done
  echo "$total"
}
dials() { curl -ks --max-time 5 "https://127.0.0.1:$APPLIANCE_PORT/dials"; }
machine_ticks() { # busy (user nice system irq softirq steal) and all, every core, in clock ticks
  awk '$1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6; exit }' /proc/stat
}

run() { # name proxy-pid url [header]: one warm-up, one measured run, one line of output and of results
  local name="$1" proxy_pid="$2" url="$3" header="${4:-}"
  local args=(-t"$THREADS" -c"$CONNECTIONS" --latency --timeout 5s)
  [ -n "$header" ] && args+=(-H "$header")
  wrk "${args[@]}" -d"${WARMUP}s" "$url" >"$WORK/logs/$name-warmup.wrk" # JIT tiers, TLS sessions, pools
  local p0=0 p1=0 u0 u1 m0 m1 wrk_cpu s0 s1 d0 d1 notes=""
  if [ "$proxy_pid" = "$APPLIANCE_PID" ]; then s0="$(socket_thread_ticks "$proxy_pid")" d0="$(dials)"; fi
  [ -n "$proxy_pid" ] && p0="$(tree_ticks "$proxy_pid")"
  u0="$(tree_ticks "$UPSTREAM_PID")"
  read -r m0 _ < <(machine_ticks)
  local TIMEFORMAT='%3U %3S' # wrk's own user and system seconds, from the shell's rusage of its child
  { time wrk "${args[@]}" -d"${DURATION}s" "$url" >"$WORK/logs/$name.wrk" 2>&1; } 2>"$WORK/logs/$name.time"
  read -r m1 _ < <(machine_ticks)
  u1="$(tree_ticks "$UPSTREAM_PID")"
  [ -n "$proxy_pid" ] && p1="$(tree_ticks "$proxy_pid")"
  if [ "$proxy_pid" = "$APPLIANCE_PID" ]; then
    s1="$(socket_thread_ticks "$proxy_pid")" d1="$(dials)"
    notes="$(awk -v s=$((s1 - s0)) -v p=$((p1 - p0)) 'BEGIN { printf "%.0f%% on socket threads", (p > 0 ? 100 * s / p : 0) }')"
    if [[ "$name" == appliance* ]]; then notes+=", $((d1 - d0)) upstream dials"; fi
  fi
  wrk_cpu="$(awk '{ print ($1 + $2) * 1e6 }' "$WORK/logs/$name.time")"
  local requests rps p50 p99 errors
  requests="$(awk '/ requests in / { print $1; exit }' "$WORK/logs/$name.wrk")"
  rps="$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/logs/$name.wrk")"
  p50="$(awk '$1 == "50%" { print $2 }' "$WORK/logs/$name.wrk" | to_us)"
  p99="$(awk '$1 == "99%" { print $2 }' "$WORK/logs/$name.wrk" | to_us)"
  [ -n "$requests" ] && [ -n "$rps" ] && [ -n "$p99" ] || { cat "$WORK/logs/$name.wrk" >&2; die "$name: no wrk figures"; }
  errors="$(awk '/Non-2xx|Socket errors/ { print }' "$WORK/logs/$name.wrk" | tr '\n' ' ')"
  # CPU microseconds per request: proxy, upstream, wrk, machine, rest (- for a process not in the path).
  local cpu c_proxy c_upstream c_wrk c_machine c_rest
  cpu="$(awk -v r="$requests" -v t="$TICKS_PER_SECOND" -v has_proxy="$([ -n "$proxy_pid" ] && echo 1 || echo 0)" \
    -v p=$((p1 - p0)) -v u=$((u1 - u0)) -v w="$wrk_cpu" -v m=$((m1 - m0)) \
    'BEGIN { f = 1e6 / t / (r > 0 ? r : 1); w = w / (r > 0 ? r : 1)
             printf "%s %.1f %.1f %.1f %.1f", has_proxy ? sprintf("%.1f", p * f) : "-", u * f, w, m * f, m * f - p * f - u * f - w }')"
  read -r c_proxy c_upstream c_wrk c_machine c_rest <<<"$cpu"
  printf '%-12s %9.0f %8.0f %8.0f  %7s %8s %6s %8s %6s  %s\n' \
    "$name" "$rps" "$p50" "$p99" "$c_proxy" "$c_upstream" "$c_wrk" "$c_machine" "$c_rest" "$notes${notes:+${errors:+; }}$errors"
  echo "$name $rps $p50 $p99 $cpu" >>"$WORK/results"
}

# What the machine does before any load (on a shared machine: others' builds); it is in every "machine" figure.
read -r idle_m0 idle_all0 < <(machine_ticks)
sleep 3
read -r idle_m1 idle_all1 < <(machine_ticks)
IDLE="$(awk -v b=$((idle_m1 - idle_m0)) -v a=$((idle_all1 - idle_all0)) -v n="$(nproc)" \
  'BEGIN { printf "%.0f%% of %d cores busy", 100 * b / (a > 0 ? a : 1), n }')"

echo
echo "wrk: $CONNECTIONS connections, ${DURATION}s per run after ${WARMUP}s warm-up, $THREADS threads, $(nproc) cores;" \
  "~${#body_direct}-byte JSON; load host: $BUILD_KIND; nginx $(nginx -v 2>&1 | sed 's|.*/||'), two instances," \
  "$(pgrep -c -P "$NGINX_PID") + $(pgrep -c -P "$UPSTREAM_PID") workers"
echo "machine before the runs (3 s, nothing loaded): $IDLE"
echo "CPU us/request: proxy = the nginx proxy or the load host; upstream = the upstream nginx; wrk; machine = all"
echo "cores (/proc/stat); rest = machine - proxy - upstream - wrk (unattributed kernel time and other processes)"
printf '%-12s %9s %8s %8s  %7s %8s %6s %8s %6s\n' target "req/s" "p50 us" "p99 us" proxy upstream wrk machine rest
run direct "" "http://127.0.0.1:$UPSTREAM_PORT$PATH_UNDER_TEST"
for i in $(seq 1 "$RUNS"); do
  run "nginx#$i" "$NGINX_PID" "https://127.0.0.1:$NGINX_PORT/k8s/clusters/c1$PATH_UNDER_TEST"
  run "appliance#$i" "$APPLIANCE_PID" "https://127.0.0.1:$APPLIANCE_PORT/k8s/clusters/c1$PATH_UNDER_TEST" "Authorization: Bearer $TOKEN"
done
# For reading the figures (not proxies): Kestrel answering the same body itself over TLS (an API request: it
# leaves the socket thread, as in the product), and the appliance proxy in front of an upstream inside its own
# process; the gap to "appliance" is the upstream socket hop.
run kestrel "$APPLIANCE_PID" "https://127.0.0.1:$APPLIANCE_PORT/fixed"
run app-mem "$APPLIANCE_PID" "https://127.0.0.1:$APPLIANCE_PORT/k8s/clusters/mem$PATH_UNDER_TEST" "Authorization: Bearer $TOKEN"
echo "(upstream connections the appliance opened in all, warm-ups included: $(dials); its pool keeps ${LOAD_POOL:-32} idle)"
for pid in "$UPSTREAM_PID" "$NGINX_PID" "$APPLIANCE_PID"; do kill -0 "$pid" 2>/dev/null || die "a server exited during the runs"; done

awk -v runs="$RUNS" '
  function median(kind, col,   n, i, j, t, v) {
    n = 0
    for (i = 1; i <= runs; i++) if ((kind "#" i, col) in cell) v[++n] = cell[kind "#" i, col]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  { for (c = 2; c <= NF; c++) cell[$1, c] = $c; rps[$1] = $2 }
  END {
    printf "\nmedians of %d runs (each column on its own):\n", runs
    split("nginx appliance", kinds, " ")
    for (k = 1; k <= 2; k++) {
      for (c = 2; c <= 9; c++) med[kinds[k], c] = median(kinds[k], c)
      printf "%-12s %9.0f %8.0f %8.0f  %7.1f %8.1f %6.1f %8.1f %6.1f\n", kinds[k], med[kinds[k], 2], med[kinds[k], 3],
        med[kinds[k], 4], med[kinds[k], 5], med[kinds[k], 6], med[kinds[k], 7], med[kinds[k], 8], med[kinds[k], 9]
    }
    printf "\nper pair, appliance#i / nginx#i:"
    for (i = 1; i <= runs; i++)
      printf "  #%d req/s %.2fx p99 %.2fx proxy CPU %.2fx", i, cell["appliance#" i, 2] / cell["nginx#" i, 2],
        cell["appliance#" i, 4] / cell["nginx#" i, 4], cell["appliance#" i, 5] / cell["nginx#" i, 5]
    printf "\n\nappliance / nginx (medians): req/s %.2fx (target >= 1.2x), p99 %.2fx (target <= 1.0x), p50 %.2fx\n",
      med["appliance", 2] / med["nginx", 2], med["appliance", 4] / med["nginx", 4], med["appliance", 3] / med["nginx", 3]
    printf "proxy CPU per request, appliance / nginx (medians): %.1f / %.1f us = %.2fx (the steadiest figure on a noisy machine)\n",
      med["appliance", 5], med["nginx", 5], med["appliance", 5] / med["nginx", 5]
    printf "appliance / direct: req/s %.2fx (median)\n", med["appliance", 2] / rps["direct"]
  }' "$WORK/results"
