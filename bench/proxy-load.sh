#!/usr/bin/env bash
# Load test of the auth proxy against nginx, in one run on one machine (issue 6):
#   upstream  nginx serving a fixed ~500-byte JSON (plain HTTP, keep-alive), standing in for kube-apiserver
#   direct    wrk -> upstream                                  (the ceiling)
#   nginx     wrk -> nginx TLS reverse proxy rewriting headers -> upstream
#   appliance wrk -> Kestrel TLS + Appliance.Proxy            -> upstream
# wrk: 64 connections, 10 s each (bounded), after a 3 s warm-up per target. Prints req/s, p50, p99 and the
# ratios against nginx. Needs Debian's nginx and wrk (apt-get install nginx wrk) and the .NET SDK.
# Usage: bench/proxy-load.sh [connections] [seconds]
#   LOAD_AOT=1: the proxy host compiled with NativeAOT, as the product ships (default: JIT)
#   LOAD_INLINE=0: without inline socket completions
set -euo pipefail

CONNECTIONS="${1:-64}"
DURATION="${2:-10}"
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
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in nginx wrk openssl dotnet curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install nginx wrk)" >&2; exit 1; }
done

# --- a ~500-byte PodList, the same body everywhere -------------------------------------------------------
mkdir -p "$WORK/www/api/v1/namespaces/default" "$WORK/logs" "$WORK/tmp"
# nginx workers run as an unprivileged user when started by root: they must be able to read and write here.
chmod 755 "$WORK" "$WORK/www" "$WORK/logs"
chmod 1777 "$WORK/tmp"
cat > "$WORK/www/api/v1/namespaces/default/pods" <<'JSON'
{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"123456"},"items":[{"metadata":{"name":"web-0","namespace":"default","uid":"6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b","resourceVersion":"123450","creationTimestamp":"2026-11-24T10:00:00Z","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}],"nodeName":"node-1"},"status":{"phase":"Running","podIP":"10.42.0.15","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"web","ready":true,"restartCount":0}]}}]}
JSON

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

# --- nginx: the upstream and the reverse proxy (one master, two servers, one worker per core) ------------
cat > "$WORK/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    root $WORK/www;
    default_type application/json;
    location / { try_files \$uri =404; }
  }
  upstream cluster_c1 { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    location /k8s/clusters/c1/ {
      # The equivalent rewrite: client identity headers cleared, ours set, streaming (watch) unbuffered.
      proxy_pass http://cluster_c1/;
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_set_header Connection "";
      proxy_set_header Host 10.0.0.5:6443;
      proxy_set_header Authorization "Bearer $SA_TOKEN";
      proxy_set_header Cookie "";
      proxy_set_header Impersonate-User "u-load";
      proxy_set_header Impersonate-Group "system:authenticated";
      proxy_set_header Impersonate-Uid "";
      proxy_set_header Impersonate-Extra-principalid "local://u-load";
      proxy_set_header Impersonate-Extra-username "Load Test";
      proxy_set_header Impersonate-Extra-requesttokenid "token-load";
      proxy_set_header X-Remote-User "";
      proxy_set_header X-Remote-Group "";
    }
  }
}
EOF
nginx -c "$WORK/nginx.conf" -p "$WORK" &
PIDS+=($!)

# --- the appliance proxy: Kestrel + the proxy library, built from this tree into the temp directory --------
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
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
if (Environment.GetEnvironmentVariable("LOAD_INLINE") != "0")
{
    // Proxy code then runs on the socket threads, saving a thread-pool hop per read; it never blocks.
    builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
}

builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
{
    listen.Protocols = HttpProtocols.Http1;
    listen.UseHttps(certificate);
    listen.UseApplianceProxy(proxy);
}));
WebApplication app = builder.Build();
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
if [ "${LOAD_AOT:-0}" = "1" ]; then
  # As the product ships: NativeAOT (about a minute to compile).
  echo "publishing the load host with NativeAOT..." >&2
  dotnet publish "$WORK/host/LoadHost.csproj" -c Release -r linux-x64 -p:PublishAot=true -o "$WORK/host/bin" -nologo -v quiet \
    >"$WORK/logs/build.log" 2>&1 || { cat "$WORK/logs/build.log" >&2; exit 1; }
  HOST=("$WORK/host/bin/LoadHost")
else
  echo "building the load host..." >&2
  dotnet build "$WORK/host/LoadHost.csproj" -c Release -o "$WORK/host/bin" -nologo -v quiet >"$WORK/logs/build.log" 2>&1 \
    || { cat "$WORK/logs/build.log" >&2; exit 1; }
  HOST=(dotnet "$WORK/host/bin/LoadHost.dll")
