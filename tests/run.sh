#!/usr/bin/env bash
# The whole test suite, as README.md and .ci/run call it. Installs what the tests need first
# (Debian packages, with apt-get, as root), then runs every test project in the solution and ends
# with one line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests (or .ci/run) use. Later parts add theirs here (slapd, ldap-utils, ...).
# Samba's AD DC: samba, plus what its Recommends would bring and --no-install-recommends leaves out
# (samba-ad-provision: the AD schema; samba-dsdb-modules: the directory's ldb modules;
# samba-vfs-modules: acl_xattr, which provision sets on sysvol); iproute2 brings its namespace's loopback up.
# InstallScriptTests: shellcheck lints install.sh; systemd (systemctl, systemd-analyze verify), util-linux
# (unshare, setpriv) and passwd (useradd) run it.
packages=(curl slapd ldap-utils samba samba-ad-provision samba-dsdb-modules samba-vfs-modules iproute2
  shellcheck systemd util-linux passwd)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]} with apt-get"
  if [[ $(id -u) -ne 0 ]]; then
    echo "tests/run.sh: ${missing[*]} missing and not root: install them with apt-get first" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The NativeAOT binary, published once before the tests: InstallScriptTests install it, and .ci/run
# checks this same publish (no warning, one file) and smoke-tests it instead of publishing again. Not
# from inside a test: dotnet test builds the other projects meanwhile.
case $(uname -m) in
  aarch64 | arm64) rid=linux-arm64 ;;
  *) rid=linux-x64 ;;
esac
echo "publishing the NativeAOT binary: dotnet publish src/Appliance -c Release -r $rid -o artifacts/publish (log: artifacts/publish.log)"
rm -rf artifacts/publish
mkdir -p artifacts
if ! dotnet publish src/Appliance -c Release -r "$rid" -o artifacts/publish --nologo >artifacts/publish.log 2>&1; then
  tail -n 40 artifacts/publish.log >&2
  echo "tests/run.sh: the NativeAOT publish failed (all of it in artifacts/publish.log)" >&2
  exit 1
fi
export APPLIANCE_NATIVE_BINARY=$PWD/artifacts/publish/appliance

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Appliance.sln -c Release --nologo 2>&1 | tee "$log" || status=$?

# dotnet test prints one summary per test assembly ("Passed!  - Failed: 0, Passed: 47, Skipped: 0, ...");
# add them up so the run ends with one line any reader can check.
awk '
  /(Passed|Failed)! +- +Failed:/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") failed += $(i + 1)
      if ($i == "Passed:") passed += $(i + 1)
      if ($i == "Skipped:") skipped += $(i + 1)
    }
    assemblies++
  }
  END { printf "tests: %d passed, %d failed, %d skipped (%d test assemblies)\n", passed, failed, skipped, assemblies }
' "$log"

if ((status == 0)) && ! grep -qE '(Passed|Failed)! +- +Failed:' "$log"; then
  echo "tests/run.sh: dotnet test ran no test assembly" >&2
  status=1
fi
exit "$status"
