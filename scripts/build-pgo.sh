#!/usr/bin/env bash
# The fastest racecheck binary: target/dist/racecheck, built with the `dist` profile (one
# codegen unit, fat LTO; Cargo.toml) and profile-guided optimization of the racecheck crate
# with the profile in pgo/ (docs/performance.md: its measured gain). Default builds
# (`cargo build --release`) use neither. Arguments go to cargo build (e.g. --locked).
#
# The profile is applied by scripts/rustc-pgo, given to cargo as RUSTC_WRAPPER for this build
# only; a RUSTC_WRAPPER of your own (sccache) is refused rather than silently dropped. The
# profile is skipped, with a warning, when it was written for another LLVM major than this
# rustc's; when src/ changed since it was taken (pgo/source-hash), this script says so: the
# changed functions are compiled as without PGO. scripts/pgo-profile.sh takes it again.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n ${RUSTC_WRAPPER:-} ]]; then
  echo "build-pgo: RUSTC_WRAPPER is set ($RUSTC_WRAPPER); this build needs scripts/rustc-pgo as the wrapper. Unset it and run again." >&2
  exit 2
fi
llvm=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
if [[ ! -f pgo/racecheck.profdata || ! -f pgo/llvm-version ]]; then
  echo "build-pgo: warning: no profile in pgo/ (scripts/pgo-profile.sh); building without PGO" >&2
elif [[ $llvm != "$(cat pgo/llvm-version)" ]]; then
  echo "build-pgo: warning: pgo/ holds a profile for LLVM $(cat pgo/llvm-version), rustc uses LLVM $llvm; building without PGO (scripts/pgo-profile.sh takes it again)" >&2
elif [[ $(bash scripts/pgo-source-hash.sh) != "$(cat pgo/source-hash 2>/dev/null)" ]]; then
  echo "build-pgo: warning: src/ changed since the profile was taken; changed functions get no profile data (scripts/pgo-profile.sh takes it again)" >&2
fi
RUSTC_WRAPPER="$PWD/scripts/rustc-pgo" cargo build --profile dist "$@"
echo "build-pgo: target/dist/racecheck"
