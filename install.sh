#!/usr/bin/env bash
# install.sh: installs Appliance as a systemd service on x64 or ARM64 Linux.
#
# What it will do (the packaging work makes it real; today it only says so):
#   1. pick the binary for this machine's architecture (uname -m: x86_64 -> linux-x64,
#      aarch64 -> linux-arm64), from a release archive or a local `dotnet publish`;
#   2. copy it to /usr/local/bin/appliance and packaging/appliance.service to
#      /etc/systemd/system/appliance.service;
#   3. systemctl daemon-reload && systemctl enable --now appliance;
#   4. wait for https://127.0.0.1:8443/readyz and print the URL, the CA path
#      (/var/lib/appliance/tls/ca.crt) and where the bootstrap password is.
set -euo pipefail
echo "install.sh: not implemented yet. To run Appliance now, see README.md (\"Run it\")." >&2
exit 1
