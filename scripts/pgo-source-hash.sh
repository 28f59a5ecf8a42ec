#!/usr/bin/env bash
# One hash of the sources a PGO profile was taken on (src/**/*.rs, Cargo.lock):
# scripts/pgo-profile.sh records it in pgo/source-hash, scripts/build-pgo.sh compares.
set -euo pipefail
cd "$(dirname "$0")/.."
{ find src -name '*.rs' | LC_ALL=C sort; echo Cargo.lock; } | xargs sha256sum | sha256sum | cut -d' ' -f1
