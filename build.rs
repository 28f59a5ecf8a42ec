//! Build script: only tells cargo to compile the crate again when its PGO profile changes
//! (scripts/build-pgo.sh applies it, through the rustc wrapper scripts/rustc-pgo).

fn main() {
    println!("cargo::rerun-if-changed=pgo/racecheck.profdata");
    println!("cargo::rerun-if-changed=pgo/llvm-version");
    println!("cargo::rerun-if-env-changed=RACECHECK_PGO");
}
