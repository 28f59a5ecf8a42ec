#!/usr/bin/env bash
# Take the PGO profile again: pgo/racecheck.profdata, which scripts/build-pgo.sh (through
# scripts/rustc-pgo) compiles the racecheck crate with (docs/performance.md). Builds the crate
# instrumented in a temporary target directory, runs the training workload (wallog K=3 P=2 on
# one thread, the engine's hot path; then the matrix, every model at every source and
# version), and merges the counts. Run it after changing the engine: functions changed since
# the profile was taken are compiled as without it. Needs the toolchain's llvm-profdata:
# `rustup component add llvm-tools`.
set -euo pipefail
cd "$(dirname "$0")/.."
sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
profdata=$sysroot/lib/rustlib/$host/bin/llvm-profdata
if [[ ! -x $profdata ]]; then
  echo "pgo-profile: $profdata not found (rustup component add llvm-tools)" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
RACECHECK_PGO_GENERATE="$work/raw" RUSTC_WRAPPER="$PWD/scripts/rustc-pgo" \
  cargo build --profile dist --locked -q --target-dir "$work/target"
bin=$work/target/dist/racecheck
# Exit 1 is a violation found, the expected outcome of both.
"$bin" --variant wallog --files 3 --pages 2 --threads 1 -q > /dev/null || [[ $? == 1 ]]
"$bin" matrix -q > /dev/null || [[ $? == 1 ]]
"$profdata" merge --sparse -o pgo/racecheck.profdata.tmp "$work/raw"
mv pgo/racecheck.profdata.tmp pgo/racecheck.profdata
rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p' > pgo/llvm-version
bash scripts/pgo-source-hash.sh > pgo/source-hash
echo "pgo-profile: wrote pgo/racecheck.profdata ($(wc -c < pgo/racecheck.profdata) bytes) for LLVM $(cat pgo/llvm-version)"
