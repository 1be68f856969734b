#!/usr/bin/env bash
# install.sh: installs (or upgrades, or removes) Appliance as a systemd service on x64 or ARM64 Linux.
#
#   sudo ./install.sh [--binary PATH] [--listen ADDR:PORT] [--data-dir DIR]
#   sudo ./install.sh --uninstall [--purge]
#
# It puts the binary in /usr/local/bin/appliance, the unit in /etc/systemd/system/appliance.service
# (a copy of packaging/appliance.service kept in this script, so a release archive needs only this
# script and the binary), the settings in /etc/default/appliance, and runs the service as the system
# user `appliance` with its state in /var/lib/appliance. Running it again upgrades: the binary and the
# unit are replaced, the data dir and an edited /etc/default/appliance are kept.
set -euo pipefail

readonly binary_target=/usr/local/bin/appliance
readonly unit_target=/etc/systemd/system/appliance.service
readonly dropin_dir=/etc/systemd/system/appliance.service.d
readonly dropin_file=$dropin_dir/install.conf
readonly wants_link=/etc/systemd/system/multi-user.target.wants/appliance.service
readonly env_target=/etc/default/appliance
readonly service_user=appliance
readonly default_data_dir=/var/lib/appliance
readonly default_listen=:8443

die() {
  echo "install.sh: $*" >&2
  exit 1
}

usage_error() {
  echo "install.sh: $* (see --help)" >&2
  exit 2
}

usage() {
  cat <<'USAGE'
Usage: sudo ./install.sh [--binary PATH] [--listen ADDR:PORT] [--data-dir DIR]
       sudo ./install.sh --uninstall [--purge]

Installs Appliance as the systemd service `appliance`, or upgrades it when it is installed.

  --binary PATH       the appliance executable for this machine (default: appliance,
                      appliance-linux-x64 or appliance-linux-arm64 beside this script)
  --listen ADDR:PORT  where to serve HTTPS (default :8443, every interface; kept on upgrade)
  --data-dir DIR      state, keys and certificates (default /var/lib/appliance; kept on upgrade)
  --uninstall         stop and remove the service and the binary; keeps the data dir and
                      /etc/default/appliance
  --purge             with --uninstall: also remove the data dir, /etc/default/appliance and the
                      appliance user
  -h, --help          this text
USAGE
}

# The unit, equal to packaging/appliance.service (InstallScriptTests checks it).
unit_file() {
  cat <<'UNIT'
# The Appliance server as a systemd service. install.sh installs it as
# /etc/systemd/system/appliance.service; the script holds a copy of this file (a test keeps them equal)
# so that it also works from a release archive without this folder.
[Unit]
Description=Appliance: Kubernetes cluster management server
Wants=network-online.target
After=network-online.target

[Service]
# The server sends READY=1 on NOTIFY_SOCKET once it serves, so `systemctl start` returns when it is up.
Type=notify
User=appliance
Group=appliance
# Listen address, data dir and extra options; install.sh writes it, edits survive upgrades.
EnvironmentFile=/etc/default/appliance
# ${NAME} is passed as one word; $APPLIANCE_EXTRA_ARGS splits into words, and into none when empty.
ExecStart=/usr/local/bin/appliance server --listen ${APPLIANCE_LISTEN} --data-dir ${APPLIANCE_DATA_DIR} $APPLIANCE_EXTRA_ARGS
Restart=on-failure
RestartSec=2s
# SIGTERM gives in-flight requests 20 s (ServerSettings.ShutdownTimeout); after that systemd kills it.
TimeoutStopSec=30s
# Every proxied watch, tunnel stream and upstream connection holds a descriptor.
LimitNOFILE=1048576
UMask=0077

# What the server needs: its data dir read-write; TCP over IPv4/IPv6 (clients, clusters, LDAP, GitHub);
# AF_UNIX for NOTIFY_SOCKET; AF_NETLINK for .NET's network-interface queries; no capability. A listen
# port below 1024 needs CAP_NET_BIND_SERVICE and another data dir another writable path: install.sh
# grants those in appliance.service.d/install.conf.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ReadWritePaths=/var/lib/appliance
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
UNIT
}