fi
# Inline completions (Kestrel's UnsafePreferInlineScheduling in the host, and this for the upstream sockets):
# the proxy never blocks, so running it on the socket threads saves two thread-pool hops per request.
# Measured here: ~26k -> ~40k req/s. LOAD_INLINE=0 measures without.
INLINE_COMPLETIONS=1
[ "${LOAD_INLINE:-1}" = "0" ] && INLINE_COMPLETIONS=0
DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=$INLINE_COMPLETIONS \
"${HOST[@]}" "$APPLIANCE_PORT" "$UPSTREAM_PORT" "$TOKEN" "$WORK/cert.pem" "$WORK/key.pem" "$SA_TOKEN" \
  "$WORK/www/api/v1/namespaces/default/pods" \
  >"$WORK/logs/appliance.log" 2>&1 &
PIDS+=($!)

wait_for() { # url [curl args...]
  local url="$1"; shift
  for _ in $(seq 1 100); do
    if curl -ksf -o /dev/null "$@" "$url"; then return 0; fi
    sleep 0.1
  done
  echo "not reachable: $url" >&2; exit 1
}
wait_for "http://127.0.0.1:$UPSTREAM_PORT$PATH_UNDER_TEST"
wait_for "https://127.0.0.1:$NGINX_PORT/k8s/clusters/c1$PATH_UNDER_TEST"
wait_for "https://127.0.0.1:$APPLIANCE_PORT/k8s/clusters/c1$PATH_UNDER_TEST" -H "Authorization: Bearer $TOKEN"

# Same body through all three, or the comparison means nothing.
body_direct="$(curl -ks "http://127.0.0.1:$UPSTREAM_PORT$PATH_UNDER_TEST")"
[ "$body_direct" = "$(curl -ks "https://127.0.0.1:$NGINX_PORT/k8s/clusters/c1$PATH_UNDER_TEST")" ] || { echo "nginx body differs" >&2; exit 1; }
[ "$body_direct" = "$(curl -ks -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$APPLIANCE_PORT/k8s/clusters/c1$PATH_UNDER_TEST")" ] \
  || { echo "appliance body differs" >&2; exit 1; }

# wrk prints latency percentiles as e.g. "50%  1.23ms"; normalize to microseconds.
to_us() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v*1000 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000000 } }'; }

run() { # name url [header]
  local name="$1" url="$2" header="${3:-}"
  local args=(-t"$THREADS" -c"$CONNECTIONS" --latency --timeout 5s)
  [ -n "$header" ] && args+=(-H "$header")
  wrk "${args[@]}" -d3s "$url" >/dev/null # warm-up: JIT tiers, TLS sessions, pools
  wrk "${args[@]}" -d"${DURATION}s" "$url" >"$WORK/logs/$name.wrk"
  local rps p50 p99 errors
  rps="$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/logs/$name.wrk")"
  p50="$(awk '$1 == "50%" { print $2 }' "$WORK/logs/$name.wrk" | to_us)"
  p99="$(awk '$1 == "99%" { print $2 }' "$WORK/logs/$name.wrk" | to_us)"
  errors="$(awk '/Non-2xx|Socket errors/ { print }' "$WORK/logs/$name.wrk" | tr '\n' ' ')"
  printf '%-10s %12.0f %10.0f %10.0f  %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
  echo "$name $rps $p50 $p99" >>"$WORK/results"
}

echo
echo "wrk: $CONNECTIONS connections, ${DURATION}s, $THREADS threads, $(nproc) cores; ~500-byte JSON"
printf '%-10s %12s %10s %10s\n' target "req/s" "p50 us" "p99 us"
run direct "http://127.0.0.1:$UPSTREAM_PORT$PATH_UNDER_TEST"
run nginx "https://127.0.0.1:$NGINX_PORT/k8s/clusters/c1$PATH_UNDER_TEST"
run appliance "https://127.0.0.1:$APPLIANCE_PORT/k8s/clusters/c1$PATH_UNDER_TEST" "Authorization: Bearer $TOKEN"
echo "           (upstream connections the appliance opened: $(curl -ks "https://127.0.0.1:$APPLIANCE_PORT/dials"))"
# For reading the figures (not proxies): Kestrel answering the same body itself over TLS, and the appliance
# proxy in front of an upstream inside its own process; the gap to "appliance" is the upstream socket hop.
run kestrel "https://127.0.0.1:$APPLIANCE_PORT/fixed"
run app-mem "https://127.0.0.1:$APPLIANCE_PORT/k8s/clusters/mem$PATH_UNDER_TEST" "Authorization: Bearer $TOKEN"

awk '
  { rps[$1] = $2; p50[$1] = $3; p99[$1] = $4 }
  END {
    printf "\nappliance / nginx: req/s %.2fx (target >= 1.2x), p99 %.2fx (target <= 1.0x), p50 %.2fx\n",
      rps["appliance"] / rps["nginx"], p99["appliance"] / p99["nginx"], p50["appliance"] / p50["nginx"]
    printf "appliance / direct: req/s %.2fx\n", rps["appliance"] / rps["direct"]
  }' "$WORK/results"
