#!/usr/bin/env bash
# Compare the native engine of this checkout with another revision, built in a second folder:
# one run per pair, interleaved, REPS times; prints median CPU seconds (user + system), median
# peak resident memory and the states explored, and the ratios (docs/performance.md, "Performance of the
# native engine"). Each side uses its own revision's model files.
#
#   scripts/compare-main.sh REV [REPS] [CONFIG...]     CONFIG = variant:files:pages
#   scripts/compare-main.sh 98e7179 5 baseline:2:2 wallog:2:2 baseline:3:2 wallog:3:2
set -euo pipefail
rev=${1:?usage: scripts/compare-main.sh REV [REPS] [variant:files:pages ...]}
reps=${2:-5}
shift $(( $# >= 2 ? 2 : 1 ))
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(baseline:2:2 wallog:2:2 baseline:3:2 wallog:3:2)
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$here" worktree add -q --detach "$work/old" "$rev"
trap 'git -C "$here" worktree remove --force "$work/old"; rm -rf "$work"' EXIT
(cd "$work/old" && cargo build --release -q)
(cd "$here" && cargo build --release -q)
old="$work/old/target/release/racecheck"; new="$here/target/release/racecheck"
run() { # bin models variant files pages extra... -> "cpu rss_kb states"
  local bin=$1 models=$2 v=$3 k=$4 p=$5; shift 5
  /usr/bin/time -o "$work/t" -f "%U %S %M" "$bin" --models "$models" --variant "$v" \
    --files "$k" --pages "$p" -q "$@" > "$work/o" 2>/dev/null || true
  local states; states=$(grep -o 'exhaustive: [0-9]*' "$work/o" | grep -o '[0-9]*' || echo 0)
  tail -1 "$work/t" | awk -v s="$states" '{ printf "%.2f %d %s\n", $1 + $2, $3, s }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-14s %28s %28s %10s %10s\n' config "before: cpu s, MB, states" "now (1 thread): cpu s, MB" "rate x" "memory x"
for c in "${configs[@]}"; do
  IFS=: read -r v k p <<<"$c"
  : > "$work/old.txt"; : > "$work/new.txt"
  for _ in $(seq "$reps"); do
    run "$old" "$work/old/models" "$v" "$k" "$p" >> "$work/old.txt"
    run "$new" "$here/models" "$v" "$k" "$p" --threads 1 >> "$work/new.txt"
  done
  oc=$(cut -d' ' -f1 "$work/old.txt" | median); om=$(cut -d' ' -f2 "$work/old.txt" | median)
  nc=$(cut -d' ' -f1 "$work/new.txt" | median); nm=$(cut -d' ' -f2 "$work/new.txt" | median)
  os=$(head -1 "$work/old.txt" | cut -d' ' -f3); ns=$(head -1 "$work/new.txt" | cut -d' ' -f3)
  awk -v c="$c" -v oc="$oc" -v om="$om" -v os="$os" -v nc="$nc" -v nm="$nm" -v ns="$ns" 'BEGIN {
    printf "%-14s %10.2f %7.0f %9d %10.2f %7.0f %9d %9.1fx %9.1fx\n", c, oc, om / 1024, os,
      nc, nm / 1024, ns, (ns / nc) / (os / oc), om / nm }'
done