# The settings file's first version, equal to packaging/appliance.env (InstallScriptTests checks it).
env_file() {
  cat <<'ENV'
# /etc/default/appliance: the settings of appliance.service (its EnvironmentFile=).
# install.sh writes this file on the first install and keeps it on upgrades. After an edit:
#   sudo systemctl restart appliance
# To move to a port below 1024 or to another data dir, re-run install.sh with --listen / --data-dir
# instead: the service then needs a capability or a writable path, which install.sh grants.

# Where to serve HTTPS: HOST:PORT, or :PORT for every interface.
APPLIANCE_LISTEN=:8443
# State, keys and certificates (0700, owned by the appliance user).
APPLIANCE_DATA_DIR=/var/lib/appliance
# More `appliance server` options (appliance server --help), e.g. names for the serving certificate:
#   APPLIANCE_EXTRA_ARGS="--tls-san appliance.example.com --tls-san 192.0.2.10"
APPLIANCE_EXTRA_ARGS=
ENV
}

# Temporary files beside their targets, removed if the script stops half-way.
temporary_files=()
trap 'rm -f -- "${temporary_files[@]}"' EXIT

systemd_running() {
  [[ -d /run/systemd/system ]]
}

machine_arch() {
  local machine
  machine=$(uname -m)
  case $machine in
    x86_64 | amd64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "this machine is '$machine': Appliance is built for x86_64 (x64) and aarch64 (arm64) only" ;;
  esac
}

# e_machine values of the ELF header (the same numbers the kernel checks before it runs a file).
elf_machine_name() {
  case $1 in
    003e) echo x86_64 ;;
    00b7) echo aarch64 ;;
    0028) echo arm ;;
    0003) echo i386 ;;
    00f3) echo riscv ;;
    *) echo "e_machine 0x$1" ;;
  esac
}

