//! Build script: only tells cargo to compile the crate again when its PGO profile changes
//! (scripts/rustc-pgo, the rustc wrapper of .cargo/config.toml, applies it).

fn main() {
    println!("cargo::rerun-if-changed=pgo/racecheck.profdata");
    println!("cargo::rerun-if-changed=pgo/llvm-version");
    println!("cargo::rerun-if-env-changed=RACECHECK_PGO");
}
