#!/usr/bin/env bash
# A machine of its own for install.sh (InstallScriptTests): run as
#   unshare --mount --propagation private bash install-sandbox.sh SANDBOX exec COMMAND...
#   unshare --mount --propagation private bash install-sandbox.sh SANDBOX start-unit
# Inside the private mount namespace, SANDBOX's directories cover everything install.sh writes, so
# useradd, systemctl enable and the rest run for real while the host's files stay as they were:
#   SANDBOX/etc            over /etc: a copy of the host's, made on the first call. The whole of /etc,
#                          not passwd & co. one by one: useradd renames passwd+ over passwd, which a
#                          file bind mount refuses (EBUSY)
#   SANDBOX/usr-local-bin  over /usr/local/bin: empty (the host's holds 100+ MB nothing here needs)
#   SANDBOX/var-lib        over /var/lib: empty, the default data dir /var/lib/appliance lands in it
# The directories outlive the namespace, so consecutive calls see one machine: install, upgrade, uninstall.
#
# start-unit runs the installed unit's ExecStart= as systemd would: its User=/Group=, its
# EnvironmentFile= with systemd's expansion (${NAME} one word, $NAME split on whitespace), its UMask=,
# a clean environment, in /. It execs, so the caller's child PID is the server's.
set -euo pipefail

sandbox=${1:?usage: install-sandbox.sh SANDBOX exec COMMAND... | start-unit}
shift

# Refuse to cover the host's own /etc: only inside a mount namespace of our own.
if [[ $(readlink /proc/self/ns/mnt) == "$(readlink /proc/1/ns/mnt)" ]]; then
  echo "install-sandbox.sh: not in a private mount namespace (run it under unshare --mount --propagation private)" >&2
  exit 1
fi

if [[ ! -d $sandbox/etc ]]; then
  cp -a /etc "$sandbox/etc.partial"
  mv "$sandbox/etc.partial" "$sandbox/etc"
fi
mkdir -p "$sandbox/usr-local-bin" "$sandbox/var-lib"
mount --bind "$sandbox/etc" /etc
mount --bind "$sandbox/usr-local-bin" /usr/local/bin
mount --bind "$sandbox/var-lib" /var/lib

unit_value() {
  sed -n "s/^$1=//p" /etc/systemd/system/appliance.service | tail -n 1
}

case ${1:-} in
  exec)
    shift
    exec "$@"
    ;;
  start-unit)
    user=$(unit_value User)
    group=$(unit_value Group)
    environment_file=$(unit_value EnvironmentFile)
    exec_start=$(unit_value ExecStart)
    umask "$(unit_value UMask)"
    set -a
    # shellcheck disable=SC1090 # the unit names it
    . "${environment_file#-}"
    set +a
    # shellcheck disable=SC2016 # the $ is for eval
    command=$(sed -E 's/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/"${\1}"/g' <<<"$exec_start")
    eval "set -- $command"
    home=$(getent passwd "$user" | cut -d: -f6)
    cd /
    exec setpriv --reuid="$user" --regid="$group" --init-groups \
      env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME="$home" USER="$user" LOGNAME="$user" "$@"
    ;;
  *)
    echo "install-sandbox.sh: usage: install-sandbox.sh SANDBOX exec COMMAND... | start-unit" >&2
    exit 2
    ;;
esac
