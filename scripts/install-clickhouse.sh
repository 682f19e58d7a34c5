#!/bin/bash
# Install ClickHouse for the integration tests (Debian's clickhouse-server, 18.16 on Debian 12).
# Idempotent: does nothing when a server binary is already there. Needs root. Called, when running as
# root, by the test harness (src/testing/clickhouse-process.ts) on first use; CI installs every package
# the tests need at once instead (.ci/run).
set -euo pipefail
have() { command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || command -v clickhouse >/dev/null 2>&1; }
if have; then echo "install-clickhouse: already installed"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "install-clickhouse: clickhouse-server is missing and this needs root: sudo bash $0" >&2
  exit 1
fi
bash "$(dirname "$0")/install-debian-packages.sh" clickhouse-server clickhouse-client
have || { echo "install-clickhouse: installed, but no clickhouse-server binary found" >&2; exit 1; }
echo "install-clickhouse: $(clickhouse-client --version 2>/dev/null || echo installed)"
