#!/usr/bin/env bash
# No wildcard arm in a match over a command, an op or a WAL record (scenario::model::Command,
# scenario::Op, world::Rec): a new command, op or record must be handled, or refused, at every
# match, not fall through a `_ =>` arm. Runs clippy's wildcard_enum_match_arm over src/ and
# fails naming each such arm (other enums may keep their wildcards). Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
touch src/lib.rs src/main.rs   # make clippy look at the crate again
cargo clippy --release --lib --bins --locked --message-format=json -q -- \
  -W clippy::wildcard_enum_match_arm 2>/dev/null \
  | python3 -c '
import json, sys
bad = []
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    msg = m.get("message") or {}
    if (msg.get("code") or {}).get("code") != "clippy::wildcard_enum_match_arm":
        continue
    reps = [s.get("suggested_replacement") or "" for c in msg["children"] for s in c["spans"]]
    if any(k in r for r in reps for k in ("Op::", "Rec::", "Command::")):
        sp = msg["spans"][0]
        kind = next(k for r in reps for k in ("Op", "Rec", "Command") if k + "::" in r)
        bad.append("%s:%d: wildcard arm over %s" % (sp["file_name"], sp["line_start"], kind))
for b in sorted(set(bad)):
    print(b)
if bad:
    print(f"check-wildcards: {len(set(bad))} wildcard arm(s) over Command, Op or Rec: list the variants", file=sys.stderr)
    sys.exit(1)
print("check-wildcards: no wildcard arm over Command, Op or Rec in src/")
'
