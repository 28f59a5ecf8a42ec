#!/usr/bin/env bash
# Install what `racecheck reproduce` needs, from Debian's packages, when missing:
# PostgreSQL 15 (postgresql-15: postgres, initdb, psql under /usr/lib/postgresql/15/bin) and gdb.
# Needs root (apt-get); prints what it found or installed. Called by .ci/run.
set -euo pipefail
need=()
[ -x /usr/lib/postgresql/15/bin/postgres ] && [ -x /usr/lib/postgresql/15/bin/initdb ] \
  && [ -x /usr/lib/postgresql/15/bin/psql ] || need+=(postgresql-15)
command -v gdb >/dev/null 2>&1 || need+=(gdb)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  # Debian's postgresql-common would create and start a cluster of its own: not wanted.
  mkdir -p /etc/postgresql-common
  if ! grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
    echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
/usr/lib/postgresql/15/bin/postgres --version
gdb --version | head -1
