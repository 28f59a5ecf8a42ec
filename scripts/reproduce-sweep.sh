#!/usr/bin/env bash
# Drive a real PostgreSQL 15 through many schedules: for each variant and seed, the
# counterexample shuttle (PCT) finds with that seed, and the random schedule `racecheck schedule
# --seed` makes (most of which violate nothing), each run by `racecheck reproduce`; prints one
# line per run and a summary. Exit 1 if any real outcome differs from the model's (the trace is
# kept as reproduce-different-*.json).
#
#   scripts/reproduce-sweep.sh [SEEDS] [VARIANT...]      (default: 10 seeds; baseline,
#                                                          baseline-update and dropdb at 15)
set -euo pipefail
seeds=${1:-10}
shift $(( $# >= 1 ? 1 : 0 ))
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(baseline baseline-update dropdb)
here=$(cd "$(dirname "$0")/.." && pwd)
(cd "$here" && cargo build --release -q)
rc="$here/target/release/racecheck"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
match=0 differ=0 other=0
for v in "${variants[@]}"; do
  for s in $(seq "$seeds"); do
    for kind in shuttle random; do
    t="$work/$v-$s-$kind.json"
    if [ "$kind" = shuttle ]; then
      "$rc" --variant "$v" --pg 15 --engine shuttle --seed "$s" --iterations 500 -q \
        --trace-out "$t" > /dev/null 2>&1 || true
    else
      "$rc" schedule --variant "$v" --pg 15 --seed "$s" --trace-out "$t" > /dev/null 2>&1 || true
    fi
    [ -f "$t" ] || { echo "$v seed $s $kind: no counterexample"; continue; }
    set +e
    out=$("$rc" reproduce "$t" --json 2> "$work/err")
    code=$?
    set -e
    line=$(printf '%s' "$out" | python3 -c 'import json,sys
try:
    v = json.load(sys.stdin); print("model:", v["predicted"], "| real:", v["real"])
except Exception:
    print("")' 2>/dev/null)
    case $code in
      0) match=$((match + 1)); echo "$v seed $s $kind: MATCH $line" ;;
      1) differ=$((differ + 1)); echo "$v seed $s $kind: DIFFERENT $line"; cp "$t" "$here/reproduce-different-$v-$s-$kind.json" ;;
      *) other=$((other + 1)); echo "$v seed $s $kind: exit $code $(head -c 300 "$work/err")" ;;
    esac
    done
  done
done
echo "matches $match, differences $differ, other $other"
[ "$differ" -eq 0 ]
