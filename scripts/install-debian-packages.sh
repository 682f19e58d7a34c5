#!/bin/bash
# Install Debian packages for the tests in one apt step, without letting their packaged services start
# (no systemd here; a policy-rc.d keeps invoke-rc.d from trying): the test harness starts its own
# servers on free loopback ports. Does nothing when every package is already installed. Needs root.
#   bash scripts/install-debian-packages.sh clickhouse-server clickhouse-client …
# Used by .ci/run (the list of what the tests need) and scripts/install-clickhouse.sh.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
[ $# -gt 0 ] || { echo "usage: $0 PACKAGE…" >&2; exit 2; }

missing=()
for p in "$@"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "install-debian-packages: already installed: $*"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "install-debian-packages: missing ${missing[*]}, and installing needs root: sudo bash $0 $*" >&2
  exit 1
fi

# one installer at a time (parallel test processes may call this together)
exec 9>/var/lock/mxray-install-debian-packages.lock
flock -w 900 9

# keep the packages' init scripts from starting servers on the default ports, unless the machine
# already has a policy of its own
ours=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  ours=1
fi
cleanup() { [ -n "$ours" ] && rm -f /usr/sbin/policy-rc.d; return 0; }
trap cleanup EXIT

APT=(apt-get -o DPkg::Lock::Timeout=300 -y -q --no-install-recommends)
install() {
  "${APT[@]}" install "$@" && return 0
  # inn2's postinst fails where `hostname --fqdn` has no domain: give inn.conf one, finish configuring
  if printf '%s\n' "$@" | grep -qx inn2 && [ -f /etc/news/inn.conf ]; then
    sed -i 's/^#\?domain:.*/domain:                      example.org/; s/^#\?fromhost:.*/fromhost:                    news.example.org/' /etc/news/inn.conf
    dpkg --configure -a && "${APT[@]}" install "$@" && return 0
  fi
  return 1
}
# try the package lists the machine has first; refresh them only if that fails
if ! install "${missing[@]}"; then
  apt-get -o DPkg::Lock::Timeout=300 -q update
  install "${missing[@]}"
fi
echo "install-debian-packages: installed ${missing[*]}"