# Refuses, before anything changes, a file this machine cannot run: not ELF, not 64-bit
# little-endian, not an executable, or for another architecture.
check_binary() {
  local file=$1 arch=$2 header wanted machine
  [[ -f $file && -r $file ]] || die "$file: no such file"
  header=$(od -An -v -tx1 -N20 -- "$file" | tr -d ' \n')
  if [[ ${#header} -ne 40 || ${header:0:8} != 7f454c46 ]]; then
    die "$file is not an ELF executable"
  fi
  if [[ ${header:8:4} != 0201 ]] || [[ ${header:34:2}${header:32:2} != 0002 && ${header:34:2}${header:32:2} != 0003 ]]; then
    die "$file is not a 64-bit little-endian ELF executable"
  fi
  case $arch in
    x64) wanted=003e ;;
    arm64) wanted=00b7 ;;
  esac
  machine=${header:38:2}${header:36:2}
  if [[ $machine != "$wanted" ]]; then
    die "$file is built for $(elf_machine_name "$machine"), this machine is $(elf_machine_name "$wanted"): use the linux-$arch build"
  fi
}

default_binary() {
  local arch=$1 script_dir candidate
  script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  for candidate in "$script_dir/appliance-linux-$arch" "$script_dir/appliance"; do
    if [[ -f $candidate ]]; then
      echo "$candidate"
      return
    fi
  done
  die "no appliance binary beside install.sh ($script_dir/appliance or appliance-linux-$arch): pass --binary PATH (build one: dotnet publish src/Appliance -c Release -r linux-$arch)"
}

valid_listen() {
  [[ $1 =~ ^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):([0-9]{1,5})$ ]] && ((10#${BASH_REMATCH[2]} <= 65535))
}

# Plain absolute paths only: the value goes unquoted into the env file and the unit's drop-in.
valid_data_dir() {
  [[ $1 =~ ^(/[A-Za-z0-9._-]+)+$ && ! $1 =~ /\.\.?(/|$) ]]
}

# A value from /etc/default/appliance (the last assignment wins, as in systemd), quotes removed.
configured() {
  [[ -f $env_target ]] || return 0
  sed -n "s/^[[:space:]]*$1=//p" "$env_target" | tail -n 1 | sed -E "s/^\"(.*)\"\$/\\1/; s/^'(.*)'\$/\\1/"
}

# Writes stdin to a temporary file in the target's directory, then renames it over the target, so
# nothing ever sees half a file (and a running binary keeps its old inode).
write_atomically() {
  local target=$1 mode=$2 temporary
  mkdir -p -- "$(dirname "$target")"
  temporary=$(mktemp "$(dirname "$target")/.$(basename "$target").XXXXXX")
  temporary_files+=("$temporary")
  cat >"$temporary"
  chmod "$mode" "$temporary"
  mv -f -- "$temporary" "$target"
}

# One of these sonames is where the dynamic linker looks (its cache, or a usual directory).
have_library() {
  local name directory cache=""
  if command -v ldconfig >/dev/null 2>&1 || [[ -x /sbin/ldconfig ]]; then
    cache=$(PATH=$PATH:/sbin:/usr/sbin ldconfig -p 2>/dev/null | awk 'NR > 1 { print $1 }')
  fi
  for name; do
    grep -qxF -- "$name" <<<"$cache" && return 0
    for directory in /lib /usr/lib /lib64 /usr/lib64 /lib/*-linux-gnu /usr/lib/*-linux-gnu; do
      [[ -e $directory/$name ]] && return 0
    done
  done
  return 1
}

apt_updated=no
apt_choice=""

# Sets apt_choice to the first of these packages apt can install (releases name them differently),
# updating apt's lists once per run if it knows none. Not run in $(...): apt_updated must stick.
choose_apt_package() {
  local package
  while true; do
    for package; do
      if apt-cache policy "$package" 2>/dev/null | grep -qE 'Candidate: [0-9]'; then
        apt_choice=$package
        return 0
      fi
    done
    [[ $apt_updated == no ]] || return 1
    apt_updated=yes
    apt-get update -qq >/dev/null 2>&1 || return 1
  done
}

# ensure_library WHAT "PACKAGES" CONSEQUENCE SONAME...: the server loads these with dlopen at run time,
# so ldd does not show them and a missing one surfaces only when it is needed.
ensure_library() {
  local what=$1 consequence=$3
  local -a packages
  read -r -a packages <<<"$2"
  shift 3
  have_library "$@" && return 0
  if command -v apt-get >/dev/null 2>&1 && choose_apt_package "${packages[@]}" &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$apt_choice" >/dev/null 2>&1 &&
    have_library "$@"; then
    echo "installed $apt_choice ($what)"
    return 0
  fi
  echo "install.sh: warning: $what ($*) is missing: $consequence" >&2
}

nologin_shell() {
  local shell
  for shell in /usr/sbin/nologin /sbin/nologin; do
    if [[ -x $shell ]]; then
      echo "$shell"
      return
    fi
  done
  echo /bin/false
}

ensure_user() {
  local data_dir=$1
  command -v useradd >/dev/null 2>&1 || die "useradd is missing (Debian: apt-get install passwd)"
  if ! getent group "$service_user" >/dev/null; then
    groupadd --system "$service_user"
  fi
  if ! getent passwd "$service_user" >/dev/null; then
    useradd --system --gid "$service_user" --home-dir "$data_dir" --no-create-home \
      --shell "$(nologin_shell)" --comment "Appliance server" "$service_user"
    echo "created system user $service_user"
  elif [[ $(getent passwd "$service_user" | cut -d: -f6) != "$data_dir" ]]; then
    usermod --home "$data_dir" "$service_user"
  fi
}

# What the unit cannot know from the env file: systemd reads ReadWritePaths= and capabilities from
# unit files only. Without a custom data dir or a port below 1024 there is no drop-in.
write_dropin() {
  local data_dir=$1 port=$2 lines=()
  if [[ $data_dir != "$default_data_dir" ]]; then
    lines+=("ReadWritePaths=" "ReadWritePaths=$data_dir")
  fi
  if ((10#$port > 0 && 10#$port < 1024)); then
    lines+=("CapabilityBoundingSet=CAP_NET_BIND_SERVICE" "AmbientCapabilities=CAP_NET_BIND_SERVICE")
  fi
  if ((${#lines[@]} == 0)); then
    rm -f -- "$dropin_file"
    rmdir -- "$dropin_dir" 2>/dev/null || true
    return
  fi
  {
    echo "# Written by install.sh for APPLIANCE_LISTEN=$listen and APPLIANCE_DATA_DIR=$data_dir; re-run it after changing them."
    echo "[Service]"
    printf '%s\n' "${lines[@]}"
  } | write_atomically "$dropin_file" 0644
}

# The first install writes packaging/appliance.env's text; later installs keep the admin's file and
# change only what --listen / --data-dir name explicitly.
write_env_file() {
  local name value
  if [[ ! -f $env_target ]]; then
    env_file | sed -e "s|^APPLIANCE_LISTEN=.*|APPLIANCE_LISTEN=$listen|" -e "s|^APPLIANCE_DATA_DIR=.*|APPLIANCE_DATA_DIR=$data_dir|" |
      write_atomically "$env_target" 0644
    return
  fi
  for name in APPLIANCE_LISTEN APPLIANCE_DATA_DIR; do
    case $name in
      APPLIANCE_LISTEN) value=$option_listen ;;
      APPLIANCE_DATA_DIR) value=$option_data_dir ;;
    esac
    [[ -z $value || $value == "$(configured "$name")" ]] && continue
    if grep -qE "^[[:space:]]*$name=" "$env_target"; then
      sed -E "s|^[[:space:]]*$name=.*|$name=$value|" "$env_target" | write_atomically "$env_target" 0644
    else
      { cat "$env_target"; echo "$name=$value"; } | write_atomically "$env_target" 0644
    fi
  done
}

server_url() {
  local host=${listen%:*} port=${listen##*:}
  if [[ -z $host || $host == 0.0.0.0 || $host == "[::]" ]]; then
    host=$(hostname 2>/dev/null || echo localhost)
  fi
  if ((10#$port == 0)); then
    echo "https://$host:<the port it chose: journalctl -u appliance | grep Listening>/"
  else
    echo "https://$host:$port/"
  fi
}

install_service() {
  local arch binary upgrade=no was_active=no port
  arch=$(machine_arch)
  binary=${option_binary:-$(default_binary "$arch")}
  check_binary "$binary" "$arch"

  listen=${option_listen:-$(configured APPLIANCE_LISTEN)}
  listen=${listen:-$default_listen}
  data_dir=${option_data_dir:-$(configured APPLIANCE_DATA_DIR)}
  data_dir=${data_dir:-$default_data_dir}
  data_dir=${data_dir%/}
  valid_listen "$listen" || die "listen address '$listen' is not HOST:PORT or :PORT (e.g. :8443, 127.0.0.1:8443, [::1]:8443)"
  valid_data_dir "$data_dir" || die "data dir '$data_dir' is not a plain absolute path (letters, digits, '.', '_', '-', '/')"
  port=${listen##*:}

  [[ -e $binary_target || -e $unit_target ]] && upgrade=yes
  if systemd_running && systemctl is-active --quiet appliance 2>/dev/null; then
    was_active=yes
  fi

  # Debian 12 / Ubuntu 22.04 name them libssl3 and libldap-2.5-0; Debian 13 / Ubuntu 24.04 libssl3t64 and libldap2.
  ensure_library OpenSSL "libssl3t64 libssl3" "the server cannot start without it (TLS)" libssl.so.3 libssl.so.1.1
  ensure_library "OpenLDAP's client library" "libldap2 libldap-2.5-0" "LDAP/AD login needs it" libldap.so.2 libldap-2.5.so.0
  ensure_user "$data_dir"
  install -d -m 0700 -o "$service_user" -g "$service_user" -- "$data_dir"
  write_atomically "$binary_target" 0755 <"$binary"
  unit_file | write_atomically "$unit_target" 0644
  write_dropin "$data_dir" "$port"
  write_env_file

  local state
  if systemd_running; then
    systemctl daemon-reload
    systemctl enable --quiet appliance
    if [[ $was_active == yes ]]; then
      systemctl restart appliance || die "appliance did not restart: journalctl -u appliance -e"
    else
      systemctl start appliance || die "appliance did not start: journalctl -u appliance -e"
    fi
    state="enabled, running"
  else
    if ! systemctl enable --quiet appliance 2>/dev/null; then
      mkdir -p -- "$(dirname "$wants_link")"
      ln -sfn -- "$unit_target" "$wants_link"
    fi
    state="enabled, not started"
    echo "install.sh: systemd is not running here (no /run/systemd/system): appliance starts at the next boot with systemd; to run it now: runuser -u $service_user -- $binary_target server --listen $listen --data-dir $data_dir"
  fi

  local version
  if ! version=$("$binary_target" version 2>&1 | head -n 1) || [[ $version != appliance* ]]; then
    echo "install.sh: warning: $binary_target version failed: $version" >&2
    version=appliance
  fi
  echo
  if [[ $upgrade == yes ]]; then
    echo "Upgraded to $version ($state); data in $data_dir kept."
  else
    echo "Installed $version as the service appliance ($state)."
  fi
  echo "  URL:       $(server_url)"
  echo "  CA:        $data_dir/tls/ca.crt (what clients trust; made at the first start)"
  echo "  admin:     the first start writes the admin's bootstrap password to $data_dir/bootstrap-password"
  echo "             (0600, owner $service_user; sudo cat it); journalctl -u appliance says where it is"
  echo "  settings:  $env_target (then: systemctl restart appliance)"
}

uninstall_service() {
  local data_dir
  data_dir=${option_data_dir:-$(configured APPLIANCE_DATA_DIR)}
  data_dir=${data_dir:-$default_data_dir}
  data_dir=${data_dir%/}

  if systemd_running; then
    systemctl disable --now --quiet appliance 2>/dev/null || true
  else
    systemctl disable --quiet appliance 2>/dev/null || true
  fi
  rm -f -- "$wants_link" "$unit_target" "$binary_target"
  rm -rf -- "$dropin_dir"
  if systemd_running; then
    systemctl daemon-reload
    systemctl reset-failed appliance 2>/dev/null || true
  fi
  echo "removed the service appliance, $unit_target and $binary_target"

  if [[ $purge == no ]]; then
    echo "kept $data_dir and $env_target: --uninstall --purge removes them and the user $service_user"
    return
  fi
  if [[ -d $data_dir ]]; then
    # The path comes from an editable file: remove only a directory that is the service's own.
    valid_data_dir "$data_dir" || die "not removing data dir '$data_dir': not a plain absolute path"
    [[ $(stat -c %U -- "$data_dir") == "$service_user" ]] || die "not removing data dir '$data_dir': it is not owned by $service_user"
    rm -rf -- "$data_dir"
    echo "removed $data_dir"
  fi
  rm -f -- "$env_target"
  if getent passwd "$service_user" >/dev/null; then
    userdel "$service_user" || die "could not remove the user $service_user (a process of it still running?)"
  fi
  if getent group "$service_user" >/dev/null; then
    groupdel "$service_user"
  fi
  echo "removed $env_target and the user $service_user"
}

option_binary=""
option_listen=""
option_data_dir=""
uninstall=no
purge=no
listen=""
data_dir=""

main() {
  local arguments="$*"
  while (($#)); do
    case $1 in
      --binary | --listen | --data-dir)
        if (($# < 2)) || [[ -z $2 ]]; then
          usage_error "$1 needs a value"
        fi
        case $1 in
          --binary) option_binary=$2 ;;
          --listen) option_listen=$2 ;;
          --data-dir) option_data_dir=$2 ;;
        esac
        shift 2
        ;;
      --binary=* | --listen=* | --data-dir=*)
        set -- "${1%%=*}" "${1#*=}" "${@:2}"
        ;;
      --uninstall) uninstall=yes && shift ;;
      --purge) purge=yes && shift ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) usage_error "unknown option '$1'" ;;
    esac
  done
  [[ $purge == no || $uninstall == yes ]] || usage_error "--purge goes with --uninstall"
  [[ $uninstall == no || (-z $option_binary && -z $option_listen) ]] || usage_error "--uninstall takes only --purge and --data-dir"

  [[ $(uname -s) == Linux ]] || die "Appliance runs on Linux only, this is $(uname -s)"
  [[ $(id -u) -eq 0 ]] || die "must run as root: sudo $0${arguments:+ $arguments}"

  if [[ $uninstall == yes ]]; then
    uninstall_service
  else
    install_service
  fi
}

main "$@"
