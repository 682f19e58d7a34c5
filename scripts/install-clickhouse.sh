#!/bin/bash
# Install ClickHouse for the integration tests (Debian's clickhouse-server, 18.16 on Debian 12).
# Idempotent: does nothing when a server binary is already there. Needs root. Called by CI and,
# when running as root, by the test harness (src/testing/clickhouse.ts) on first use.
# The packaged service is not started (no systemd here; a policy-rc.d keeps invoke-rc.d from trying):
# the tests start their own servers on free loopback ports.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

have() { command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || command -v clickhouse >/dev/null 2>&1; }
if have; then echo "install-clickhouse: already installed"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "install-clickhouse: clickhouse-server is missing and this needs root: sudo bash $0" >&2
  exit 1
fi

# one installer at a time (parallel test processes may call this together)
exec 9>/var/lock/mxray-install-clickhouse.lock
flock -w 900 9
if have; then echo "install-clickhouse: already installed"; exit 0; fi

# keep the package's init script from starting a server on the default ports, unless the machine
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
PKGS=(clickhouse-server clickhouse-client)
# try the package lists the machine has first; refresh them only if that fails
if ! "${APT[@]}" install "${PKGS[@]}"; then
  apt-get -o DPkg::Lock::Timeout=300 -q update
  "${APT[@]}" install "${PKGS[@]}"
fi
have || { echo "install-clickhouse: installed, but no clickhouse-server binary found" >&2; exit 1; }
echo "install-clickhouse: $(clickhouse-client --version 2>/dev/null || echo installed)"
